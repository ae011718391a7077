"""HTTP routes beside the Streamlit app (served by st.App): binding a login to an HttpOnly cookie.

POST /auth/bind    {nonce}  → sets the session cookie (the token is made here, never shown to JS)
POST /auth/logout           → revokes the cookie's session and deletes the cookie
GET  /auth/whoami           → {"user": name or null}: lets tests and monitors check a cookie
GET  /juwei-static/...      → dashboard/static/ (the map's vendored Leaflet & co., dashboard/assets.py)
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from dashboard import assets, auth
from dashboard.config import env
from dashboard.store import transaction
from db import shared_engine


def _engine() -> Engine:
    return shared_engine()


NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _same_origin(request: Request) -> bool:
    """Refuse cross-site posts: the browser's Origin must name this host (or the proxy's public host),
    and Fetch Metadata, when sent, must say same-origin. Browsers send Origin on every POST."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None:
        # Only non-browser clients omit Origin on a POST; they can't ride a user's cookie anyway.
        return site is None
    if "://" not in origin:
        return False  # "null" (sandboxed frames, file: pages) and anything malformed
    origin_host = origin.split("://", 1)[1].rstrip("/").lower()
    hosts = {request.headers.get("host", "").lower()}
    hosts.update(
        h.strip().lower() for h in request.headers.get("x-forwarded-host", "").split(",") if h.strip()
    )
    return origin_host in hosts


def _secure(request: Request) -> bool:
    """Mark the cookie Secure when configured or when the request came over HTTPS."""
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return env().cookie_secure or request.url.scheme == "https" or forwarded == "https"


async def bind(request: Request) -> Response:
    if not _same_origin(request):
        return JSONResponse({"ok": False}, status_code=403, headers=NO_STORE)
    # A JSON body can't be sent cross-site without a CORS preflight (which we never grant),
    # unlike a form post: a second guard beside the Origin check.
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        return JSONResponse({"ok": False}, status_code=415, headers=NO_STORE)
    try:
        body = await request.json()
    except ValueError:
        return JSONResponse({"ok": False}, status_code=400, headers=NO_STORE)
    nonce = body.get("nonce") if isinstance(body, dict) else None
    if not isinstance(nonce, str) or not nonce or len(nonce) > 200:
        return JSONResponse({"ok": False}, status_code=400, headers=NO_STORE)
    with transaction(_engine()) as s:
        bound = auth.bind_session(s, nonce)
    if bound is None:
        return JSONResponse({"ok": False}, status_code=400, headers=NO_STORE)
    token, expires_at = bound
    response = JSONResponse({"ok": True}, headers=NO_STORE)
    max_age = max(60, int((expires_at - dt.datetime.now()).total_seconds()))
    response.set_cookie(
        auth.COOKIE_NAME,
        token,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )
    return response


async def logout(request: Request) -> Response:
    if not _same_origin(request):
        return JSONResponse({"ok": False}, status_code=403, headers=NO_STORE)
    token = request.cookies.get(auth.COOKIE_NAME)
    if token:
        with transaction(_engine()) as s:
            auth.revoke_token(s, token)
    response = JSONResponse({"ok": True}, headers=NO_STORE)
    response.delete_cookie(
        auth.COOKIE_NAME, path="/", httponly=True, samesite="strict", secure=_secure(request)
    )
    return response


async def whoami(request: Request) -> Response:
    with Session(_engine()) as s:
        user = auth.user_for_token(s, request.cookies.get(auth.COOKIE_NAME))
    return JSONResponse(
        {"user": user.username if user else None, "role": user.role if user else None}, headers=NO_STORE
    )


def routes() -> list[BaseRoute]:
    """The routes st.App mounts beside Streamlit."""
    return [
        Route("/auth/bind", bind, methods=["POST"]),
        Route("/auth/logout", logout, methods=["POST"]),
        Route("/auth/whoami", whoami, methods=["GET"]),
        assets.static_route(),  # the map's Leaflet & co., so it draws with no internet
    ]
