"""Settings that users set from the environment, read in one place.

Every component asks this module rather than ``os.environ`` so that defaults are
documented once: a SQLite file in the working directory, no Redis, no SMTP.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DB_FILENAME = "monitor.sqlite"
USER_AGENT = "defence-monitor/0.1 (+https://github.com/defence-monitor/monitor; media monitoring)"


@dataclass(frozen=True, slots=True)
class Config:
    """A snapshot of the environment-provided settings."""

    db_url: str
    data_dir: Path
    redis_url: str | None
    smtp_url: str | None
    user_agent: str


def load_config(environ: dict[str, str] | None = None) -> Config:
    """Read ``MONITOR_*`` variables; unset ones fall back to single-machine defaults."""
    env = os.environ if environ is None else environ
    data_dir = Path(env.get("MONITOR_DATA_DIR") or Path.cwd())
    db_url = env.get("MONITOR_DB_URL") or f"sqlite:///{data_dir / DEFAULT_DB_FILENAME}"
    return Config(
        db_url=db_url,
        data_dir=data_dir,
        redis_url=env.get("MONITOR_REDIS_URL") or None,
        smtp_url=env.get("MONITOR_SMTP_URL") or None,
        user_agent=env.get("MONITOR_USER_AGENT") or USER_AGENT,
    )
