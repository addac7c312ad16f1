"""What keeps `papercast serve` to its reader: where it may listen, who may come in, which
requests may change anything, and what a page may load.

- **Binding**: 127.0.0.1, ::1 and localhost need nothing; any other address needs
  ``[serve] token`` (from the environment), or the server refuses to start.
- **Token**: with one set, every request needs it: ``?token=`` once (the app then keeps a
  cookie derived from it, and drops the token from the address), or ``Authorization: Bearer``.
- **Host**: on a local bind only local host names are answered (no DNS rebinding).
- **CSRF**: every state-changing request carries a token bound to the browser's session
  cookie (HMAC with a per-process secret); cross-site requests are refused outright.
- **CSP** and friends on every response: scripts and styles only from the app itself.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import time
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from papercast.errors import ConfigError

SESSION_COOKIE = "papercast_session"
AUTH_COOKIE = "papercast_auth"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
LOCAL_NAMES = {"localhost", "127.0.0.1", "::1"}

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
# Published files (issue.html has its own inline styles) are shown as untrusted documents.
FILES_CSP = (
    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data: https:; "
    "media-src 'self'"
)
HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}


def is_local(host: str) -> bool:
    """Whether binding ``host`` only listens on this machine (loopback)."""
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """A ConfigError (exit 2) when ``host`` is not local and no token is set."""
    if not is_local(host) and not token:
        raise ConfigError(
            f"papercast serve will not listen on {host} without a token: anyone who can reach "
            "it could read your store and spend your API budget",
            "set PAPERCAST_SERVE__TOKEN to a long random value (e.g. `python -c "
            '"import secrets; print(secrets.token_urlsafe(32))"`), or bind 127.0.0.1',
        )


class Guard:
    """The per-process secrets: the CSRF key, and the token's cookie value."""

    def __init__(self, token: str | None, *, local: bool) -> None:
        self.token = token or None
        self.local = local
        self._key = secrets.token_bytes(32)

    def csrf_token(self, session: str) -> str:
        return hmac.new(self._key, b"csrf:" + session.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, session: str | None, given: str | None) -> bool:
        if not session or not given:
            return False
        return hmac.compare_digest(self.csrf_token(session), given)

    def auth_cookie(self) -> str:
        assert self.token is not None
        return hmac.new(self.token.encode(), b"papercast-auth", hashlib.sha256).hexdigest()

    def token_ok(self, given: str) -> bool:
        return self.token is not None and hmac.compare_digest(
            given.encode("utf-8", "surrogateescape"), self.token.encode()
        )


def _cookies(scope: Scope) -> dict[str, str]:
    raw = b"; ".join(v for k, v in scope.get("headers", []) if k == b"cookie")
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw.decode("latin-1"))
    except Exception:  # a malformed Cookie header is no cookie
        return {}
    return {k: m.value for k, m in jar.items()}


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _host_name(host_header: str) -> str:
    if host_header.startswith("["):
        return host_header[1 : host_header.find("]")].lower()
    return host_header.rsplit(":", 1)[0].lower() if host_header.count(":") == 1 else host_header


class SecurityMiddleware:
    """Host check, token, session cookie, cross-site refusal and security headers (pure ASGI,
    so streamed responses such as server-sent events pass through untouched)."""

    def __init__(self, app: ASGIApp, guard: Guard) -> None:
        self.app = app
        self.guard = guard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        guard = self.guard
        host = _host_name(_header(scope, b"host") or "")
        if guard.local and host not in LOCAL_NAMES:
            await _plain(send, 421, "This papercast answers only to localhost.")
            return
        cookies = _cookies(scope)
        if guard.token is not None:
            handled = await self._authenticate(scope, send, cookies)
            if handled:
                return
        if scope["method"] not in ("GET", "HEAD", "OPTIONS") and _cross_site(scope):
            await _plain(send, 403, "Cross-site requests are refused.")
            return
        session = cookies.get(SESSION_COOKIE)
        new_session = None
        if not session or len(session) > 100:
            session = new_session = secrets.token_urlsafe(24)
        scope.setdefault("state", {})["session"] = session
        scope["state"]["csrf"] = guard.csrf_token(session)
        scope["state"]["guard"] = guard

        started = time.perf_counter()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                elapsed = (time.perf_counter() - started) * 1000
                headers["server-timing"] = f"app;dur={elapsed:.1f}"  # (bench/bench_serve.py)
                if "content-security-policy" not in headers:
                    headers["content-security-policy"] = CSP
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
                if new_session:
                    headers.append(
                        "set-cookie",
                        f"{SESSION_COOKIE}={new_session}; Path=/; HttpOnly; SameSite=Strict",
                    )
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _authenticate(self, scope: Scope, send: Send, cookies: dict[str, str]) -> bool:
        """True when the request was answered here (redirect or refusal)."""
        guard = self.guard
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        given = next((v for k, v in query if k == "token"), None)
        if given is not None:
            if not guard.token_ok(given):
                await _plain(send, 401, "Wrong token.")
                return True
            rest = urlencode([(k, v) for k, v in query if k != "token"])
            location = scope.get("path", "/") + (f"?{rest}" if rest else "")
            cookie = f"{AUTH_COOKIE}={guard.auth_cookie()}; Path=/; HttpOnly; SameSite=Strict"
            await _plain(send, 303, "Signed in.", [("location", location), ("set-cookie", cookie)])
            return True
        bearer = _header(scope, b"authorization") or ""
        if bearer.lower().startswith("bearer ") and guard.token_ok(bearer[7:].strip()):
            return False
        if hmac.compare_digest(cookies.get(AUTH_COOKIE, ""), guard.auth_cookie()):
            return False
        await _plain(
            send,
            401,
            "This papercast needs its token: open this address once with ?token=<your "
            "[serve] token> (PAPERCAST_SERVE__TOKEN).",
        )
        return True


def _cross_site(scope: Scope) -> bool:
    """A browser says the request comes from another site (Sec-Fetch-Site, else Origin)."""
    site = _header(scope, b"sec-fetch-site")
    if site is not None:
        return site not in ("same-origin", "none")
    origin = _header(scope, b"origin")
    if origin is None or origin == "null":
        return origin == "null"
    host = _header(scope, b"host") or ""
    return origin.split("://", 1)[-1] != host


async def _plain(
    send: Send, status: int, text: str, headers: list[tuple[str, str]] | None = None
) -> None:
    body = (text + "\n").encode()
    raw = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"content-security-policy", CSP.encode()),
        (b"x-content-type-options", b"nosniff"),
    ]
    raw += [(k.encode(), v.encode("latin-1")) for k, v in headers or []]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
