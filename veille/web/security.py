"""What keeps the dashboard safe: the access token, the Host check and the security headers.

- With a token (``VEILLE_WEB_TOKEN``), every page and API call needs it: an
  ``Authorization: Bearer`` header, or the cookie that ``?token=`` sets (a login link that
  redirects to the same page without the token in the address). The stylesheet is public.
- Without a token, the server only answers requests addressed to a loopback name, so that a
  web page elsewhere cannot read it through a DNS name rebound to 127.0.0.1; the refusal says
  which names it answers for, and that the token lifts the restriction (a page for people, in
  their language; JSON in English for the API).
- Every response carries a strict Content-Security-Policy (no script at all, styles from the
  server only) and headers that forbid framing, sniffing and sending the address on.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Callable, Sequence
from urllib.parse import urlencode

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

TOKEN_ENV = "VEILLE_WEB_TOKEN"
TOKEN_COOKIE = "veille_token"
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
PUBLIC_PREFIX = "/static/"


def local_path(request: Request) -> str:
    """The request's path as a link that stays on this server.

    A path asked as "//evil.example/x" (or "/\\evil.example", which browsers read alike) would
    otherwise be a link to another site in the page that echoes it: one leading slash only.
    """
    return "/" + request.url.path.lstrip("/\\")


def is_loopback(host: str) -> bool:
    """Tell whether a host to bind (or a Host header's name) only reaches this machine."""
    name = host.strip().strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_name(header: str) -> str:
    """The name of a Host header, without its port ("[::1]:8080" gives "::1")."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].partition("]")[0]
    return header.rpartition(":")[0] if header.count(":") == 1 else header


def same_token(given: str | None, token: str) -> bool:
    """Compare a presented token with the expected one in constant time."""
    return given is not None and hmac.compare_digest(given.encode(), token.encode())


def cookie_value(token: str) -> str:
    """What the login cookie holds: a digest of the token (plain hex, not the token itself)."""
    return hashlib.sha256(b"veille-web-cookie:" + token.encode()).hexdigest()


class Guard:
    """ASGI middleware: Host check, access token and security headers on every response."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        token: str | None,
        allowed_hosts: Sequence[str] | None,
        login_page: Callable[[Request, bool], Response],
        wrong_host_page: Callable[[Request, str, Sequence[str]], Response],
    ) -> None:
        self.app = app
        self.token = token
        self.allowed_hosts = (
            None
            if allowed_hosts is None
            else tuple(dict.fromkeys(h.lower() for h in allowed_hosts))
        )
        self.login_page = login_page
        self.wrong_host_page = wrong_host_page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer the request, or refuse it, always with the security headers."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
                if not scope["path"].startswith(PUBLIC_PREFIX):
                    headers["cache-control"] = "no-store"
            await send(message)

        refusal = self._refusal(Request(scope))
        if refusal is not None:
            await refusal(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

    def _refusal(self, request: Request) -> Response | None:
        """The response refusing this request, or None to let it through."""
        public = request.url.path.startswith(PUBLIC_PREFIX)
        if self.allowed_hosts is not None and not public:
            # The stylesheet is public: the refusal page has its style.
            name = host_name(request.headers.get("host", ""))
            if name not in self.allowed_hosts:
                return self._wrong_host(request, name, self.allowed_hosts)
        if self.token is None or public:
            return None
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        bearer = credentials.strip() if scheme.lower() == "bearer" else None
        cookie = request.cookies.get(TOKEN_COOKIE)
        if same_token(bearer, self.token) or same_token(cookie, cookie_value(self.token)):
            return None
        offered = request.query_params.get("token")
        if same_token(offered, self.token) and request.method in ("GET", "HEAD"):
            return self._login(request)
        if request.url.path.startswith("/api/"):
            return JSONResponse(
                {
                    "error": "unauthorized",
                    "message": f"this server needs its access token ({TOKEN_ENV})",
                },
                status_code=401,
                headers={"www-authenticate": "Bearer"},
            )
        return self.login_page(request, offered is not None)

    def _wrong_host(self, request: Request, name: str, answered: Sequence[str]) -> Response:
        """Refuse a request addressed to a name this server does not answer for, saying which
        it answers for and what lifts that."""
        if not request.url.path.startswith("/api/"):
            return self.wrong_host_page(request, name, answered)
        message = (
            f"this server does not answer for {name!r}, only for {', '.join(answered)}: "
            f"open it under one of these names, or start it with {TOKEN_ENV} set (see the "
            "README, Access token) to answer for any name"
        )
        body = {"error": "bad_host", "message": message, "parameter": None}
        return JSONResponse(body, status_code=400)

    def _login(self, request: Request) -> Response:
        """Set the token cookie and come back to the same address without the token in it."""
        kept = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
        target = local_path(request) + (f"?{urlencode(kept)}" if kept else "")
        response = RedirectResponse(target, status_code=303)
        token = str(self.token)
        response.set_cookie(TOKEN_COOKIE, cookie_value(token), httponly=True, samesite="strict")
        return response
