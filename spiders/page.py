"""A spider for given article URLs: ``monitor fetch`` runs one page through the whole pipeline."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

from twisted.python.failure import Failure

from monitor.catalogue import Source, load_catalogue
from spiders.base import SourceSpider


class PageSpider(SourceSpider):
    """Fetches the source's start URLs as article pages; failures are kept for the caller."""

    kind = "page"
    name = "page"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.failures: list[str] = []

    async def start(self) -> AsyncIterator[Any]:
        for url in self.source.start_urls:
            request = self.article_request(url)
            request.meta["monitor_refetch"] = True
            yield request.replace(errback=self.fetch_failed)

    def fetch_failed(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        response = getattr(failure.value, "response", None)
        reason = f"HTTP {response.status}" if response is not None else failure.getErrorMessage()
        self.failures.append(f"{url}: {reason}")
        self.logger.error("fetch failed: %s: %s", url, reason)


def source_for_url(url: str, catalogue: list[Source] | None = None) -> Source:
    """The catalogue source whose homepage or start URL shares ``url``'s host, else an ad-hoc one."""
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    try:
        sources = catalogue if catalogue is not None else load_catalogue()
    except ValueError:
        sources = []
    for source in sources:
        for candidate in (source.homepage, *source.start_urls):
            if candidate and (urlsplit(candidate).hostname or "").removeprefix("www.") == host:
                return Source(name=source.name, outlet=source.outlet, kind="page", start_urls=(url,),
                              languages=source.languages)
    return Source(name=host or "adhoc", outlet=host or "adhoc", kind="page", start_urls=(url,))
