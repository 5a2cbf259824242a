"""Where a scheduled crawl runs: a local ``monitor crawl NAME`` process, or a Scrapyd job.

Both launchers have the same three calls (``launch``, ``poll``, ``stop``) so the
daemon does not care which it drives. What a crawl did is read afterwards from
``crawl_runs`` (the crawl records itself, wherever it ran); the launcher only
says whether the job is still running and, locally, how the process exited.
A local crawl's output goes to ``DIR/SOURCE.log`` (``log_dir``), rotated by size.
A local crawl gets the database URL in its environment (``MONITOR_DB_URL``), never on
its command line, which ``ps`` shows every local user; on Linux it is sent SIGTERM
when the scheduler dies (``PR_SET_PDEATHSIG``), so a killed scheduler leaves no crawl running unbounded.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

LOG_MAX_BYTES = 10 * 1024 * 1024  # a source's log is rotated at launch once it is larger (0: never)
LOG_KEEP = 5  # rotated logs kept per source: SOURCE.log.1 (newest) to SOURCE.log.5


PR_SET_PDEATHSIG = 1  # prctl(2) option: the signal a process gets when its parent dies (Linux)


class LaunchError(OSError):
    """A job could not be started (process or Scrapyd refused); the message says which and why.

    ``outage``: the runner itself is out (Scrapyd unreachable, no process could be started),
    not something of this source; the scheduler then neither backs the source off nor marks it broken.
    """

    def __init__(self, message: str, *, outage: bool = False) -> None:
        super().__init__(message)
        self.outage = outage


@dataclass
class Job:
    """One launched crawl of one source."""

    source: str
    job_id: str
    started: datetime
    handle: Any = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class JobEnd:
    """How a job ended: ``exit_code`` is None when the runner does not report one (Scrapyd)."""

    exit_code: int | None
    detail: str = ""


class Launcher(Protocol):
    def launch(self, source: str, started: datetime) -> Job: ...

    def poll(self, job: Job) -> JobEnd | None:
        """None while running."""
        ...

    def stop(self, job: Job) -> None: ...


class LocalLauncher:
    """Runs ``python -m monitor crawl NAME`` as a child process (Scrapy's reactor runs once per process)."""

    def __init__(self, *, catalogue: Path | None = None, base_url: str | None = None, db_url: str | None = None,
                 settings: dict[str, str] | None = None, log_dir: Path | None = None,
                 log_max_bytes: int = LOG_MAX_BYTES, log_keep: int = LOG_KEEP,
                 command: list[str] | None = None, env: dict[str, str] | None = None) -> None:
        self.command = command or [sys.executable, "-m", "monitor", "crawl"]
        self.args: list[str] = []
        if catalogue:
            self.args += ["--catalogue", str(catalogue)]
        if base_url:
            self.args += ["--base-url", base_url]
        for name, value in (settings or {}).items():
            self.args += ["--set", f"{name}={value}"]
        self.log_dir = log_dir
        self.log_max_bytes = log_max_bytes
        self.log_keep = log_keep
        # The URL may hold a password: in the environment only the user and root can read it (/proc/PID/environ)
        self.env = {**os.environ, **(env or {}), **({"MONITOR_DB_URL": db_url} if db_url else {})}

    def argv(self, source: str) -> list[str]:
        return [*self.command, source, *self.args]

    def launch(self, source: str, started: datetime) -> Job:
        if self.log_dir:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            path = self.log_dir / f"{source}.log"
            rotate_log(path, self.log_max_bytes, self.log_keep)
            out: Any = open(path, "a+b")  # noqa: SIM115 - closed in poll()
            write_marker(out, f"{source}: crawl started", started)
        else:
            out = tempfile.TemporaryFile()  # noqa: SIM115 - a file, not a pipe: a chatty child never blocks
        try:
            process = subprocess.Popen(self.argv(source), stdout=out, stderr=subprocess.STDOUT, env=self.env,
                                       start_new_session=True, preexec_fn=die_with_parent())
        except OSError as exc:
            out.close()
            raise LaunchError(f"could not start the crawl of {source!r}: {exc}", outage=True) from exc
        return Job(source, str(process.pid), started, (process, out))

    def adopt(self, source: str, job_id: str, started: datetime) -> Job | None:
        """The crawl of ``source`` a previous scheduler launched as process ``job_id``, if it still runs; else None.

        Why: a scheduler killed with SIGKILL leaves its crawls running (before PR_SET_PDEATHSIG, or
        while they close after its SIGTERM); marking them crashed would show a source broken and back
        it off although its crawl then finishes, and launching it again would exceed the concurrency
        bound. Adopted only when ``/proc/PID/cmdline`` shows this launcher's crawl of ``source`` (a
        reused pid is not), so off Linux nothing is adopted. Its end is read from ``crawl_runs``.
        """
        if not job_id.isdigit() or not running_command(int(job_id), [*self.command, source]):
            return None
        return Job(source, job_id, started, (int(job_id), None))

    def poll(self, job: Job) -> JobEnd | None:
        process, out = job.handle
        if out is None:  # adopted: not our child, so no exit code; the crawl_runs row says how it ended
            if running_command(process, [*self.command, job.source]):
                return None
            if self.log_dir:
                with open(self.log_dir / f"{job.source}.log", "ab") as log_file:
                    write_marker(log_file, f"{job.source}: crawl ended (job {job.job_id}, adopted after a "
                                           "scheduler restart)", datetime.now(timezone.utc))
            return JobEnd(None, "")
        code = process.poll()
        if code is None:
            return None
        out.seek(max(0, out.seek(0, os.SEEK_END) - 4096))
        lines = out.read().decode("utf-8", "replace").strip().splitlines()
        if self.log_dir:
            write_marker(out, f"{job.source}: crawl ended, exit code {code} (job {job.job_id})",
                         datetime.now(timezone.utc))
        out.close()
        return JobEnd(code, lines[-1] if lines and code else "")

    def stop(self, job: Job) -> None:
        process, out = job.handle
        if out is None:  # adopted
            if running_command(process, [*self.command, job.source]):
                os.kill(process, signal.SIGTERM)
        elif process.poll() is None:
            process.send_signal(signal.SIGTERM)  # Scrapy closes the spider gracefully and records the run


def running_command(pid: int, prefix: list[str]) -> bool:
    """True while process ``pid`` runs (not a zombie) and its command line starts with ``prefix`` (Linux /proc)."""
    proc = Path("/proc") / str(pid)
    try:
        cmdline = (proc / "cmdline").read_bytes().split(b"\0")
        state = (proc / "stat").read_bytes().rsplit(b")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != b"Z" and [arg.decode("utf-8", "replace") for arg in cmdline[:len(prefix)]] == prefix


def die_with_parent() -> Any:
    """A ``preexec_fn`` that has the child sent SIGTERM when the scheduler dies (Linux); None elsewhere.

    Why: a scheduler killed with SIGKILL cannot stop its crawls (they run in their own session),
    and a restarted one would run more than ``--concurrency`` beside them. SIGTERM, not SIGKILL:
    Scrapy closes the spider and records the run. The signal follows the launching thread:
    launch from a thread that outlives its crawls (the CLI's main thread does).
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # the scheduler died before prctl: nobody will get this crawl's end
            os.kill(os.getpid(), signal.SIGTERM)

    return preexec


def write_marker(out: Any, text: str, when: datetime) -> None:
    """Append ``==== TIME TEXT ====`` (UTC, to the second) to a source's log file ``out``.

    Why: crawls of a source append to one file, and a clean run prints only its counts
    line; without a marker nobody can tell where one run ends and when the next began.
    Written before the crawl process starts and after it has exited, never while it writes.
    """
    stamp = when.astimezone(timezone.utc).isoformat(timespec="seconds")
    out.write(f"==== {stamp} {text} ====\n".encode())
    out.flush()


def rotate_log(path: Path, max_bytes: int, keep: int) -> None:
    """Once ``path`` is larger than ``max_bytes`` (0: never), shift it to ``path.1``, ``.1`` to ``.2``, ...,
    dropping ``path.KEEP`` (``keep`` 0: the log starts over).

    Why: each crawl of a source appends to one file, which a daemon running for
    months would grow without bound. Checked at launch, when no crawl writes it
    (a source runs once at a time), so a file exceeds the limit by one crawl's output at most.
    """
    try:
        if not max_bytes or path.stat().st_size <= max_bytes:
            return
    except FileNotFoundError:
        return
    names = [path, *(path.with_name(f"{path.name}.{n}") for n in range(1, keep + 1))]
    names[-1].unlink(missing_ok=True)
    for newer, older in zip(reversed(names[:-1]), reversed(names[1:])):
        try:
            newer.replace(older)
        except FileNotFoundError:
            continue


class ScrapydLauncher:
    """Sends crawls to a Scrapyd node's ``schedule.json`` and watches ``listjobs.json``."""

    def __init__(self, url: str, *, project: str = "monitor", settings: dict[str, str] | None = None,
                 timeout: float = 30.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise LaunchError(f"--scrapyd {url!r}: expected an http(s):// URL of a Scrapyd node")
        self.url = url.rstrip("/") + "/"
        self.project = project
        self.settings = settings or {}
        self.timeout = timeout

    def _call(self, endpoint: str, data: list[tuple[str, str]] | None = None) -> dict[str, Any]:
        url = self.url + endpoint
        body = None
        if data is None:
            url += "?" + urllib.parse.urlencode({"project": self.project})
        else:
            body = urllib.parse.urlencode(data).encode()
        try:
            with urllib.request.urlopen(url, data=body, timeout=self.timeout) as response:  # noqa: S310 - operator URL
                answer = json.loads(response.read().decode("utf-8"))
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise LaunchError(f"Scrapyd at {self.url}: {endpoint}: {exc}", outage=True) from exc
        if answer.get("status") != "ok":
            raise LaunchError(f"Scrapyd at {self.url}: {endpoint}: {answer.get('message', answer)}")
        return answer

    def launch(self, source: str, started: datetime) -> Job:
        data = [("project", self.project), ("spider", source)]
        data += [("setting", f"{name}={value}") for name, value in self.settings.items()]
        answer = self._call("schedule.json", data)
        return Job(source, str(answer["jobid"]), started)

    def poll(self, job: Job) -> JobEnd | None:
        jobs = self._call("listjobs.json")
        for entry in jobs.get("finished", []):
            if entry.get("id") == job.job_id:
                return JobEnd(None, entry.get("log_url") or "")
        known = {entry.get("id") for key in ("pending", "running") for entry in jobs.get(key, [])}
        if job.job_id in known:
            return None
        return JobEnd(None, "job vanished from Scrapyd")

    def stop(self, job: Job) -> None:
        try:
            self._call("cancel.json", [("project", self.project), ("job", job.job_id)])
        except LaunchError:
            pass
