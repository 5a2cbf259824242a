"""Options shared by several command families."""

from __future__ import annotations

import click

DB_OPTION = click.option("--db", "db_url", envvar="MONITOR_DB_URL",
                         help="Database URL (default: MONITOR_DB_URL or ./monitor.sqlite).")
