"""The scheduler loop: a thin shell over ``policy`` that launches due crawls and records how they went.

Each pass: reap finished jobs (read their ``crawl_runs`` row, decide the next due
time), launch due sources under the concurrency bound, deliver alert digests
when their period has come, then sleep until the next due time or a signal.
SIGTERM/SIGINT stop launching; in-flight crawls finish and are recorded, then
the loop returns. ``rounds`` (``--once`` / ``--rounds N``) runs every due source
to completion N times and returns, so tests and cron jobs need no daemon.

A daemon runs for months: what it keeps per crawl is bounded (the last
``recent_runs`` run reports and counts by status), and the catalogue is only
re-validated when a crawl could be launched and the file changed.
"""

from __future__ import annotations

import logging
import random
import signal
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from monitor.catalogue.health import RunRecord as HealthRun
from monitor.crawl.verdict import ERRORS_EXIT_CODE
from monitor.schedule.catalogue_check import CatalogueCheck
from monitor.schedule.launchers import Job, JobEnd, LaunchError, Launcher
from monitor.schedule.policy import DEFAULT_JITTER, Cadence, Outcome, due_sources, launchable, next_run
from monitor.schedule.state import (RunRecord, ensure_sources, load_states, mark_crashed, mark_done, mark_running,
                                    now_utc, run_outcome)

log = logging.getLogger("monitor.schedule")
POLL_SECONDS = 0.5  # how often running jobs are checked
MAX_SLEEP_SECONDS = 30.0
OUTAGE_RETRY_SECONDS = 30.0  # after a launcher outage (Scrapyd unreachable), the daemon launches nothing this long
LAUNCH_FAILED = "launch_failed"  # a run report's status when its job could not be started


@dataclass
class SchedulerOptions:
    """Knobs of one scheduler: concurrency bound, jitter, RNG seed, alert delivery period, rounds."""

    concurrency: int = 2
    jitter: float = DEFAULT_JITTER
    seed: int | None = None
    deliver_every: float | None = 300.0  # seconds between alert deliveries; None: never
    rounds: int | None = None  # None: run until stopped
    smtp_url: str | None = None
    # What is wrong with the catalogue the crawls will read (None: nothing); see ``catalogue_problem``
    catalogue_check: Callable[[], str | None] | None = None
    recent_runs: int = 100  # run reports the endless daemon round keeps (rounds keep all of theirs)
    kinds: dict[str, str] = field(default_factory=dict)  # catalogue kind by source: last_error says "the feed failed"


def catalogue_problem(path: Path | None) -> CatalogueCheck:
    """A ``catalogue_check`` for the catalogue file at ``path`` (None: the configured one).

    Why: every crawl reads the catalogue itself, so while an edit has broken it each
    launch would fail, and each source would be marked failed and backed off for
    something no outlet did. The scheduler launches nothing while this says why.
    The check re-reads the file only when it changed (``CatalogueCheck``).
    """
    return CatalogueCheck(path)


@dataclass
class RoundReport:
    """What one round launched and how each job ended.

    ``keep`` None (a ``--once``/``--rounds`` round) keeps every run, which the CLI
    prints; the daemon's endless round keeps the last ``keep`` and counts all of
    them in ``counts``, so months of crawls do not grow its memory.
    """

    number: int
    runs: list[dict[str, Any]] = field(default_factory=list)
    keep: int | None = None
    counts: Counter[str] = field(default_factory=Counter)  # finished runs by status, including dropped ones

    def add(self, run: dict[str, Any]) -> None:
        """Record one finished run, dropping the oldest beyond ``keep``."""
        self.counts[run["status"]] += 1
        self.runs.append(run)
        if self.keep is not None and len(self.runs) > self.keep:
            del self.runs[: len(self.runs) - self.keep]


class Scheduler:
    """Runs crawls of catalogue sources on their adaptive cadence through a ``Launcher``."""

    def __init__(self, engine: Engine, cadences: dict[str, Cadence], launcher: Launcher,
                 options: SchedulerOptions | None = None, clock: Callable[[], datetime] = now_utc) -> None:
        self.engine = engine
        self.cadences = cadences
        self.launcher = launcher
        self.options = options or SchedulerOptions()
        self.clock = clock
        self.rng = random.Random(self.options.seed)
        self.running: dict[str, Job] = {}
        self.stopping = threading.Event()
        self.last_delivery: datetime | None = None
        self.reports: list[RoundReport] = []
        self._catalogue_error: str | None = None
        self._outage: str | None = None  # why the launcher is out (the last launch failed for it), None: it works
        self._outage_until: datetime | None = None
        self._recover()

    # --- lifecycle -------------------------------------------------------------------
    def install_signal_handlers(self) -> None:
        """SIGTERM and SIGINT: finish in-flight crawls, launch nothing new, return."""
        def handler(signum: int, _frame: Any) -> None:
            log.info("signal %s: finishing %d running crawl(s), then exiting", signum, len(self.running),
                     extra={"event": "stopping", "running": sorted(self.running)})
            self.stopping.set()

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)

    def _recover(self) -> None:
        """Register new sources; jobs a dead scheduler left 'running' are adopted while their crawl still runs
        (the launcher's ``adopt``), else recorded from their ``crawl_runs`` row (crashed when it has none or
        it was left running) and retried.

        Why: a scheduler killed with SIGKILL may leave crawls that go on and finish normally; marking
        them crashed showed them broken, backed them off, and let the concurrency bound be exceeded.
        """
        now = self.clock()
        ensure_sources(self.engine, self.cadences, now)
        adopt = getattr(self.launcher, "adopt", None)
        for name, state in load_states(self.engine).items():
            if name in self.cadences and state.status == "running" and state.last_started:
                job = adopt(name, state.job or "?", state.last_started) if adopt else None
                if job is not None:
                    self.running[name] = job
                    log.info("adopted %s (job %s): its crawl still runs", name, job.job_id,
                             extra={"event": "adopted", "source": name, "job": job.job_id})
                    continue
                job = Job(name, state.job or "?", state.last_started)
                self._record(job, JobEnd(None, "scheduler restarted while the crawl was running"))

    def run(self) -> list[RoundReport]:
        """Run until stopped (or for ``options.rounds`` rounds); returns the round reports.

        Until stopped there is one report, number 0: its last ``recent_runs`` runs and counts of all.
        """
        if self.options.rounds is not None:
            for number in range(1, self.options.rounds + 1):
                if self.stopping.is_set():
                    break
                self.run_round(number, every_source=self.options.rounds > 1)
            return self.reports
        report = RoundReport(0, keep=self.options.recent_runs)
        self.reports.append(report)
        while not self.stopping.is_set():
            self._reap(report)
            self._launch_due(report)
            self._deliver_if_due()
            self.stopping.wait(self._sleep_seconds())
        self._drain(report)
        log.info("stopped after %d crawl(s)", report.counts.total(),
                 extra={"event": "stopped", "crawls": dict(report.counts)})
        return self.reports

    def run_round(self, number: int, every_source: bool = False) -> RoundReport:
        """One round: the sources due now (``every_source``: every source once, each when it comes due),
        launched under the concurrency bound; returns when all have finished."""
        report = RoundReport(number)
        self.reports.append(report)
        now = self.clock()
        states = load_states(self.engine)
        todo = sorted(self.cadences) if every_source else due_sources(
            {n: s.next_due for n, s in states.items() if n in self.cadences}, self.running, now)
        log.info("round %d: %d source(s)", number, len(todo), extra={"event": "round", "sources": todo})
        while (todo or self.running) and not self.stopping.is_set():
            states = load_states(self.engine)
            due = due_sources({n: states[n].next_due for n in todo}, self.running, self.clock())
            batch = launchable(due, len(self.running), self.options.concurrency)
            if batch and self._catalogue_broken():
                todo.clear()  # this round launches nothing; the sources stay due for the next
                batch = []
            for name in batch:
                todo.remove(name)
                if not self._launch(name, report):  # the launcher is out: the rest of the round fails alike
                    for rest in list(todo):
                        todo.remove(rest)
                        report.add(self._launch_failed(rest, self.clock(), self._outage or ""))
                    break
            self.stopping.wait(POLL_SECONDS)
            self._reap(report)
        self._drain(report)
        self._deliver(self.clock())
        return report

    # --- steps -------------------------------------------------------------------------
    def _launch_due(self, report: RoundReport | None = None) -> None:
        """Launch the due sources that fit; the catalogue is checked only when one would be launched.
        After a launcher outage nothing is launched for ``OUTAGE_RETRY_SECONDS`` (then one source tries)."""
        if self._outage_until is not None and self.clock() < self._outage_until:
            return
        states = load_states(self.engine)
        due = due_sources({n: s.next_due for n, s in states.items() if n in self.cadences}, self.running,
                          self.clock())
        batch = launchable(due, len(self.running), self.options.concurrency)
        if batch and self._catalogue_broken():
            return
        for name in batch:
            if not self._launch(name, report):
                return

    def _catalogue_broken(self) -> bool:
        """True while the catalogue check finds a problem; logs each new problem once, and the fix."""
        check = self.options.catalogue_check
        error = check() if check else None
        if error != self._catalogue_error:
            if error:
                log.error("catalogue invalid, launching nothing until it is fixed: %s", error,
                          extra={"event": "catalogue_invalid", "error": error})
            else:
                log.info("catalogue valid again: launching", extra={"event": "catalogue_valid"})
            self._catalogue_error = error
        return error is not None

    def _launch(self, name: str, report: RoundReport | None = None) -> bool:
        """Start a crawl of ``name``; False when the launcher is out (the failure is in ``report``).

        A failed launch is reported (status ``launch_failed``) so ``--once`` exits 3 and says why. Only
        a refusal of this source (Scrapyd answered an error) backs it off; an outage of the launcher
        (Scrapyd unreachable) is not the outlet's fault: the source stays due, unmarked, and the error
        is logged once until a launch works again, as a broken catalogue is.
        """
        started = self.clock()
        try:
            job = self.launcher.launch(name, started)
        except LaunchError as exc:
            if exc.outage:
                if str(exc) != self._outage:
                    log.error("launcher unavailable, launching nothing for %g s: %s", OUTAGE_RETRY_SECONDS, exc,
                              extra={"event": "launcher_unavailable", "source": name, "error": str(exc)})
                self._outage = str(exc)
                self._outage_until = started + timedelta(seconds=OUTAGE_RETRY_SECONDS)
                if report is not None:
                    report.add(self._launch_failed(name, started, str(exc)))
                return False
            log.error("launch of %s failed: %s", name, exc, extra={"event": "launch_failed", "source": name})
            entry = self._record(Job(name, "-", started), JobEnd(None, str(exc)), launch_failed=True)
            if report is not None:
                report.add(entry)
            return True
        if self._outage is not None:
            log.info("launcher available again: launching", extra={"event": "launcher_available"})
            self._outage = self._outage_until = None
        self.running[name] = job
        mark_running(self.engine, name, job.job_id, started)
        log.info("launched %s (job %s)", name, job.job_id, extra={"event": "launched", "source": name,
                                                                   "job": job.job_id})
        return True

    def _launch_failed(self, name: str, started: datetime, error: str) -> dict[str, Any]:
        """The run report of a launch the launcher's outage prevented; the schedule row is left as it was."""
        state = load_states(self.engine)[name]
        return {"source": name, "job": None, "status": LAUNCH_FAILED, "stored": 0,
                "next_due": state.next_due.isoformat(), "interval_seconds": round(state.interval_seconds, 3),
                "failures": state.failures, "error": error}

    def _reap(self, report: RoundReport) -> None:
        for name, job in list(self.running.items()):
            try:
                end = self.launcher.poll(job)
            except LaunchError as exc:
                log.warning("cannot poll %s: %s", name, exc, extra={"event": "poll_failed", "source": name})
                continue
            if end is not None:
                del self.running[name]
                report.add(self._record(job, end))

    def _drain(self, report: RoundReport) -> None:
        """Wait for in-flight jobs (after a stop signal, or at the end of a round)."""
        while self.running:
            self._reap(report)
            if self.running:
                threading.Event().wait(POLL_SECONDS)

    def _record(self, job: Job, end: JobEnd, *, launch_failed: bool = False) -> dict[str, Any]:
        """Turn a finished job into an outcome, store the next due time, and log it."""
        finished = self.clock()
        run = run_outcome(self.engine, job.source, job.started) if not launch_failed else None
        error: str | None = None
        if launch_failed:
            status, stored, error = LAUNCH_FAILED, 0, end.detail
        elif run is None or run.status is None:
            status, stored = "crashed", 0
            error = end.detail or f"exit code {end.exit_code}; no crawl run was recorded"
        elif run.status == "running":  # the process died without closing the spider
            status, stored = "crashed", run.stored
            error = end.detail or f"exit code {end.exit_code}"
            assert run.run_id is not None
            mark_crashed(self.engine, run.run_id, error)
        elif end.exit_code not in (None, 0, ERRORS_EXIT_CODE):  # ERRORS_EXIT_CODE: ran, and the row says how
            status, stored, error = "crashed", run.stored, end.detail or f"exit code {end.exit_code}"
        else:
            status, stored = run.status, run.stored
            error = None if status == "finished" else self._run_error(job, run, end)
        outcome = Outcome(status, stored)
        state = load_states(self.engine)[job.source]
        decision = next_run(finished, state.interval_seconds, state.failures, self.cadences[job.source], outcome,
                            self.rng, self.options.jitter)
        mark_done(self.engine, job.source, finished=finished, outcome=outcome, interval=decision.interval,
                  next_due=decision.due, failures=decision.failures, error=error)
        entry = {"source": job.source, "job": job.job_id, "status": status, "stored": stored,
                 "next_due": decision.due.isoformat(), "interval_seconds": round(decision.interval, 3),
                 "failures": decision.failures, "error": error}
        level = logging.INFO if outcome.ok else logging.WARNING
        log.log(level, "%s %s: stored %d, next at %s", job.source, status, stored, entry["next_due"],
                extra={"event": "finished", **entry})
        return entry

    def _run_error(self, job: Job, run: RunRecord, end: JobEnd) -> str:
        """Why a crawl that ran did not finish cleanly, once: "the feed failed: 1 http_404", "lost pages:
        2 timeout", else its status; with Scrapyd's log URL.

        Why: the row's stats say what failed; the crawl's last output line ("Error: NAME:
        finished_with_errors (1 http_404)") only repeated the source and the status.
        """
        start, pages = HealthRun(job.started, run.status or "", run.stats).causes(self.options.kinds.get(job.source))
        error = "; ".join(filter(None, (start, pages and f"lost pages: {pages}"))) or run.status or "unknown"
        if end.exit_code is None and end.detail:  # Scrapyd: where its log is
            error += f" (log: {end.detail})"
        return error

    def _deliver_if_due(self) -> None:
        every = self.options.deliver_every
        now = self.clock()
        if every is not None and (self.last_delivery is None or now - self.last_delivery >= timedelta(seconds=every)):
            self._deliver(now)

    def _deliver(self, now: datetime) -> None:
        """Send pending alert matches; ``deliver`` itself honours each alert's digest period."""
        if self.options.deliver_every is None:
            return
        from monitor.alerts.deliver import deliver

        self.last_delivery = now
        try:
            report = deliver(self.engine, smtp_url=self.options.smtp_url)
        except Exception as exc:  # noqa: BLE001 - a mail outage must not stop the crawls
            log.error("alert delivery failed: %s", exc, extra={"event": "deliver_failed"})
            return
        log.info("alerts delivered: %s", report.to_dict(), extra={"event": "delivered", **report.to_dict()})

    def _sleep_seconds(self) -> float:
        if self.running:
            return POLL_SECONDS
        states = load_states(self.engine)
        upcoming = [s.next_due for n, s in states.items() if n in self.cadences]
        if not upcoming:
            return MAX_SLEEP_SECONDS
        wait = (min(upcoming) - self.clock()).total_seconds()
        return min(MAX_SLEEP_SECONDS, max(POLL_SECONDS, wait))
