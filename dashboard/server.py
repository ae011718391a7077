"""HTTP routes beside the Streamlit app (served by st.App): binding a login to an HttpOnly cookie.

POST /auth/bind    {nonce}  → sets the session cookie (the token is made here, never shown to JS)
POST /auth/logout           → revokes the cookie's session and deletes the cookie
GET  /auth/whoami           → {"user": name or null}: lets tests and monitors check a cookie
"""

from __future__ import annotations

import datetime as dt
from functools import cache

from sqlalchemy import Engine
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from dashboard import auth
from dashboard.config import env
from dashboard.store import transaction
from db import make_engine


@cache
def _engine() -> Engine:
    return make_engine()


def _same_origin(request: Request) -> bool:
    """Refuse cross-site posts: the Origin (when sent) must name this host."""
    origin = request.headers.get("origin")
    if not origin:
        return True
    host = request.headers.get("host", "")
    return origin.split("://", 1)[-1].rstrip("/") == host


async def bind(request: Request) -> Response:
    if not _same_origin(request):
        return JSONResponse({"ok": False}, status_code=403)
    try:
        body = await request.json()
        nonce = str(body.get("nonce", ""))[:200]
    except ValueError:
        return JSONResponse({"ok": False}, status_code=400)
    with transaction(_engine()) as s:
        bound = auth.bind_session(s, nonce)
    if bound is None:
        return JSONResponse({"ok": False}, status_code=400)
    token, expires_at = bound
    response = JSONResponse({"ok": True})
    max_age = max(60, int((expires_at - dt.datetime.now()).total_seconds()))
    response.set_cookie(
        auth.COOKIE_NAME,
        token,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="strict",
        secure=env().cookie_secure,
    )
    return response


async def logout(request: Request) -> Response:
    if not _same_origin(request):
        return JSONResponse({"ok": False}, status_code=403)
    token = request.cookies.get(auth.COOKIE_NAME)
    if token:
        with transaction(_engine()) as s:
            auth.revoke_token(s, token)
    response = JSONResponse({"ok": True})
    response.delete_cookie(auth.COOKIE_NAME, path="/")
    return response


async def whoami(request: Request) -> Response:
    with transaction(_engine()) as s:
        user = auth.user_for_token(s, request.cookies.get(auth.COOKIE_NAME))
    return JSONResponse({"user": user.username if user else None, "role": user.role if user else None})


def routes() -> list[BaseRoute]:
    """The routes st.App mounts beside Streamlit."""
    return [
        Route("/auth/bind", bind, methods=["POST"]),
        Route("/auth/logout", logout, methods=["POST"]),
        Route("/auth/whoami", whoami, methods=["GET"]),
    ]
