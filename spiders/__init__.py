"""Spiders: one module per spider kind; a catalogue entry picks its kind.

``spiders.loader.CatalogueSpiderLoader`` turns every catalogue entry into a named
spider, so ``scrapy list`` and ``scrapy crawl NAME`` work per outlet.
"""
