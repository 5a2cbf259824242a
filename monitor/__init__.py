"""monitor: a media-monitoring crawler for defence and European-policy news.

The package holds the application logic as plain functions and classes; the Scrapy
spiders (``spiders/``) and pipelines (``pipelines/``) are thin adapters over it.
"""

__version__ = "0.1.0"
