"""A local HTTP proxy that only counts the requests sent through it.

Pointing ``HTTPS_PROXY`` at it makes every outbound ``requests`` call from the
code under test arrive here first (an https URL as a CONNECT), so a test can
prove that no request left at all. Each one is answered 502, so nothing reaches
the internet.
"""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator

import pytest


class _Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        line = self.rfile.readline(8192).decode("latin-1").strip()
        self.server.requests.append(line)
        self.wfile.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")


class CountingProxy(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[str] = []

    @property
    def url(self) -> str:
        host, port = self.server_address
        return f"http://{host}:{port}"


@pytest.fixture
def counting_proxy(monkeypatch) -> Iterator[CountingProxy]:
    """Route every outbound HTTP(S) request through a proxy that counts it."""
    proxy = CountingProxy()
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(name, proxy.url)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    try:
        yield proxy
    finally:
        proxy.shutdown()
        proxy.server_close()
