"""The dashboard application: FastAPI with server-rendered Jinja2 pages, a JSON API and Atom feeds.

Security is set up here, in one place: Jinja2 autoescaping on, signed session
cookies, CSRF checked on every POST, a strict Content-Security-Policy (no inline
script; JavaScript lives in static files), and error pages that never show a
traceback.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import quote
from typing import Any

import jinja2
from fastapi import Depends, FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from monitor.config import load_config
from monitor.db import connect
from monitor.web.auth import SessionCheckMiddleware, session_secret
from monitor.web.csrf import csrf_token, verify_csrf
from monitor.web.data import FacetCache
from monitor.web.throttle import LoginThrottle

HERE = Path(__file__).parent
LOG = logging.getLogger(__name__)
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]

# ServerErrorMiddleware sits outside every user middleware, so the 500 responses set the headers themselves.
ERROR_HEADERS = {k.decode(): v.decode() for k, v in SECURITY_HEADERS}


class SecurityHeadersMiddleware:
    """Adds the CSP and friends to every response, error pages included; HTML pages also get
    ``Cache-Control: no-store`` (a signed-in user's inbox must not stay in a shared or back-button cache)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                html = any(k.lower() == b"content-type" and v.startswith(b"text/html") for k, v in headers)
                headers += [(k, v) for k, v in SECURITY_HEADERS if k not in names]
                if html and b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def safe_url(value: Any) -> str | None:
    """``value`` when it is an http(s) URL, else None: crawled links never become ``javascript:`` hrefs."""
    text = str(value or "").strip()
    return text if text.lower().startswith(("http://", "https://")) else None


def make_templates() -> Jinja2Templates:
    """Jinja2 with autoescaping forced on for every template."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True)
    env.filters["safe_url"] = safe_url
    env.filters["pathq"] = lambda v: quote(str(v), safe="")
    env.filters["iso"] = lambda d: d.isoformat(timespec="minutes") if hasattr(d, "isoformat") else (d or "")
    env.filters["day"] = lambda d: d.date().isoformat() if hasattr(d, "date") else (str(d)[:10] if d else "")
    return Jinja2Templates(env=env)


def render(request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200,
           headers: dict[str, str] | None = None) -> HTMLResponse:
    """A page, with the signed-in user and the session's CSRF token in its context."""
    templates: Jinja2Templates = request.app.state.templates
    ctx = {"user": request.session.get("user"), "csrf_token": csrf_token(request), **(context or {})}
    return templates.TemplateResponse(request, name, ctx, status_code=status_code, headers=headers)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def create_app(db_url: str | None = None, *, engine: Engine | None = None, secret: str | None = None,
               https_only: bool = False) -> FastAPI:
    """The dashboard over ``engine`` (or ``db_url``, migrated on start; default MONITOR_DB_URL)."""
    from monitor.web import alert_pages, api, feeds, pages

    config = load_config()
    engine = engine or connect(db_url)
    app = FastAPI(title="monitor dashboard API", version="1", docs_url=None, redoc_url=None,
                  dependencies=[Depends(verify_csrf)],
                  openapi_url="/api/openapi.json",
                  description="Read-only JSON API over alerts, search, articles, stories, topic trends and "
                              "source health. Atom feeds: /feeds/alerts/{name}.atom, /feeds/topics/{topic}.atom.")
    app.state.engine = engine
    app.state.templates = make_templates()
    app.state.facets = FacetCache(engine)
    app.state.login_throttle = LoginThrottle()
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(pages.router)
    app.include_router(alert_pages.router)
    app.include_router(api.router)
    app.include_router(feeds.router)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        """The icon at the path browsers and feed readers ask for unprompted (pages also link it): an SVG."""
        return FileResponse(HERE / "static" / "favicon.svg", media_type="image/svg+xml")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Any:
        if _wants_json(request):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        return render(request, "error.html", {"status": exc.status_code, "message": exc.detail},
                      status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Any:
        if _wants_json(request):
            return await request_validation_exception_handler(request, exc)
        message = "; ".join(f"{'.'.join(str(x) for x in e.get('loc', ())[1:])}: {e.get('msg', '')}"
                            for e in exc.errors())
        return render(request, "error.html", {"status": 422, "message": message}, status_code=422)

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Any:
        LOG.exception("unhandled error on %s %s", request.method, request.url.path)
        if _wants_json(request):
            return JSONResponse({"detail": "internal error (logged on the server)"}, status_code=500,
                                headers=ERROR_HEADERS)
        html = app.state.templates.get_template("500.html").render()
        return HTMLResponse(html, status_code=500, headers=ERROR_HEADERS)

    # Middleware: the last added runs first; the security headers wrap everything. The signed cookie is
    # decoded first, then its sign-in is checked against web_users (a cookie alone cannot be revoked).
    app.add_middleware(SessionCheckMiddleware, engine=engine)
    app.add_middleware(SessionMiddleware, secret_key=secret or session_secret(config.data_dir),
                       session_cookie="monitor_session", max_age=14 * 24 * 3600, same_site="lax",
                       https_only=https_only)
    app.add_middleware(SecurityHeadersMiddleware)
    return app
