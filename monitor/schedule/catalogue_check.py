"""Is the catalogue the crawls will read valid? Asked before each launch, parsed only when the file changed.

The scheduler asks on every tick that has a free slot and a due source (every
0.5 s in a backlog); validating a few hundred entries costs ~0.4 ms each, so the
answer is kept until the file's identity (inode, size, mtime, ctime) changes.
An edit, a broken one included, is seen on the next tick.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import NamedTuple

# A file modified this recently may change again within the same timestamp tick (1-2 s on some file
# systems) without its stat changing, so its answer is not reused until it is older ("racy git").
RACY_NANOSECONDS = 2_000_000_000


class FileKey(NamedTuple):
    """What changes whenever a file's content may have: the inode catches a file replaced by rename
    (editors, ``cp``), the ctime an edit that restored the old mtime and size (``cp -p``, ``rsync -t``)."""

    path: str
    inode: int
    size: int
    mtime_ns: int
    ctime_ns: int

    def settled(self) -> bool:
        """True once the file is too old to change again without its mtime or ctime changing too."""
        return time.time_ns() - max(self.mtime_ns, self.ctime_ns) >= RACY_NANOSECONDS


class CatalogueCheck:
    """A ``SchedulerOptions.catalogue_check``: what is wrong with the catalogue at ``path`` (None: nothing).

    ``path`` None is the configured catalogue (``MONITOR_CATALOGUE`` or the bundled
    one), looked up on each call. ``parses`` counts how often the file was read
    and validated, so callers and tests can see the cache work.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.parses = 0
        self._key: FileKey | None = None
        self._answer: str | None = None

    def __call__(self) -> str | None:
        from monitor.catalogue import catalogue_path

        path = Path(self.path or catalogue_path())
        key = _file_key(path)
        if key is not None and key == self._key:
            return self._answer
        answer = self._validate(path)
        self._key, self._answer = (key, answer) if key is not None and key.settled() else (None, None)
        return answer

    def _validate(self, path: Path) -> str | None:
        from monitor.catalogue import CatalogueError, load_catalogue

        self.parses += 1
        try:
            load_catalogue(path)
        except (CatalogueError, OSError) as exc:
            return str(exc)
        return None


def _file_key(path: Path) -> FileKey | None:
    """The file's ``FileKey``; None when it cannot be stat'ed (a missing file is never cached)."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return FileKey(str(path), stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
