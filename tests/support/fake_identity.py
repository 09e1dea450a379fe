"""A stand-in for Azure's managed identity endpoint, on 127.0.0.1 only.

It speaks the App Service protocol that ``azure-identity`` selects when
``IDENTITY_ENDPOINT`` and ``IDENTITY_HEADER`` are set: ``GET <endpoint>?
api-version=2019-08-01&resource=...[&client_id=...]`` with the header
``X-IDENTITY-HEADER``, answered by a JSON token whose ``expires_on`` is POSIX
seconds as a string. Every request is recorded so tests can count token
fetches and check what was asked for. With ``echo`` set it answers every request
with an error that quotes the request back (its secret header, its path and a
token), as a careless proxy or a misconfigured endpoint may: ``"json"`` as a JSON
error, ``"text"`` as a body that is not JSON (no content type).

Usage::

    with FakeIdentityEndpoint(ttl=86400) as fake:
        monkeypatch.setenv("IDENTITY_ENDPOINT", fake.endpoint)
        monkeypatch.setenv("IDENTITY_HEADER", fake.secret)
        ...
        assert len(fake.requests) == 1
"""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

TOKEN_PATH = "/msi/token"


@dataclass(frozen=True)
class TokenRequest:
    """One request the fake received."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str] = field(repr=False)

    def header(self, name: str) -> str | None:
        """A header by name, case-insensitively."""
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unsigned_jwt(claims: dict[str, Any]) -> str:
    """A JWT-shaped token (no signature): nothing on this side verifies it."""
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}.sig"


class FakeIdentityEndpoint:
    """A threaded HTTP server issuing tokens that live ``ttl`` seconds."""

    def __init__(self, *, ttl: int = 86400, secret: str = "fake-identity-header",  # noqa: S107
                 echo: str | None = None) -> None:
        self.ttl = ttl
        self.secret = secret
        self.echo = echo
        self.requests: list[TokenRequest] = []
        self.issued: list[str] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> FakeIdentityEndpoint:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                return None  # keep test output clean

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name="fake-identity", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeIdentityEndpoint:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "the fake endpoint is not running"
        return int(self._server.server_address[1])

    @property
    def endpoint(self) -> str:
        """The value for ``IDENTITY_ENDPOINT``."""
        return f"http://127.0.0.1:{self.port}{TOKEN_PATH}"

    @property
    def token_requests(self) -> list[TokenRequest]:
        """Requests for a token (right path), in arrival order."""
        with self._lock:
            return [r for r in self.requests if r.path == TOKEN_PATH]

    # -- protocol ----------------------------------------------------------
    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        request = TokenRequest(method="GET", path=parts.path, query=query,
                               headers=dict(handler.headers.items()))
        with self._lock:
            self.requests.append(request)
            number = len(self.requests)
        if parts.path != TOKEN_PATH:
            self._reply(handler, 404, {"error": "not_found"})
            return
        if self.echo is not None:
            self._echo(handler, request)
            return
        if request.header("X-IDENTITY-HEADER") != self.secret:
            self._reply(handler, 401, {"error": "invalid_request",
                                       "error_description": "bad X-IDENTITY-HEADER"})
            return
        resource = query.get("resource", "")
        now = int(time.time())
        token = unsigned_jwt({"aud": resource, "iat": now, "exp": now + self.ttl,
                              "n": number, "appid": query.get("client_id", "system")})
        with self._lock:
            self.issued.append(token)
        body: dict[str, Any] = {
            "access_token": token,
            "expires_on": str(now + self.ttl),
            "expires_in": str(self.ttl),
            "resource": resource,
            "token_type": "Bearer",
        }
        if "client_id" in query:
            body["client_id"] = query["client_id"]
        self._reply(handler, 200, body)

    def _echo(self, handler: BaseHTTPRequestHandler, request: TokenRequest) -> None:
        token = unsigned_jwt({"aud": request.query.get("resource", ""), "echo": True})
        with self._lock:
            self.issued.append(token)
        said = (f"X-IDENTITY-HEADER {request.header('X-IDENTITY-HEADER')} is not valid for "
                f"{request.path}?{urlsplit(handler.path).query}; last token {token}")
        if self.echo == "json":
            self._reply(handler, 400, {"statusCode": 400, "message": said,
                                       "error": f"bad_request {token}",
                                       "error_description": said})
            return
        raw = said.encode()
        handler.send_response(500)
        handler.send_header("Content-Length", str(len(raw)))
        handler.end_headers()
        handler.wfile.write(raw)

    @staticmethod
    def _reply(handler: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
        raw = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(raw)))
        handler.end_headers()
        handler.wfile.write(raw)
