"""Who may use the console: whoever opened the printed URL, from this machine, and nobody else.

- The URL carries a one-time token. The first request bearing it gets a session cookie
  (HttpOnly, SameSite=Strict) and a redirect to a URL without it; the token then stops working,
  so a URL left in a shell history or a screen share opens nothing.
- Every other request needs that cookie, static files included.
- The Host header must name the loopback address and port we listen on: a web page elsewhere
  cannot reach us through DNS rebinding (its requests would carry its own host name).
- A state-changing request is a POST carrying the session's CSRF token (and, when the browser
  sends one, a matching Origin); SameSite=Strict already keeps the cookie off cross-site POSTs.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

# Pages hold attacker-controlled text: no inline script or style may run, whatever slips through.
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
        " connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",  # "no-referrer" would make our own POSTs send Origin: null
    "cache-control": "no-store",
}

NOT_ALLOWED = (
    "This console needs the one-time URL `webhooks console` printed (already used? restart it)."
)


LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "[::1]"})


@dataclass
class Session:
    id: str
    csrf: str
    flashes: list[tuple[str, str]] = field(default_factory=list)  # (kind, text) to show once


@dataclass
class Guard:
    token: str
    port: int
    hosts: frozenset[str] = LOOPBACK_NAMES
    _sessions: dict[str, Session] = field(default_factory=dict)
    _token_used: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def create(cls, port: int, host: str = "127.0.0.1") -> Guard:
        """Also answers to the name it was started on (127.0.0.2, ::1...)."""
        name = f"[{host}]" if ":" in host else host
        return cls(token=secrets.token_urlsafe(32), port=port, hosts=LOOPBACK_NAMES | {name})

    @property
    def cookie(self) -> str:
        # Cookies ignore ports: two consoles on one machine must not overwrite each other's.
        return f"webhooks_console_{self.port}"

    def allowed_host(self, host: str) -> bool:
        name, _, port = host.rpartition(":")
        return name in self.hosts and port == str(self.port)

    def exchange(self, token: str) -> Session | None:
        """The token, once, for a new session."""
        with self._lock:
            if self._token_used or not hmac.compare_digest(token.encode(), self.token.encode()):
                return None
            self._token_used = True
            session = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(32))
            self._sessions[session.id] = session
            return session

    def session(self, cookie: str | None) -> Session | None:
        if not cookie:
            return None
        with self._lock:
            for session_id, session in self._sessions.items():
                if hmac.compare_digest(session_id.encode(), cookie.encode()):
                    return session
        return None

    def csrf_ok(self, session: Session, submitted: str, origin: str | None) -> bool:
        if origin is not None and origin not in self.origins():
            return False
        return hmac.compare_digest(submitted.encode(), session.csrf.encode())

    def origins(self) -> set[str]:
        return {f"http://{host}:{self.port}" for host in self.hosts}

    async def middleware(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await self._check(request, call_next)
        response.headers.update(SECURITY_HEADERS)
        return response

    async def _check(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if not self.allowed_host(request.headers.get("host", "")):
            return PlainTextResponse("This console answers on its loopback address only.", 421)
        session = self.session(request.cookies.get(self.cookie))
        token = request.query_params.get("token")
        if token is not None:
            without_token = RedirectResponse(request.url.remove_query_params("token"), 303)
            if session is not None:  # the printed URL opened again in the same browser
                return without_token
            session = self.exchange(token)
            if session is None:
                return PlainTextResponse(NOT_ALLOWED, 401)
            without_token.set_cookie(
                self.cookie, session.id, httponly=True, samesite="strict", path="/"
            )
            return without_token
        if session is None:
            return PlainTextResponse(NOT_ALLOWED, 401)
        request.state.session = session
        return await call_next(request)
