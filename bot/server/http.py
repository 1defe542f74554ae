"""The HTTP side of `recordings-bot run`: one WSGI app, served by waitress.

POST /slack/events      commands, interactions and events: size, signature and replay checked
                        (slack_edge.py), then Bolt
GET  /healthz           200 with the poller's last successful cycle, 503 when it is failing or
                        the database is unusable (healthz.py)
GET  /metrics           Prometheus metrics of this process, with the queue depths read from
                        the database (bot/metrics.py)
GET|POST /tencent/webhook   Tencent Meeting events, when a webhook handler is mounted
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot import metrics
from bot.server.healthz import HealthAnswer
from bot.server.queue_depths import QueueDepths
from bot.server.slack_edge import MAX_SLACK_BODY, SlackEdge
from bot.server.tencent_webhook import MAX_BODY as MAX_WEBHOOK_BODY
from bot.wiring import Services

log = logging.getLogger(__name__)

WsgiApp = Callable[[dict, Callable], Iterable[bytes]]


def _json(start_response: Callable, status: str, payload: dict[str, Any]) -> list[bytes]:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    start_response(
        status,
        [("Content-Type", "application/json; charset=utf-8"), ("Content-Length", str(len(body)))],
    )
    return [body]


def make_wsgi_app(
    services: Services,
    bolt_app: App | None,
    *,
    webhook_app: WsgiApp | None = None,
    monotonic: Callable[[], float] = time.monotonic,
) -> WsgiApp:
    slack_handler = None
    if bolt_app is not None:
        slack_handler = SlackEdge(
            SlackRequestHandler(bolt_app),
            services.settings.slack_signing_secret.get_secret_value(),
            services.store.webhooks.seen_nonce,
        )
    health_answer = HealthAnswer(services, monotonic)  # /healthz is public: at most 1 read/s
    depths = QueueDepths(services.store, clock=monotonic)  # also at most 1 read/s

    def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/healthz" and method in ("GET", "HEAD"):
            status, payload = health_answer()
            return _json(start_response, status, payload)
        if path == "/metrics" and method in ("GET", "HEAD"):
            body, content_type = metrics.exposition(depths)
            start_response(
                "200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))]
            )
            return [body]
        if path == "/slack/events" and slack_handler is not None:
            return slack_handler(environ, start_response)
        if path == "/tencent/webhook" and webhook_app is not None:
            return webhook_app(environ, start_response)
        return _json(start_response, "404 Not Found", {"error": "not found"})

    return application


@dataclass
class RunningServer:
    """A WSGI app served by waitress on a background thread (tests, the demo)."""

    server: Any
    thread: threading.Thread

    @property
    def port(self) -> int:
        return int(self.server.effective_port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self, timeout: float = 10.0) -> None:
        """Stop accepting, let running requests finish, then close every connection.

        Sockets are closed from waitress' own loop thread (through its trigger), never under it.
        """
        from waitress import wasyncore

        server = self.server
        try:
            server.trigger.pull_trigger(lambda: wasyncore.dispatcher.close(server))
            server.task_dispatcher.shutdown(cancel_pending=False, timeout=timeout)
            server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        except OSError:  # the loop already ended and closed its trigger: close from here
            wasyncore.close_all(server._map)
        self.thread.join(timeout=timeout)


# The largest body any path takes (each path checks its own cap too); waitress' default is 1 GB.
MAX_REQUEST_BODY = max(MAX_SLACK_BODY, MAX_WEBHOOK_BODY)


def create_http_server(app: WsgiApp, host: str = "127.0.0.1", port: int = 0, threads: int = 8):
    from waitress.server import create_server

    # waitress buffers a whole body (to disk past 512 KB) before the app sees it: cap it, so an
    # unauthenticated POST cannot fill the disk before any signature is checked. A request whose
    # Content-Length is over the cap is answered 413 by waitress before its body is read
    # (waitress refuses a length equal to its setting, hence the + 1).
    return create_server(
        app,
        host=host,
        port=port,
        threads=threads,
        ident="recordings-bot",
        max_request_body_size=MAX_REQUEST_BODY + 1,
    )


def start_http_server(app: WsgiApp, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    server = create_http_server(app, host, port)
    thread = threading.Thread(target=server.run, name="http", daemon=True)
    thread.start()
    return RunningServer(server, thread)
