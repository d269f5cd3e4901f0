"""The review UI's application factory and its server.

Server-rendered pages (Jinja2, plain forms, no JavaScript needed) for staff, and a JSON API
under /api/ with token auth for scripts. Both read and write through the storage functions.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import quote, urlsplit

import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from probe import __version__
from probe.settings import Settings
from probe.web import (
    actions,
    admin,
    api,
    audit,
    auth,
    campaign_pages,
    dashboard,
    directory_page,
    evidence,
    organisations,
    pages,
    review_flow,
)
from probe.web.deps import LoginRequired, WebState, session_user
from probe.web.render import make_templates, render
from probe.web.security import SESSION_COOKIE, SESSION_MAX_AGE_S, LoginThrottle, SessionCodec

STATIC = Path(__file__).with_name("static")
# Nothing but our own files: an injected <script> could not run even if escaping failed.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "media-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'"
)


def create_app(*, settings: Settings, engine: Engine) -> FastAPI:
    app = FastAPI(
        title="contact-prober review API",
        version=__version__,
        description="Checks needing review, campaigns, organisations; reviews and re-queueing.",
        # The interactive docs load scripts from a CDN: only the spec itself is published.
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.web = WebState(
        settings=settings,
        engine=engine,
        codec=SessionCodec(settings.secret_key.get_secret_value()),
        throttle=LoginThrottle(),
        templates=make_templates(),
        data_dir=Path(settings.data_dir),
    )
    app.middleware("http")(_session_middleware)
    _install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    # The campaign pages first: /campaigns/new before any /campaigns/{id} route.
    # The campaign pages first: /campaigns/new before any /campaigns/{id} route.
    for module in (
        auth,
        campaign_pages,
        directory_page,
        pages,
        dashboard,
        organisations,
        review_flow,
        actions,
        admin,
        audit,
        evidence,
        api,
    ):
        app.include_router(module.router)
    return app


async def _session_middleware(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    state: WebState = request.app.state.web
    session = state.codec.loads(request.cookies.get(SESSION_COOKIE))
    request.state.web_session = session
    response = await call_next(request)
    if session.dirty and not request.url.path.startswith("/api/"):
        response.set_cookie(
            SESSION_COOKIE,
            state.codec.dumps(session),
            max_age=SESSION_MAX_AGE_S,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/",
        )
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if not request.url.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _to_login(request: Request, _error: LoginRequired) -> Response:
        if request.method == "POST" and not _is_api(request):
            return auth.expired_page(request, await request.form())
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    @app.exception_handler(actions.Refused)
    async def _refused(request: Request, error: actions.Refused) -> Response:
        # Shown on the check page itself, the input kept: not a bare error page.
        return actions.refused_page(request, error)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException) -> Response:
        if _is_api(request):
            return JSONResponse(
                {"detail": error.detail}, status_code=error.status_code, headers=error.headers
            )
        message = error.detail if _russian(error.detail) else _GENERIC.get(error.status_code)
        return _error_page(request, error.status_code, message or f"Ошибка {error.status_code}.")

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": _plain_errors(error)}, status_code=422)
        names = ", ".join(str(e["loc"][-1]) for e in error.errors())
        return _error_page(request, 422, f"Неверные параметры запроса: {names}.")


_GENERIC = {
    404: "Страница не найдена.",
    405: "Этот адрес не принимает такой запрос.",
    413: "Слишком большой запрос.",
}


def _russian(text: object) -> bool:
    return isinstance(text, str) and any("а" <= ch.lower() <= "я" for ch in text)


def _plain_errors(error: RequestValidationError) -> list[dict[str, object]]:
    # The raw errors may carry the offending input (bytes, exceptions) that JSON cannot encode.
    return [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in error.errors()]


def _error_page(request: Request, status: int, message: str) -> Response:
    # The session is read again here: errors raised before the dependency ran have none.
    if not hasattr(request.state, "web_session"):
        request.state.web_session = request.app.state.web.codec.loads(None)
    user = session_user(request)  # the menu stays: staff can go on from here
    context = {"status": status, "message": message, "back": _back_link(request)}
    return render(request, "error.html", context, user=user, status_code=status)


def _back_link(request: Request) -> str:
    """Where the staff member came from (a page of this site), else the queue."""
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc == request.url.netloc and referer.path.startswith("/"):
        path = referer.path + (f"?{referer.query}" if referer.query else "")
        return path if not path.startswith("//") else "/queue"
    return "/queue"


async def serve(
    *,
    settings: Settings,
    engine: Engine,
    host: str,
    port: int,
    stop: asyncio.Event | None = None,
    sock: socket.socket | None = None,
) -> None:
    """Run the UI in the current event loop (alone under `probe web`, beside the runner under
    `probe run --web`) until the server is told to stop. `sock`: a socket already bound (and
    its port known to the caller), used instead of `host` and `port`."""
    config = uvicorn.Config(
        create_app(settings=settings, engine=engine),
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        server_header=False,
        lifespan="off",  # the app has no start-up or shutdown hooks
    )
    server = uvicorn.Server(config)
    sockets = [sock] if sock is not None else None
    if stop is None:
        await server.serve(sockets)
        return

    async def _exit_on_stop() -> None:
        await stop.wait()
        server.should_exit = True  # a graceful shutdown, not a cancelled lifespan

    watcher = asyncio.create_task(_exit_on_stop())
    try:
        await server.serve(sockets)
    finally:
        watcher.cancel()
