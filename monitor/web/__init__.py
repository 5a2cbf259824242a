"""The analysts' web dashboard: server-rendered pages, a JSON API and Atom feeds over the stored data.

    from monitor.web import create_app
    app = create_app("sqlite:///monitor.sqlite")      # then: uvicorn, or `monitor serve`

Pages call the same functions as the CLI (monitor.alerts, monitor.search,
monitor.stories, monitor.queries); see docs/dashboard.md.
"""

from monitor.web.app import create_app

__all__ = ["create_app"]
