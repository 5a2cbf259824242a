"""``--set NAME=VALUE``: Scrapy setting overrides, checked before anything starts.

Why: Scrapy reads a setting with the type its default has, deep inside the crawl;
``--set DOWNLOAD_TIMEOUT=abc`` used to end in two "Unhandled error in Deferred"
tracebacks, a run with status "unknown" and exit status 0. A value whose setting
has a number or a flag by default must parse as one here.
"""

from __future__ import annotations

import click

_FLAGS = {"1", "0", "true", "false", "True", "False"}  # exactly what Scrapy's getbool accepts
# Settings whose default is a whole number but that Scrapy reads with getfloat
_READ_AS_FLOAT = {"DOWNLOAD_DELAY", "DOWNLOAD_TIMEOUT", "CLOSESPIDER_TIMEOUT", "CLOSESPIDER_TIMEOUT_NO_ITEM",
                  "AUTOTHROTTLE_START_DELAY", "AUTOTHROTTLE_MAX_DELAY", "AUTOTHROTTLE_TARGET_CONCURRENCY",
                  "MONITOR_PROGRESS", "MONITOR_LOOP_LAG_INTERVAL", "MONITOR_RETRY_AFTER_MAX", "MONITOR_WORKER_IDLE"}


def parse_set_options(pairs: tuple[str, ...]) -> dict[str, str]:
    """``{NAME: VALUE}`` from ``NAME=VALUE`` pairs; BadParameter naming a malformed pair or a mistyped value."""
    from monitor.crawl.runner import project_settings

    defaults = project_settings()
    overrides: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{pair!r}: expected NAME=VALUE", param_hint="--set")
        _check_type(name, value, defaults.get(name))
        overrides[name] = value
    return overrides


def _check_type(name: str, value: str, default: object) -> None:
    if isinstance(default, bool):
        if value not in _FLAGS:
            raise click.BadParameter(f"{name}={value!r}: expected a flag (true/false, 1/0)", param_hint="--set")
        return
    if isinstance(default, float) or (isinstance(default, int) and name in _READ_AS_FLOAT):
        try:
            float(value)
        except ValueError:
            raise click.BadParameter(f"{name}={value!r}: expected a number (its default is {default!r})",
                                     param_hint="--set") from None
    elif isinstance(default, int):
        try:
            int(value)
        except ValueError:
            raise click.BadParameter(f"{name}={value!r}: expected a whole number (its default is {default!r})",
                                     param_hint="--set") from None
