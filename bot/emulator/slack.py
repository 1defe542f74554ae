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

import base64
import copy
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from bot.emulator.slack_socket import SocketModeServer

TEAM_ID = "T0STANDIN"
TEAM_NAME = "Stand-in Workspace"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"

Params = dict[str, Any]


class ApiError(Exception):
    """An `{"ok": false, "error": ...}` answer from a method handler."""

    def __init__(self, error: str):
        super().__init__(error)
        self.error = error


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool = False
    is_archived: bool = False
    bot_member: bool = True
    is_im: bool = False

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "is_channel": not self.is_private and not self.is_im,
            "is_group": self.is_private,
            "is_im": self.is_im,
            "is_private": self.is_private,
            "is_archived": self.is_archived,
            "is_member": self.bot_member,
            "context_team_id": TEAM_ID,
        }


@dataclass
class User:
    id: str
    name: str
    tz: str = "Asia/Shanghai"
    is_admin: bool = False
    is_owner: bool = False
    is_restricted: bool = False
    is_ultra_restricted: bool = False
    email: str | None = None

    def to_api(self) -> dict[str, Any]:
        offset = datetime.now(ZoneInfo(self.tz)).utcoffset()
        profile: dict[str, Any] = {"real_name": self.name, "display_name": self.name}
        if self.email:
            profile["email"] = self.email
        return {
            "id": self.id,
            "team_id": TEAM_ID,
            "name": self.name,
            "real_name": self.name,
            "deleted": False,
            "is_bot": False,
            "tz": self.tz,
            "tz_label": self.tz,
            "tz_offset": int(offset.total_seconds()) if offset else 0,
            "is_admin": self.is_admin,
            "is_owner": self.is_owner,
            "is_primary_owner": False,
            "is_restricted": self.is_restricted,
            "is_ultra_restricted": self.is_ultra_restricted,
            "profile": profile,
        }


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


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def _maybe_json(value: Any) -> Any:
    """Form-encoded bodies carry blocks/metadata/view as JSON strings."""
    if isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


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
        self._clock = clock
        self._cond = threading.Condition(threading.RLock())
        self._channels: dict[str, Channel] = {}
        self._users: dict[str, User] = {}
        self._faults: dict[str, list[_Fault]] = {}
        self._outage = False
        self._last_ts = 0.0
        self._response_seq = 0
        self._response_urls: set[str] = set()
        self._messages: list[dict[str, Any]] = []
        self.calls: list[tuple[str, Params]] = []
        self.responses: list[dict[str, Any]] = []
        self.ephemerals: list[dict[str, Any]] = []
        self.views: dict[str, dict[str, Any]] = {}
        self._app_token: str | None = None  # Socket Mode's app-level token (xapp-...)
        self.socket_server: SocketModeServer | None = None
        self._seed()
        self._server = ThreadingHTTPServer((host, port), _make_handler(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

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
                kwargs={"poll_interval": 0.05},
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
        Socket Mode server its URLs point at (bot.emulator.slack_socket)."""
        from bot.emulator.slack_socket import SocketModeServer

        with self._cond:
            self._app_token = app_token
        if self.socket_server is None:
            SocketModeServer(self).start()  # registers itself as self.socket_server
        assert self.socket_server is not None
        return self.socket_server

    # ------------------------------------------------------------------ workspace
    def _seed(self) -> None:
        self.add_channel("C0GENERAL", "general")
        self.add_channel("C0RANDOM", "random")
        self.add_user("U0ADMIN", name="admin", is_admin=True, email="admin@example.com")
        self.add_user("U0ALICE", name="alice", email="alice@example.com")

    def add_channel(
        self,
        id: str,
        name: str,
        *,
        is_private: bool = False,
        is_archived: bool = False,
        bot_member: bool = True,
    ) -> Channel:
        channel = Channel(id, name, is_private, is_archived, bot_member)
        with self._cond:
            self._channels[id] = channel
        return channel

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
    ) -> User:
        ZoneInfo(tz)  # fail early on a bad zone name
        user = User(id, name, tz, is_admin, is_owner, is_restricted, is_ultra_restricted, email)
        with self._cond:
            self._users[id] = user
        return user

    def channel(self, id: str) -> Channel:
        return self._channels[id]

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
                for m in self._messages
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
            self.ephemerals.clear()
            self.views.clear()
            self._messages.clear()
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
            handler = _METHODS.get(method)
            if handler is None:
                return _Reply.of_json({"ok": False, "error": "unknown_method"}, status=404)
            try:
                result = handler(self, params)
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

    def _handle_response_url(self, url: str, body: bytes) -> _Reply:
        with self._cond:
            if url not in self._response_urls:
                return _Reply(404, b"no_such_response_url", "text/plain")
            try:
                payload = json.loads(body or b"{}")
            except ValueError:
                return _Reply(400, b"invalid_payload", "text/plain")
            self.responses.append({"url": url, "payload": payload})
            self._cond.notify_all()
        return _Reply(200, b"ok", "text/plain")

    # ------------------------------------------------------------------ helpers for methods
    def _next_ts(self) -> str:
        now = max(round(self._clock(), 6), round(self._last_ts + 0.0001, 6))
        self._last_ts = now
        return f"{now:.6f}"

    def _resolve_channel(self, ref: Any) -> Channel:
        ref = str(ref or "").strip()
        if not ref:
            raise ApiError("channel_not_found")
        if ref in self._channels:
            return self._channels[ref]
        if ref in self._users:  # posting to a user id opens the app's DM with them
            dm = Channel(f"D{ref}", ref, is_im=True)
            self._channels.setdefault(dm.id, dm)
            return self._channels[dm.id]
        name = ref.lstrip("#")
        for channel in self._channels.values():
            if channel.name == name and not channel.is_im:
                return channel
        raise ApiError("channel_not_found")

    def _writable_channel(self, ref: Any) -> Channel:
        channel = self._resolve_channel(ref)
        if channel.is_archived:
            raise ApiError("is_archived")
        if not channel.bot_member:
            raise ApiError("not_in_channel")
        return channel

    def _find_message(self, channel: Channel, ts: Any) -> dict[str, Any]:
        for message in self._messages:
            if message["channel"] == channel.id and message["ts"] == str(ts):
                return message
        raise ApiError("message_not_found")

    @staticmethod
    def _content(params: Params) -> tuple[str, list[dict[str, Any]] | None]:
        text = str(params.get("text") or "")
        blocks = _maybe_json(params.get("blocks"))
        if blocks is not None:
            if not isinstance(blocks, list) or len(blocks) > 50:
                raise ApiError("invalid_blocks")
            if not all(isinstance(b, dict) and b.get("type") for b in blocks):
                raise ApiError("invalid_blocks")
        if not text and not blocks:
            raise ApiError("no_text")
        return text, blocks

    @staticmethod
    def _api_message(message: dict[str, Any], with_metadata: bool) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "team": TEAM_ID,
            "text": message["text"],
            "ts": message["ts"],
        }
        if message["blocks"]:
            out["blocks"] = copy.deepcopy(message["blocks"])
        if message["thread_ts"]:
            out["thread_ts"] = message["thread_ts"]
        if message["updated"]:
            out["edited"] = {"user": BOT_USER_ID, "ts": message["edited_ts"]}
        if with_metadata and message["metadata"]:
            out["metadata"] = copy.deepcopy(message["metadata"])
        return out

    # ------------------------------------------------------------------ methods
    def _apps_connections_open(self, token: str | None) -> _Reply:
        if self._app_token is None or self.socket_server is None:
            return _Reply.of_json({"ok": False, "error": "invalid_auth"})
        if token and not token.startswith("xapp-"):
            return _Reply.of_json({"ok": False, "error": "not_allowed_token_type"})
        if token != self._app_token:
            return _Reply.of_json({"ok": False, "error": "invalid_auth"})
        return _Reply.of_json({"ok": True, "url": self.socket_server.issue_url()})

    def _auth_test(self, params: Params) -> dict[str, Any]:
        return {
            "url": self.url + "/",
            "team": TEAM_NAME,
            "user": "recordings-bot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _chat_post_message(self, params: Params) -> dict[str, Any]:
        channel = self._writable_channel(params.get("channel"))
        text, blocks = self._content(params)
        metadata = _maybe_json(params.get("metadata"))
        message = {
            "channel": channel.id,
            "ts": self._next_ts(),
            "text": text,
            "blocks": blocks,
            "metadata": metadata if isinstance(metadata, dict) else None,
            "thread_ts": str(params["thread_ts"]) if params.get("thread_ts") else None,
            "updated": 0,
            "edited_ts": None,
        }
        self._messages.append(message)
        return {
            "channel": channel.id,
            "ts": message["ts"],
            "message": self._api_message(message, with_metadata=True),
        }

    def _chat_update(self, params: Params) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        message = self._find_message(channel, params.get("ts"))
        if channel.is_archived:
            raise ApiError("is_archived")
        text, blocks = self._content({**message, **{k: v for k, v in params.items() if v}})
        message["text"], message["blocks"] = text, blocks
        metadata = _maybe_json(params.get("metadata"))
        if isinstance(metadata, dict):
            message["metadata"] = metadata
        message["updated"] += 1
        message["edited_ts"] = self._next_ts()
        return {
            "channel": channel.id,
            "ts": message["ts"],
            "text": text,
            "message": self._api_message(message, with_metadata=True),
        }

    def _chat_delete(self, params: Params) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        message = self._find_message(channel, params.get("ts"))
        self._messages.remove(message)
        return {"channel": channel.id, "ts": message["ts"]}

    def _chat_post_ephemeral(self, params: Params) -> dict[str, Any]:
        channel = self._writable_channel(params.get("channel"))
        user = str(params.get("user") or "")
        if user not in self._users:
            raise ApiError("user_not_found")
        text, blocks = self._content(params)
        ts = self._next_ts()
        self.ephemerals.append(
            {"channel": channel.id, "user": user, "ts": ts, "text": text, "blocks": blocks}
        )
        return {"message_ts": ts}

    def _chat_get_permalink(self, params: Params) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        message = self._find_message(channel, params.get("message_ts"))
        link = f"{self.url}/archives/{channel.id}/p{message['ts'].replace('.', '')}"
        return {"channel": channel.id, "permalink": link}

    def _conversations_history(self, params: Params) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        if not channel.bot_member:
            raise ApiError("not_in_channel")
        inclusive = _truthy(params.get("inclusive", False))
        oldest = float(params.get("oldest") or 0)
        latest = float(params["latest"]) if params.get("latest") else float("inf")

        def in_range(ts: float) -> bool:
            if inclusive:
                return oldest <= ts <= latest
            return oldest < ts < latest

        found = [
            m
            for m in reversed(self._messages)
            if m["channel"] == channel.id and in_range(float(m["ts"]))
        ]
        try:
            limit = max(1, min(int(params.get("limit") or 100), 999))
            cursor = params.get("cursor")
            start = int(base64.urlsafe_b64decode(str(cursor)).decode()) if cursor else 0
        except (ValueError, UnicodeDecodeError) as e:
            raise ApiError("invalid_cursor") from e
        page = found[start : start + limit]
        has_more = start + limit < len(found)
        next_cursor = (
            base64.urlsafe_b64encode(str(start + limit).encode()).decode() if has_more else ""
        )
        with_metadata = _truthy(params.get("include_all_metadata", False))
        return {
            "messages": [self._api_message(m, with_metadata) for m in page],
            "has_more": has_more,
            "pin_count": 0,
            "response_metadata": {"next_cursor": next_cursor},
        }

    def _conversations_join(self, params: Params) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        if channel.is_private or channel.is_im:
            raise ApiError("method_not_supported_for_channel_type")
        if channel.is_archived:
            raise ApiError("is_archived")
        already = channel.bot_member
        channel.bot_member = True
        result: dict[str, Any] = {"channel": channel.to_api()}
        if already:
            result["warning"] = "already_in_channel"
        return result

    def _conversations_info(self, params: Params) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        if channel.is_private and not channel.bot_member:
            raise ApiError("channel_not_found")
        return {"channel": channel.to_api()}

    def _conversations_list(self, params: Params) -> dict[str, Any]:
        """Channels the bot can see (public ones, and private ones it is in), paged."""
        kinds = str(params.get("types") or "public_channel").split(",")
        exclude_archived = str(params.get("exclude_archived", "")).lower() in ("1", "true")
        visible = [
            c
            for c in self._channels.values()
            if ("private_channel" if c.is_private else "public_channel") in kinds
            and (c.bot_member or not c.is_private)
            and not (exclude_archived and c.is_archived)
        ]
        limit = max(1, min(1000, int(params.get("limit") or 100)))
        start = int(params.get("cursor") or 0)
        page = visible[start : start + limit]
        more = start + limit < len(visible)
        return {
            "channels": [c.to_api() for c in page],
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _users_info(self, params: Params) -> dict[str, Any]:
        user = self._users.get(str(params.get("user") or ""))
        if user is None:
            raise ApiError("user_not_found")
        return {"user": user.to_api()}

    def _views_publish(self, params: Params) -> dict[str, Any]:
        user_id = str(params.get("user_id") or "")
        if user_id not in self._users:
            raise ApiError("user_not_found")
        view = _maybe_json(params.get("view"))
        if not isinstance(view, dict) or view.get("type") != "home":
            raise ApiError("invalid_arguments")
        if len(view.get("blocks") or []) > 100:
            raise ApiError("invalid_blocks")
        stored = {**copy.deepcopy(view), "id": f"V{user_id}"}
        self.views[user_id] = stored
        return {"view": stored}


_METHODS: dict[str, Callable[[SlackStandIn, Params], dict[str, Any]]] = {
    "auth.test": SlackStandIn._auth_test,
    "chat.postMessage": SlackStandIn._chat_post_message,
    "chat.update": SlackStandIn._chat_update,
    "chat.delete": SlackStandIn._chat_delete,
    "chat.postEphemeral": SlackStandIn._chat_post_ephemeral,
    "chat.getPermalink": SlackStandIn._chat_get_permalink,
    "conversations.history": SlackStandIn._conversations_history,
    "conversations.join": SlackStandIn._conversations_join,
    "conversations.info": SlackStandIn._conversations_info,
    "conversations.list": SlackStandIn._conversations_list,
    "users.info": SlackStandIn._users_info,
    "views.publish": SlackStandIn._views_publish,
}


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
