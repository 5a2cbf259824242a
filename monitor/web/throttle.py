"""Sign-in throttling: repeated wrong passwords for one name from one address are slowed down.

Why: each attempt costs the server ~130 ms of scrypt and nothing limited them, so a
password could be guessed at machine speed and the CPU tied up. After ``FREE_TRIES``
failures within ``WINDOW`` seconds, that (address, name) must wait, 60 s doubling per
further failure up to 15 minutes; a correct sign-in clears it. Kept in memory, per
dashboard process (``monitor serve`` is one), bounded to ``MAX_KEYS`` entries.

An attempt is counted as failed *before* its password is checked (``attempt``), under a
lock: otherwise 40 requests sent at once would all pass the check during the
password hashing and get 40 guesses instead of 5. Behind a reverse proxy every client
has the proxy's address: run ``monitor serve`` with the proxy's forwarded-address
headers trusted, or one address's failures lock out everyone's attempts at that name.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

FREE_TRIES = 5
WINDOW = 15 * 60.0
FIRST_WAIT = 60.0
MAX_WAIT = 15 * 60.0
MAX_KEYS = 10_000


class LoginThrottle:
    """Failure counts per (client address, user name), oldest forgotten first."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._failures: OrderedDict[tuple[str, str], tuple[int, float]] = OrderedDict()  # key -> (count, last)
        self._lock = threading.Lock()

    def attempt(self, address: str, name: str) -> int:
        """Seconds to wait (nothing counted) or 0: the attempt may go on and is counted as failed until
        ``succeeded`` clears it, in one step, so simultaneous attempts cannot all slip through."""
        with self._lock:
            wait = self.wait_seconds(address, name)
            if not wait:
                self.failed(address, name)
            return wait

    def wait_seconds(self, address: str, name: str) -> int:
        """Seconds before this (address, name) may try again; 0 when it may now."""
        entry = self._failures.get(self._key(address, name))
        if entry is None:
            return 0
        count, last = entry
        now = self.clock()
        if now - last > WINDOW:
            return 0
        if count < FREE_TRIES:
            return 0
        wait = min(MAX_WAIT, FIRST_WAIT * 2 ** (count - FREE_TRIES))
        return max(0, int(last + wait - now + 0.999))

    def failed(self, address: str, name: str) -> None:
        key = self._key(address, name)
        count, last = self._failures.pop(key, (0, 0.0))
        now = self.clock()
        self._failures[key] = (1 if now - last > WINDOW else count + 1, now)
        while len(self._failures) > MAX_KEYS:
            self._failures.popitem(last=False)

    def succeeded(self, address: str, name: str) -> None:
        self._failures.pop(self._key(address, name), None)

    @staticmethod
    def _key(address: str, name: str) -> tuple[str, str]:
        return address, name.strip().lower()
