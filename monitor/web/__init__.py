"""The analysts' web dashboard: server-rendered pages, a JSON API and Atom feeds over the stored data.

    from monitor.web import create_app
    app = create_app("sqlite:///monitor.sqlite")      # then: uvicorn, or `monitor serve`

Pages call the same functions as the CLI (monitor.alerts, monitor.search,
monitor.stories, monitor.queries); see docs/dashboard.md.

``create_app`` is imported on first use: the crawler loads ``monitor.web.models``
(the dashboard's tables) with every other model, and must not pay for FastAPI,
Jinja and pydantic at each start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from monitor.web.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from monitor.web.app import create_app

        return create_app
    raise AttributeError(f"module 'monitor.web' has no attribute {name!r}")
