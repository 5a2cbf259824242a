"""A Scrapy spider loader that also knows every catalogue entry.

Scrapy's own loader finds spider classes in ``SPIDER_MODULES``; this one adds a
spider per catalogue entry, built from the kind spider named by the entry (or the
site module named by its ``spider`` field). So ``scrapy list`` shows the outlets
and ``scrapy crawl nato-newsroom`` crawls one, as Scrapy users expect.
"""

from __future__ import annotations

from typing import Any

from scrapy import Request, Spider
from scrapy.exceptions import UsageError
from scrapy.settings import BaseSettings
from scrapy.spiderloader import SpiderLoader

from monitor.catalogue import CatalogueError, Source, load_catalogue
from spiders.base import SourceSpider
from spiders.kinds import spider_class_for


class CatalogueSpiderLoader:
    """Spiders from code modules plus one per catalogue entry (Scrapy's ``SpiderLoaderProtocol``)."""

    def __init__(self, settings: BaseSettings) -> None:
        self._modules = SpiderLoader(settings)
        self._path = settings.get("MONITOR_CATALOGUE") or None
        self._loaded: dict[str, Source] | None = None

    @property
    def _sources(self) -> dict[str, Source]:
        """The catalogue's entries, read on first use.

        Not in ``__init__``: Scrapy builds the loader outside its command error
        handling, so an invalid catalogue there is a 28-line traceback. Read while a
        command runs, it is Scrapy's one-line usage error naming the file and the fault.
        """
        if self._loaded is None:
            try:
                self._loaded = {s.name: s for s in load_catalogue(self._path)}
            except CatalogueError as exc:
                raise UsageError(f"invalid catalogue: {exc}", print_help=False) from exc
        return self._loaded

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> "CatalogueSpiderLoader":
        return cls(settings)

    def load(self, spider_name: str) -> type[Spider]:
        if spider_name in self._sources:
            return spider_for_source(self._sources[spider_name], self._modules)
        return self._modules.load(spider_name)

    def list(self) -> list[str]:
        kind_names = {cls.name for cls in _kind_spiders()}
        code = [n for n in self._modules.list() if n not in kind_names]
        return sorted(set(code) | set(self._sources))

    def find_by_request(self, request: Request) -> list[str]:
        return self._modules.find_by_request(request)


def spider_for_source(source: Source, modules: SpiderLoader | None = None) -> type[SourceSpider]:
    """The spider class for one catalogue entry."""
    if source.spider:
        if modules is None:
            from monitor.crawl.runner import project_settings

            modules = SpiderLoader(project_settings())
        base: Any = modules.load(source.spider)
    else:
        base = spider_class_for(source)
    return base.for_source(source)


def _kind_spiders() -> list[type[SourceSpider]]:
    from spiders.kinds import KIND_SPIDERS

    return list(KIND_SPIDERS.values())
