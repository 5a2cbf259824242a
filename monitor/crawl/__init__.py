"""Scrapy glue that is not a pipeline stage: the shared store, middlewares, extensions, the runner."""
