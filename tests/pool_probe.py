"""Runs inside an extract pool worker for tests; imports nothing itself, so it cannot hide what the worker loaded."""

import sys


def loaded_packages() -> set[str]:
    """Top-level packages imported in this process so far."""
    return {name.split(".")[0] for name in sys.modules}


def malloc_tuning() -> dict[str, int] | None:
    """What ``monitor.crawl.allocator`` applied in this worker (None: never asked to)."""
    return sys.modules["monitor.crawl.allocator"]._applied  # type: ignore[attr-defined, no-any-return]
