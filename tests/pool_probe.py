"""Runs inside an extract pool worker for tests; imports nothing itself, so it cannot hide what the worker loaded."""

import os
import sys


def loaded_packages() -> set[str]:
    """Top-level packages imported in this process so far."""
    return {name.split(".")[0] for name in sys.modules}


def malloc_tuning() -> dict[str, int] | None:
    """What ``monitor.crawl.allocator`` applied in this worker (None: never asked to)."""
    return sys.modules["monitor.crawl.allocator"]._applied  # type: ignore[attr-defined, no-any-return]


def die() -> None:
    """Kill this worker at once, as a segfaulting parser or the OOM killer would."""
    os._exit(70)


def die_once(marker: str) -> str:
    """Kill this worker the first time (leaving ``marker``), answer "survived" after that."""
    if not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(70)
    return "survived"


def pid() -> int:
    """This worker's process id."""
    return os.getpid()


class Parcel:
    """A page stand-in that can be watched through a weak reference."""

    def __init__(self, body: str) -> None:
        self.body = body


def echo(value: object) -> object:
    """The argument, sent back (a copy, through pickling)."""
    return value


def frozen_objects() -> int:
    """Objects this process moved out of the collector's full passes (``gc.freeze``)."""
    import gc

    return gc.get_freeze_count()
