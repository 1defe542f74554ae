"""A local stand-in for Slack's Web API, good enough for `slack_sdk.WebClient`.

Point a client at it with `WebClient(token=..., base_url=standin.api_url)` (or the bot's
`SLACK_API_URL`). It keeps a small workspace (channels, users), records every call and every
posted message, captures `response_url` posts, and injects faults on demand:

    with SlackStandIn(bot_token="xoxb-test") as slack:
        slack.add_channel("C1", "rec")
        slack.fail("chat.postMessage", status=429, retry_after=1)   # next call: ratelimited
        ...
        slack.wait_for(lambda: slack.messages("C1"))

Channel errors (`channel_not_found`, `is_archived`, `not_in_channel`) follow from the
workspace state; `fail()` and `outage()` inject transport-level trouble.
"""

from __future__ import annotations

import copy
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from bot.emulator.slack.methods import METHODS, Params, valid_blocks
from bot.emulator.slack.socket_mode import SocketModeServer
from bot.emulator.slack.workspace import ApiError, Channel, User, Workspace


@dataclass
class _Fault:
    status: int
    error: str
    retry_after: int | None
    drop: bool
    raw: bool
    remaining: int


@dataclass
class _Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False

    @classmethod
    def of_json(cls, data: dict[str, Any], status: int = 200, **headers: str) -> _Reply:
        return cls(status=status, body=json.dumps(data).encode(), headers=dict(headers))


class SlackStandIn:
    """A threaded loopback HTTP server speaking enough of Slack's Web API for the bot."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_token: str | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ):
        self._bot_token = bot_token
        self._cond = threading.Condition(threading.RLock())
        self._faults: dict[str, list[_Fault]] = {}
        self._outage = False
        self._response_seq = 0
        self._response_urls: set[str] = set()
        self.calls: list[tuple[str, Params]] = []
        self.responses: list[dict[str, Any]] = []
        self._app_token: str | None = None  # Socket Mode's app-level token (xapp-...)
        self.socket_server: SocketModeServer | None = None
        self._server = ThreadingHTTPServer((host, port), _make_handler(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None
        self.workspace = Workspace(self.url, clock)
        self.workspace.seed()

    # ------------------------------------------------------------------ lifecycle
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return self.url + "/api/"

    def start(self) -> SlackStandIn:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.01},  # how soon stop() is noticed
                name="slack-standin",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self.socket_server is not None:
            self.socket_server.stop()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> SlackStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def enable_socket_mode(self, app_token: str) -> SocketModeServer:
        """Accept `apps.connections.open` with this app-level token; returns the (started)
        Socket Mode server its URLs point at (bot.emulator.slack.socket_mode)."""
        with self._cond:
            self._app_token = app_token
        if self.socket_server is None:
            self.socket_server = SocketModeServer(self.new_response_url).start()
        return self.socket_server

    # ------------------------------------------------------------------ workspace
    def add_channel(
        self,
        id: str,
        name: str,
        *,
        is_private: bool = False,
        is_archived: bool = False,
        bot_member: bool = True,
    ) -> Channel:
        with self._cond:
            return self.workspace.add_channel(
                id, name, is_private=is_private, is_archived=is_archived, bot_member=bot_member
            )

    def add_user(
        self,
        id: str,
        *,
        name: str,
        tz: str = "Asia/Shanghai",
        is_admin: bool = False,
        is_owner: bool = False,
        is_restricted: bool = False,
        is_ultra_restricted: bool = False,
        email: str | None = None,
        locale: str = "en-US",
    ) -> User:
        with self._cond:
            return self.workspace.add_user(
                id,
                name=name,
                tz=tz,
                is_admin=is_admin,
                is_owner=is_owner,
                is_restricted=is_restricted,
                is_ultra_restricted=is_ultra_restricted,
                locale=locale,
                email=email,
            )

    def channel(self, id: str) -> Channel:
        return self.workspace.channels[id]

    # ------------------------------------------------------------------ faults
    def fail(
        self,
        method: str,
        *,
        error: str | None = None,
        status: int = 429,
        retry_after: int | None = 1,
        count: int = 1,
        drop: bool = False,
        raw: bool = False,
    ) -> None:
        """Answer the next `count` calls of `method` ("*" = any) with a fault.

        status 429 adds `Retry-After`; `raw=True` sends a non-JSON body; `drop=True` closes the
        connection without an answer (slack_sdk retries that once by default). A status of 200
        with an `error` gives a plain `{"ok": false}` API error.
        """
        if error is None:
            error = {429: "ratelimited", 200: "internal_error"}.get(status, "internal_error")
        fault = _Fault(status, error, retry_after if status == 429 else None, drop, raw, count)
        with self._cond:
            self._faults.setdefault(method, []).append(fault)

    def outage(self, on: bool = True) -> None:
        """While on, every API method answers HTTP 503 (response URLs keep working)."""
        with self._cond:
            self._outage = on

    # ------------------------------------------------------------------ recording
    @property
    def ephemerals(self) -> list[dict[str, Any]]:
        return self.workspace.ephemerals

    @property
    def views(self) -> dict[str, dict[str, Any]]:
        return self.workspace.views

    @property
    def modals(self) -> list[dict[str, Any]]:
        """The modals `views.open` opened (as `views.update` left them), oldest first."""
        with self._cond:
            return copy.deepcopy(self.workspace.modals)

    @property
    def unfurls(self) -> list[dict[str, Any]]:
        """What `chat.unfurl` was given, oldest first."""
        with self._cond:
            return copy.deepcopy(self.workspace.unfurls)

    def new_response_url(self) -> str:
        with self._cond:
            self._response_seq += 1
            url = f"{self.url}/response/{self._response_seq}"
            self._response_urls.add(url)
        return url

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Posted messages, oldest first, with updates applied."""
        with self._cond:
            return [
                copy.deepcopy(m)
                for m in self.workspace.messages
                if channel is None or m["channel"] == channel
            ]

    def calls_to(self, method: str) -> list[Params]:
        with self._cond:
            return [params for name, params in self.calls if name == method]

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 5) -> Any:
        """Wait until `predicate()` is truthy (re-checked on every request); return its value."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                value = predicate()
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"condition not met within {timeout} s")
                self._cond.wait(min(left, 0.05))

    def reset(self) -> None:
        """Forget calls, messages, responses, views and faults (the workspace stays)."""
        with self._cond:
            self.calls.clear()
            self.responses.clear()
            self.workspace.forget_activity()
            self._faults.clear()
            self._outage = False

    # ------------------------------------------------------------------ dispatch
    def _handle_api(self, method: str, params: Params, token: str | None) -> _Reply:
        with self._cond:
            self.calls.append((method, params))
            self._cond.notify_all()
            if self._outage:
                return _Reply(503, b"Service Unavailable", "text/plain; charset=utf-8")
            fault = self._take_fault(method)
            if fault is not None:
                return self._fault_reply(fault)
            if method == "apps.connections.open":  # the one method called with the app token
                return self._apps_connections_open(token)
            if self._bot_token is not None and token != self._bot_token:
                return _Reply.of_json({"ok": False, "error": "invalid_auth"})
            handler = METHODS.get(method)
            if handler is None:
                return _Reply.of_json({"ok": False, "error": "unknown_method"}, status=404)
            try:
                result = handler(self.workspace, params)
            except ApiError as e:
                return _Reply.of_json({"ok": False, "error": e.error})
            self._cond.notify_all()
            return _Reply.of_json({"ok": True, **result})

    def _take_fault(self, method: str) -> _Fault | None:
        for key in (method, "*"):
            queue = self._faults.get(key)
            if queue:
                fault = queue[0]
                fault.remaining -= 1
                if fault.remaining <= 0:
                    queue.pop(0)
                return fault
        return None

    @staticmethod
    def _fault_reply(fault: _Fault) -> _Reply:
        if fault.drop:
            return _Reply(drop=True)
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
        if fault.raw:
            body = f"<html><body>{fault.status} {fault.error}</body></html>".encode()
            return _Reply(fault.status, body, "text/html; charset=utf-8", headers)
        return _Reply.of_json({"ok": False, "error": fault.error}, fault.status, **headers)

    def _apps_connections_open(self, token: str | None) -> _Reply:
        if self._app_token is None or self.socket_server is None:
            return _Reply.of_json({"ok": False, "error": "invalid_auth"})
        if token and not token.startswith("xapp-"):
            return _Reply.of_json({"ok": False, "error": "not_allowed_token_type"})
        if token != self._app_token:
            return _Reply.of_json({"ok": False, "error": "invalid_auth"})
        return _Reply.of_json({"ok": True, "url": self.socket_server.issue_url()})

    def _handle_response_url(self, url: str, body: bytes) -> _Reply:
        with self._cond:
            if url not in self._response_urls:
                return _Reply(404, b"no_such_response_url", "text/plain")
            try:
                payload = json.loads(body or b"{}")
            except ValueError:
                return _Reply(400, b"invalid_payload", "text/plain")
            if not isinstance(payload, dict) or (
                "blocks" in payload and not valid_blocks(payload["blocks"])
            ):
                return _Reply(400, b"invalid_blocks", "text/plain")
            self.responses.append({"url": url, "payload": payload})
            self._cond.notify_all()
        return _Reply(200, b"ok", "text/plain")


def _parse_body(content_type: str, body: bytes) -> Params:
    kind = content_type.split(";")[0].strip().lower()
    if not body:
        return {}
    if kind == "application/json":
        data = json.loads(body)
        return dict(data) if isinstance(data, dict) else {}
    if kind == "multipart/form-data":
        head = f"Content-Type: {content_type}\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(head + body)
        params: Params = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name:
                payload = part.get_payload(decode=True) or b""
                params[str(name)] = payload.decode("utf-8", "replace")
        return params
    return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))


def _make_handler(standin: SlackStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        disable_nagle_algorithm = True  # headers and body go out at once
        server_version = "SlackStandIn/1.0"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def do_GET(self) -> None:
            self._serve(b"")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self._serve(self.rfile.read(length) if length else b"")

        def _serve(self, body: bytes) -> None:
            parts = urlsplit(self.path)
            if parts.path.startswith("/api/"):
                try:
                    params = dict(parse_qsl(parts.query, keep_blank_values=True))
                    params.update(_parse_body(self.headers.get("Content-Type", ""), body))
                except ValueError:
                    self._send(_Reply.of_json({"ok": False, "error": "invalid_json"}))
                    return
                auth = self.headers.get("Authorization", "")
                token = params.pop("token", None)
                if auth.startswith("Bearer "):
                    token = auth[len("Bearer ") :]
                method = parts.path[len("/api/") :].strip("/")
                self._send(standin._handle_api(method, params, token))
            elif parts.path.startswith("/response/") and self.command == "POST":
                self._send(standin._handle_response_url(standin.url + parts.path, body))
            else:
                self._send(_Reply(404, b"not found", "text/plain"))

        def _send(self, reply: _Reply) -> None:
            if reply.drop:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(reply.body)

    return Handler
