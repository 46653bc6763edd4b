"""A local stand-in for Amazon SES's v1 Query API (SendRawEmail), for fault tests.

django-ses (without ``USE_SES_V2``, as this project runs it; IAM allows
``ses:SendRawEmail``) posts ``Action=SendRawEmail`` forms and reads XML. moto
cannot stand in here: it accepts every message and has no way to answer
``Throttling`` or a 5xx on script, nor to say when each call arrived. This
server answers each request (after ``latency`` seconds) with the next scripted
status, or accepts it, and records the arrival time, the status and the
``X-StitchEngage-Email-Id`` of the raw message.
"""

from __future__ import annotations

import base64
import re
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

_NS = "http://ses.amazonaws.com/doc/2010-12-01/"
THROTTLING = (400, "Throttling", "Maximum sending rate exceeded.")
UNAVAILABLE = (503, "ServiceUnavailable", "Service is unavailable.")


@dataclass(frozen=True, slots=True)
class SesCall:
    at: float  # time.monotonic() on arrival
    status: int
    email_id: str


class SesStandIn:
    """Serve SendRawEmail on 127.0.0.1; ``script`` the next answers."""

    def __init__(self, *, latency: float = 0.0) -> None:
        self.latency = latency  # seconds before each answer: a call in flight
        self._lock = threading.Lock()
        self._script: deque[tuple[int, str, str]] = deque()
        self._calls: list[SesCall] = []
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}
        )
        self._thread.daemon = True

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def calls(self) -> list[SesCall]:
        with self._lock:
            return list(self._calls)

    def script(self, *errors: tuple[int, str, str]) -> None:
        """Answer the next requests with these (status, code, message) errors."""
        with self._lock:
            self._script.extend(errors)

    def _answer(self, email_id: str) -> tuple[int, bytes]:
        with self._lock:
            error = self._script.popleft() if self._script else None
            status = error[0] if error else 200
            self._calls.append(SesCall(time.monotonic(), status, email_id))
        request_id = uuid.uuid4()
        if error:
            _, code, message = error
            body = (
                f'<ErrorResponse xmlns="{_NS}"><Error><Type>Sender</Type>'
                f"<Code>{code}</Code><Message>{message}</Message></Error>"
                f"<RequestId>{request_id}</RequestId></ErrorResponse>"
            )
        else:
            body = (
                f'<SendRawEmailResponse xmlns="{_NS}"><SendRawEmailResult>'
                f"<MessageId>{uuid.uuid4().hex}</MessageId></SendRawEmailResult>"
                f"<ResponseMetadata><RequestId>{request_id}</RequestId>"
                "</ResponseMetadata></SendRawEmailResponse>"
            )
        return status, body.encode()

    def __enter__(self) -> SesStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def _email_id(form: dict[str, list[str]]) -> str:
    raw = base64.b64decode(form.get("RawMessage.Data", [""])[0] or b"")
    value = message_from_bytes(raw).get("X-StitchEngage-Email-Id", "")
    return re.sub(r"\s", "", value)


def _handler_for(server: SesStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = parse_qs(self.rfile.read(length).decode())
            time.sleep(server.latency)
            status, body = server._answer(_email_id(form))
            self.send_response(status)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    return Handler
