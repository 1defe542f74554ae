"""Socket Mode for the Slack stand-in: a loopback WebSocket server speaking Slack's envelopes.

slack_sdk's Socket Mode client (the one Bolt's `SocketModeHandler` uses) calls
`apps.connections.open` with the app-level token, then connects to the `url` it gets back. For
any port but 443 it opens a plain socket, so `ws://127.0.0.1:PORT/link/?ticket=...` works.

    with SlackStandIn(bot_token="xoxb-t") as slack:
        sockets = slack.enable_socket_mode("xapp-1-A0-1-t")    # starts a SocketModeServer
        ...                                                      # the bot connects
        sockets.wait_connected()
        envelope_id = sockets.send_slash("today", "U0ALICE")
        ack = sockets.wait_ack(envelope_id, timeout=3)          # {"envelope_id": ..., ...}

On connect the server sends `hello`; each envelope is
`{"envelope_id", "type": "slash_commands" | "interactive" | "events_api", "payload",
"accepts_response_payload"}` and the client acks with `{"envelope_id", "payload"?}`.

Each URL carries a one-time ticket, as Slack's do: a connection without a ticket issued by
`apps.connections.open` is refused. The `websockets` package (a test dependency) is imported
only when the server starts.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from bot.emulator.slack.signed_requests import event_body, slash_body
from bot.emulator.slack.workspace import TEAM_ID

if TYPE_CHECKING:
    from websockets.sync.server import Server, ServerConnection

APP_ID = "A0STANDIN"
PATH = "/link/"


class SocketModeServer:
    """Socket Mode connections for one `SlackStandIn`: envelopes out, acks in.

    `new_response_url` gives a fresh response URL of the stand-in's for each slash command.
    """

    def __init__(
        self,
        new_response_url: Callable[[], str],
        host: str = "127.0.0.1",
        port: int = 0,
    ):
        self.new_response_url = new_response_url
        self._host, self._port = host, port
        self._cond = threading.Condition()
        self._tickets: set[str] = set()
        self._connections: list[ServerConnection] = []
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self.sent: list[dict[str, Any]] = []  # envelopes, oldest first
        self.acks: dict[str, dict[str, Any]] = {}  # envelope_id -> the client's ack
        self.received: list[Any] = []  # every message from clients, parsed when JSON
        self.connects = 0  # connections that completed the handshake, ever

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> SocketModeServer:
        """Listen (the stand-in's `enable_socket_mode` starts it and points its URLs here)."""
        if self._server is None:
            from websockets.sync.server import serve

            self._server = serve(
                self._serve_connection,
                self._host,
                self._port,
                process_request=self._check_ticket,
                compression=None,
                ping_interval=None,  # the client pings; Slack's pings are not needed here
                close_timeout=1,
            )
            self._thread = threading.Thread(
                target=self._server.serve_forever, name="slack-socket-mode", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Close every connection (code 1001) and stop listening."""
        if self._server is not None:
            self._server.shutdown()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._server = self._thread = None

    def __enter__(self) -> SocketModeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the Socket Mode server is not started")
        return int(self._server.socket.getsockname()[1])

    def issue_url(self) -> str:
        """A fresh one-time connection URL (what `apps.connections.open` returns)."""
        ticket = uuid.uuid4().hex
        with self._cond:
            self._tickets.add(ticket)
        return f"ws://{self._host}:{self.port}{PATH}?ticket={ticket}&app_id={APP_ID}"

    # ------------------------------------------------------------------ connections
    def _check_ticket(self, connection: ServerConnection, request: Any) -> Any:
        """Refuse the handshake unless it brings a ticket we issued (each works once)."""
        parts = urlsplit(request.path)
        ticket = (parse_qs(parts.query).get("ticket") or [""])[0]
        with self._cond:
            valid = parts.path == PATH and ticket in self._tickets
            self._tickets.discard(ticket)
        if not valid:
            return connection.respond(HTTPStatus.UNAUTHORIZED, "invalid or used ticket\n")
        return None

    def _serve_connection(self, connection: ServerConnection) -> None:
        from websockets.exceptions import ConnectionClosed

        with self._cond:
            self._connections.append(connection)
            self.connects += 1
            count = len(self._connections)
            self._cond.notify_all()
        try:
            connection.send(
                json.dumps(
                    {
                        "type": "hello",
                        "num_connections": count,
                        "debug_info": {"host": "standin", "approximate_connection_time": 18060},
                        "connection_info": {"app_id": APP_ID},
                    }
                )
            )
            for raw in connection:
                self._receive(raw)
        except ConnectionClosed:
            pass  # slack_sdk closes its socket without a close frame
        finally:
            with self._cond:
                self._connections.remove(connection)
                self._cond.notify_all()

    def _receive(self, raw: str | bytes) -> None:
        try:
            message: Any = json.loads(raw)
        except ValueError:
            message = raw
        with self._cond:
            self.received.append(message)
            if isinstance(message, dict) and message.get("envelope_id"):
                self.acks[str(message["envelope_id"])] = message
            self._cond.notify_all()

    @property
    def connected(self) -> int:
        """How many clients are connected now."""
        with self._cond:
            return len(self._connections)

    def wait_connected(self, timeout: float = 5.0) -> None:
        self.wait_for(lambda: self._connections, timeout, "a Socket Mode connection")

    def wait_disconnected(self, timeout: float = 5.0) -> None:
        self.wait_for(lambda: not self._connections, timeout, "every client to disconnect")

    def wait_for(
        self, predicate: Callable[[], Any], timeout: float = 5.0, what: str = "the condition"
    ) -> Any:
        """Wait until `predicate()` is truthy (re-checked on every connect, disconnect and
        message); return its value, or raise TimeoutError."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not (value := predicate()):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
                self._cond.wait(left)
            return value

    # ------------------------------------------------------------------ envelopes
    def send_envelope(
        self,
        type: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool = False,
        **extra: Any,
    ) -> str:
        """Send an envelope to the newest connection; returns its envelope_id."""
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "type": type,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
            **extra,
        }
        with self._cond:
            if not self._connections:
                raise RuntimeError("no Socket Mode client is connected")
            connection = self._connections[-1]
            self.sent.append(envelope)
        connection.send(json.dumps(envelope))
        return envelope_id

    def send_slash(
        self,
        text: str,
        user_id: str,
        *,
        response_url: str | None = None,
        channel_id: str = "C0GENERAL",
        command: str = "/recordings",
    ) -> str:
        """A slash command, as Slack sends it over Socket Mode. The answer the bot posts to
        `response_url` (a new one of the stand-in's by default) lands in `standin.responses`."""
        form = slash_body(
            text,
            user_id=user_id,
            response_url=response_url or self.new_response_url(),
            channel_id=channel_id,
            command=command,
            team_id=TEAM_ID,
        )
        payload = {k: v[0] for k, v in parse_qs(form, keep_blank_values=True).items()}
        payload["api_app_id"] = APP_ID
        return self.send_envelope("slash_commands", payload, accepts_response_payload=True)

    def send_event(self, event: dict[str, Any]) -> str:
        """An Events API event (`{"type": "app_home_opened", ...}`) in its event_callback."""
        payload = json.loads(event_body(event, team_id=TEAM_ID))
        payload["api_app_id"] = APP_ID
        return self.send_envelope("events_api", payload, retry_attempt=0, retry_reason="")

    def send_interactive(self, payload: dict[str, Any]) -> str:
        """An interactivity payload (block_actions, view_submission, ...)."""
        accepts = payload.get("type") in ("view_submission", "block_suggestion")
        return self.send_envelope("interactive", payload, accepts_response_payload=accepts)

    def wait_ack(self, envelope_id: str, timeout: float = 3.0) -> dict[str, Any]:
        """The client's ack of `envelope_id`; TimeoutError if none comes within `timeout`."""
        return self.wait_for(lambda: self.acks.get(envelope_id), timeout, f"ack of {envelope_id}")

    def disconnect_all(self, reason: str = "refresh_requested") -> None:
        """Ask every client to reconnect, as Slack does from time to time."""
        with self._cond:
            connections = list(self._connections)
        for connection in connections:
            connection.send(json.dumps({"type": "disconnect", "reason": reason}))
