"""What an extract worker process does before its first page (``monitor.crawl.pool``).

Imports only the analysis side and the allocator tuning: no Twisted, Scrapy or
database code, which would cost each worker ~45 MB.
"""

from __future__ import annotations

from monitor.crawl.allocator import tune_malloc
from monitor.enrich import warm_up


def initialize_worker(malloc_tuning: dict[str, tuple[int, int]]) -> None:
    """Apply the parent's malloc tuning (empty: none), then load the tagger and language profiles."""
    tune_malloc(malloc_tuning)
    warm_up()
