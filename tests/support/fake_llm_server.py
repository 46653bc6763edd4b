"""A local OpenAI-compatible chat-completions server for tests and benchmarks.

Tests drive the real `openai` SDK against it, so retries, timeouts, headers and
parsing are exercised over real HTTP rather than through patched objects. Each
request takes the next scripted behaviour from a queue, or the default one:

    with FakeLlmServer() as server:
        server.enqueue(rate_limited(retry_after=2), server_error())
        config = LlmConfig(api_key="test", base_url=server.base_url)
        ...
        assert server.requests[0].headers["x-title"] == "StitchEngage"

As a script, for benchmarks and manual runs against a running Django:

    python -m tests.support.fake_llm_server --port 8765 --latency 0.5

Requests are served on daemon threads, so concurrent callers overlap and a
`hang` never blocks shutdown.
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CHAT_PATHS = ("/v1/chat/completions", "/api/v1/chat/completions")
_DATA_BLOCK_RE = re.compile(r"<client_data>\s*(.*?)\s*</client_data>", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Behaviour:
    """Describe how the server answers one request; build with the helpers below."""

    kind: str
    status: int = 200
    seconds: float = 0.0
    retry_after: str | None = None
    retry_after_ms: str | None = None
    content: str | None = None
    message: str = ""


def ok() -> Behaviour:
    """Answer with a valid draft addressed to the client in the data block."""
    return Behaviour("ok")


def rate_limited(
    *, retry_after: float | str | None = None, retry_after_ms: float | None = None
) -> Behaviour:
    """Answer 429, with `Retry-After` (seconds) and/or `retry-after-ms` if given."""
    return Behaviour(
        "error",
        status=429,
        retry_after=_header_number(retry_after),
        retry_after_ms=_header_number(retry_after_ms),
        message="Rate limit exceeded",
    )


def server_error(*, status: int = 500) -> Behaviour:
    """Answer with a 5xx error."""
    return Behaviour("error", status=status, message="Upstream provider error")


def status_error(status: int, message: str = "Request failed") -> Behaviour:
    """Answer with any HTTP error status, e.g. 401 for a bad key."""
    return Behaviour("error", status=status, message=message)


def hang(seconds: float) -> Behaviour:
    """Wait `seconds` before answering, to outlast a client timeout."""
    return Behaviour("ok", seconds=seconds)


def malformed_json() -> Behaviour:
    """Answer 200 with message content that is not JSON."""
    return Behaviour("content", content='{"subject": "Hi there", "body": ')


def empty() -> Behaviour:
    """Answer 200 with empty message content."""
    return Behaviour("content", content="")


def offer() -> Behaviour:
    """Answer with a well-formed draft that promises 90% off, as an injection would."""
    return Behaviour("offer")


def no_choices() -> Behaviour:
    """Answer 200 with an empty `choices` list, as OpenRouter does on some failures."""
    return Behaviour("no_choices")


def content(text: str) -> Behaviour:
    """Answer 200 with `text` as the message content, verbatim."""
    return Behaviour("content", content=text)


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """Hold one request as received: path, lower-cased headers and JSON body."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any] = field(default_factory=dict)

    def message(self, role: str) -> str:
        """Return the content of the first message with `role`, or ""."""
        for message in self.body.get("messages", []):
            if message.get("role") == role:
                return str(message.get("content", ""))
        return ""


class FakeLlmServer:
    """Serve scripted chat completions on 127.0.0.1 until stopped.

    `latency` is added to every request (the benchmark uses 0.5 s to stand in for
    a real model); `cost` is reported as OpenRouter's `usage.cost` when set;
    `response_model` is returned as the serving model (default: the requested one).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        default: Behaviour | None = None,
        cost: float | None = None,
        response_model: str | None = None,
    ) -> None:
        self.latency = latency
        self.default = default or ok()
        self.cost = cost
        self.response_model = response_model
        self._queue: deque[Behaviour] = deque()
        self._statuses: list[int] = []
        self._outage_until = 0.0
        self._outage = server_error(status=503)
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = ThreadingHTTPServer((host, port), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        """Return the OpenAI-style base URL (`.../v1`)."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def openrouter_base_url(self) -> str:
        """Return the OpenRouter-style base URL (`.../api/v1`)."""
        return f"http://127.0.0.1:{self.port}/api/v1"

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def statuses(self) -> list[int]:
        """Return the HTTP status given to each chat request so far, in order."""
        with self._lock:
            return list(self._statuses)

    def outage(self, seconds: float, behaviour: Behaviour | None = None) -> None:
        """Answer every request with ``behaviour`` (503) for the next ``seconds``.

        A provider down for a while, whatever the number of requests: the
        scripted queue is left for after it.
        """
        with self._lock:
            self._outage_until = time.monotonic() + seconds
            self._outage = behaviour or server_error(status=503)

    def enqueue(self, *behaviours: Behaviour) -> None:
        """Script the next requests, in order; the default answers after that."""
        with self._lock:
            self._queue.extend(behaviours)

    def start(self) -> FakeLlmServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-llm-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes hanging and slow handlers at once
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def serve_forever(self) -> None:
        self._httpd.serve_forever(poll_interval=0.2)

    def __enter__(self) -> FakeLlmServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _next_behaviour(self, request: RecordedRequest) -> Behaviour:
        with self._lock:
            self._requests.append(request)
            if time.monotonic() < self._outage_until:
                behaviour = self._outage
            else:
                behaviour = self._queue.popleft() if self._queue else self.default
            self._statuses.append(behaviour.status)
            return behaviour

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)

    def _respond(
        self, behaviour: Behaviour, request: RecordedRequest
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        if behaviour.kind == "error":
            headers = {}
            if behaviour.retry_after is not None:
                headers["Retry-After"] = behaviour.retry_after
            if behaviour.retry_after_ms is not None:
                headers["retry-after-ms"] = behaviour.retry_after_ms
            # The SDK would retry on this header's say-so; ours must decide alone.
            headers["x-should-retry"] = "false"
            body = {
                "error": {
                    "message": behaviour.message,
                    "type": "fake_error",
                    "code": behaviour.status,
                }
            }
            return behaviour.status, headers, body
        data = _client_data(request.message("user"))
        if behaviour.kind == "ok":
            text = json.dumps(_draft_for(data))
        elif behaviour.kind == "offer":
            draft = _draft_for(data)
            draft["body"] += "\n\nP.S. Use code SAVE90 for 90% off your next Fix!"
            text = json.dumps(draft)
        elif behaviour.kind == "no_choices":
            return 200, {}, self._completion(request, None, choices=False)
        else:
            text = behaviour.content or ""
        return 200, {}, self._completion(request, text)

    def _completion(
        self, request: RecordedRequest, text: str | None, *, choices: bool = True
    ) -> dict[str, Any]:
        prompt_chars = sum(
            len(str(m.get("content", ""))) for m in request.body.get("messages", [])
        )
        usage: dict[str, Any] = {
            "prompt_tokens": max(1, prompt_chars // 4),
            "completion_tokens": len(text or "") // 4,
        }
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        if self.cost is not None:
            usage["cost"] = self.cost
        return {
            "id": f"gen-{uuid.uuid4().hex[:16]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.response_model or request.body.get("model", "fake/model"),
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": text},
                }
            ]
            if choices
            else [],
            "usage": usage,
        }


def _handler_for(server: FakeLlmServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's pool expects

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                body = {}
            request = RecordedRequest(
                path=self.path,
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body if isinstance(body, dict) else {},
            )
            if self.path.split("?")[0] not in CHAT_PATHS:
                self._send(404, {}, {"error": {"message": "not found"}})
                return
            behaviour = server._next_behaviour(request)
            server._wait(server.latency + behaviour.seconds)
            status, headers, payload = server._respond(behaviour, request)
            self._send(status, headers, payload)

        def _send(
            self, status: int, headers: dict[str, str], payload: dict[str, Any]
        ) -> None:
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                # The client gave up (a timeout test); nothing left to tell it.
                self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:
            """Stay quiet; tests assert on `server.requests` instead."""

    return Handler


def _client_data(user_message: str) -> dict[str, Any]:
    match = _DATA_BLOCK_RE.search(user_message)
    if not match:
        return {}
    try:
        data = json.loads(match.group(1))
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


def _draft_for(data: dict[str, Any]) -> dict[str, str]:
    """Return a plausible, valid draft built from the request's client data."""
    name = str(data.get("first_name") or "there")
    stylist = str(data.get("stylist_name") or "Your stylist").split(" ")[0]
    styles = [str(s) for s in data.get("preferred_styles") or []][:2]
    style_line = (
        f"I've been keeping an eye out for {' and '.join(styles)} pieces for you."
        if styles
        else "I've been keeping an eye out for pieces I think you'd love."
    )
    body = (
        f"Hi {name},\n\n"
        "It's been a little while since your last Fix, and I've been thinking "
        "about what I'd pick for you next. "
        f"{style_line}\n\n"
        "If you have a minute, reply to this email and tell me what's on your list "
        "this season. I'll build your next Fix around it, whenever suits you.\n\n"
        f"Warmly,\n{stylist}"
    )
    return {
        "subject": f"{name}, I've been thinking about your next Fix"[:90],
        "preheader": f"A quick note from {stylist}, your stylist"[:140],
        "body": body,
    }


def _header_number(value: float | str | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def main(argv: list[str] | None = None) -> None:
    """Run the server in the foreground until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds/request")
    parser.add_argument("--cost", type=float, default=None, help="usage.cost in USD")
    args = parser.parse_args(argv)
    server = FakeLlmServer(
        host=args.host, port=args.port, latency=args.latency, cost=args.cost
    )
    print(
        f"Fake LLM server on http://{args.host}:{server.port}/v1 "
        f"(latency {args.latency}s); Ctrl-C to stop",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server._stopping.set()
        server._httpd.server_close()


if __name__ == "__main__":
    main()
