"""A local stand-in for the NVD CVE API 2.0: serves the fixture pages on 127.0.0.1,
throttles and fails on purpose."""

from __future__ import annotations

import contextlib
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PAGES = {0: "nvd-page-1.json", 15: "nvd-page-2.json"}
# Keys of a failure's headers that are not headers: the status line's reason phrase, or
# a whole status line written as it is.
REASON = "reason phrase"
RAW_STATUS_LINE = "raw status line"


@dataclass
class Script:
    """What the server answers: queued failures first, then the pages."""

    folder: Path
    failures: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    requests: list[tuple[dict[str, str], str | None]] = field(default_factory=list)
    broken_index: int | None = None
    bodies: list[bytes] = field(default_factory=list)  # answered (200) before the pages


def _handler(script: Script) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
            script.requests.append((query, self.headers.get("apiKey")))
            if script.failures:
                status, headers = script.failures.pop(0)
                headers = dict(headers)
                raw = headers.pop(RAW_STATUS_LINE, None)
                if raw is not None:  # a status line that is no HTTP, as written
                    self.wfile.write(raw.encode() + b"\r\n\r\n")
                    self.close_connection = True
                    return
                self.send_response(status, headers.pop(REASON, None))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                return
            index = int(query.get("startIndex", "0"))
            body = script.bodies.pop(0) if script.bodies else \
                (script.folder / PAGES[index]).read_bytes()
            if index == script.broken_index:
                body = body[: len(body) // 2]
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return None

    return Handler


@contextlib.contextmanager
def local_api(folder: Path) -> Iterator[tuple[str, Script]]:
    """A server on 127.0.0.1 answering API requests from the pages in ``folder``."""
    script = Script(folder)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(script))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/rest/json/cves/2.0", script
    finally:
        httpd.shutdown()
        httpd.server_close()
