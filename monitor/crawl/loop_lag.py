"""Extension: how long the reactor was kept from running its timers (loop lag), into the crawl stats.

A probe wakes every ``MONITOR_LOOP_LAG_INTERVAL`` seconds (default 10 ms) and
records how late it woke: that is how long something (a pipeline stage, a
database write) held the reactor thread. One probe per process serves every
crawler; each crawler's extension keeps its own fixed-size histogram (1 ms
buckets up to 10 s) and writes ``monitor/loop_lag/max_ms``, ``p99_ms``,
``cpu_max_ms``, ``cpu_p99_ms`` and ``samples`` into its stats when its spider
closes (see ``_Probe`` for wall against CPU). Memory stays constant
however long the crawl. The same probe times the garbage collector's full
(generation 2) passes, a usual cause of long lags: ``monitor/gc/full_passes``,
``monitor/gc/full_max_ms``, and ``monitor/gc/full_collected``, the objects those
passes found in reference cycles: per-page objects caught in a cycle live until
the next full pass, which then frees them all at once on the reactor.
"""

from __future__ import annotations

import gc
import time
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

BUCKETS = 10_000  # 1 ms each; the last one collects everything longer


class LagHistogram:
    """Loop-lag samples in 1 ms buckets: constant memory, exact maximum, p99 to the millisecond."""

    def __init__(self) -> None:
        self.counts = [0] * BUCKETS
        self.samples = 0
        self.max_ms = 0.0

    def add(self, lag_ms: float) -> None:
        self.counts[min(BUCKETS - 1, max(0, int(lag_ms)))] += 1
        self.samples += 1
        self.max_ms = max(self.max_ms, lag_ms)

    def percentile(self, share: float) -> float:
        """The upper edge (ms) of the bucket holding the ``share`` quantile; 0 with no samples."""
        if not self.samples:
            return 0.0
        rank, seen = share * self.samples, 0
        for bucket, count in enumerate(self.counts):
            seen += count
            if seen >= rank:
                return float(min(bucket + 1, self.max_ms))
        return self.max_ms


class _Probe:
    """The process's one timer chain; feeds every open extension's histograms.

    Two numbers per tick: the wall-clock lateness, and the CPU time the reactor
    thread itself used since the previous tick. On a machine shared with other
    busy processes the first also counts time spent waiting for a core; the
    second is what the crawl's own work held the reactor for.
    """

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.listeners: list[tuple[LagHistogram, LagHistogram]] = []
        self._call: Any = None
        self.gc_passes = 0  # full passes since the probe started, and the longest (ms)
        self.gc_max_ms = 0.0
        self.gc_collected = 0  # objects the full passes found unreachable (in reference cycles)
        self._gc_started = 0.0

    def attach(self, histograms: tuple[LagHistogram, LagHistogram]) -> None:
        self.listeners.append(histograms)
        if self._call is None:
            self._schedule()
            gc.callbacks.append(self._on_gc)

    def detach(self, histograms: tuple[LagHistogram, LagHistogram]) -> None:
        if histograms in self.listeners:
            self.listeners.remove(histograms)
        if not self.listeners and self._call is not None and self._call.active():
            self._call.cancel()
            self._call = None
            if self._on_gc in gc.callbacks:
                gc.callbacks.remove(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._gc_started = time.perf_counter()
        else:
            self.gc_passes += 1
            self.gc_collected += info["collected"]
            self.gc_max_ms = max(self.gc_max_ms, (time.perf_counter() - self._gc_started) * 1000)

    def _schedule(self) -> None:
        from twisted.internet import reactor  # the running one

        self._call = reactor.callLater(  # type: ignore[attr-defined]
            self.interval, self._tick, time.monotonic() + self.interval, time.thread_time())

    def _tick(self, due: float, cpu_before: float) -> None:
        lag_ms = max(0.0, (time.monotonic() - due) * 1000)
        cpu_ms = max(0.0, (time.thread_time() - cpu_before) * 1000)
        for wall, cpu in self.listeners:
            wall.add(lag_ms)
            cpu.add(cpu_ms)
        self._schedule()


_probes: dict[float, _Probe] = {}


class LoopLagProbe:
    """Records the reactor's loop lag while the crawler's spider is open."""

    def __init__(self, crawler: Crawler, interval: float) -> None:
        self.crawler = crawler
        self.histograms = (LagHistogram(), LagHistogram())  # wall-clock lag, reactor CPU between ticks
        self.probe = _probes.setdefault(interval, _Probe(interval))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "LoopLagProbe":
        interval = crawler.settings.getfloat("MONITOR_LOOP_LAG_INTERVAL", 0.0)
        if interval <= 0:
            raise NotConfigured  # MONITOR_LOOP_LAG_INTERVAL is 0 (turned off on purpose: no warning)
        extension = cls(crawler, interval)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self) -> None:
        self.probe.attach(self.histograms)

    def spider_closed(self) -> None:
        self.probe.detach(self.histograms)
        wall, cpu = self.histograms
        stats = self.crawler.stats
        stats.set_value("monitor/loop_lag/samples", wall.samples)
        stats.set_value("monitor/loop_lag/max_ms", round(wall.max_ms, 1))
        stats.set_value("monitor/loop_lag/p99_ms", round(wall.percentile(0.99), 1))
        stats.set_value("monitor/loop_lag/cpu_max_ms", round(cpu.max_ms, 1))
        stats.set_value("monitor/loop_lag/cpu_p99_ms", round(cpu.percentile(0.99), 1))
        stats.set_value("monitor/gc/full_passes", self.probe.gc_passes)
        stats.set_value("monitor/gc/full_max_ms", round(self.probe.gc_max_ms, 1))
        stats.set_value("monitor/gc/full_collected", self.probe.gc_collected)
