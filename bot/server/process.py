"""`recordings-bot run`: the bot as a long-running process.

One process runs the poller (APScheduler; the SQLite lease keeps it to one per database) and
receives Slack's requests one of two ways:

    HTTP mode (no SLACK_APP_TOKEN)   waitress serves /slack/events, /healthz and
                                     /tencent/webhook on PORT
    Socket Mode (SLACK_APP_TOKEN)    Slack's requests come over a WebSocket; /healthz, /metrics and
                                     /tencent/webhook are served on WEBHOOK_PORT

/tencent/webhook answers only when TENCENT_MEETING_WEBHOOK_TOKEN is set (tencent_webhook.py).

SIGTERM and Ctrl-C stop it cleanly: no new requests, in-flight ones finish, the scheduler stops,
and the poller lease is released so another process can take over at once.

`wsgi_app()` is the same HTTP app for an external WSGI server
(`waitress-serve --call bot.serve:wsgi_app`); it starts the poller in that process too.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from slack_bolt import App

from bot.config import ConfigError, Settings, load_settings
from bot.preflight import check_slack
from bot.server.http import RunningServer, WsgiApp, make_wsgi_app, start_http_server
from bot.server.tencent_webhook import WebhookApp, make_webhook_app
from bot.wiring import Services, build_services

log = logging.getLogger(__name__)

REQUIRED = ("slack_bot_token", "slack_signing_secret")
MODES = ("auto", "http", "socket")
DEFAULT_HOST = "0.0.0.0"


def choose_mode(settings: Settings, mode: str = "auto") -> str:
    """The mode to run in, "http" or "socket"; "auto" is Socket Mode when SLACK_APP_TOKEN is set."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}")
    if mode == "auto":
        return "socket" if settings.slack_app_token else "http"
    return mode


@dataclass
class Bot:
    """The started parts of a running bot, and how to stop them."""

    services: Services
    scheduler: Any = None  # APScheduler BackgroundScheduler, or None when the poller is off
    webhook: WebhookApp | None = None  # /tencent/webhook, when TENCENT_MEETING_WEBHOOK_TOKEN is set

    def wsgi(self, bolt_app: App | None) -> WsgiApp:
        """The HTTP app: /slack/events (unless `bolt_app` is None), /healthz, /tencent/webhook."""
        if self.webhook is None:
            self.webhook = make_webhook_app(self.services)
        return make_wsgi_app(self.services, bolt_app, webhook_app=self.webhook)

    def start_poller(self) -> None:
        from bot.poller import start_scheduler

        interval = self.services.settings.poll_interval_seconds
        self.scheduler = start_scheduler(self.services.poller, interval)
        log.info("poller started: a cycle every %d s", interval)

    def shutdown(self) -> None:
        """Wake every wait (a cycle catching up, a query waiting for the API budget), stop the
        webhook's workers, the scheduler and the listener pools, then release the poller lease
        and close the store: well within systemd's 90 s."""
        self.services.stopping.set()
        if self.webhook is not None:
            self.webhook.close()
            self.webhook = None
        if self.scheduler is not None:
            with contextlib.suppress(Exception):  # already stopped
                self.scheduler.shutdown(wait=True)
            self.scheduler = None
        self.services.close()


def start_bot(settings: Settings, *, poller: bool = True) -> Bot:
    """Build the services and (unless `poller` is False) start the poller on its schedule."""
    bot = Bot(build_services(settings))
    if poller:
        bot.start_poller()
    return bot


# -- serving -----------------------------------------------------------------------------------
class _Stopper:
    """A flag set by SIGTERM / SIGINT (only installable from the main thread)."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, _frame: object) -> None:
        log.info("received %s: shutting down", signal.Signals(signum).name)
        self.event.set()

    @contextlib.contextmanager
    def installed(self) -> Iterator[_Stopper]:
        in_main = threading.current_thread() is threading.main_thread()
        if in_main:
            for signum in (signal.SIGTERM, signal.SIGINT):
                self._previous[signum] = signal.signal(signum, self._handle)
        try:
            yield self
        finally:
            for signum, handler in self._previous.items():
                signal.signal(signum, handler)
            self._previous.clear()

    def wait(self) -> None:
        while not self.event.wait(0.5):
            pass


def _listen(bot: Bot, app: App, mode: str, host: str) -> tuple[Any, RunningServer]:
    """Start receiving Slack's requests: (the Socket Mode handler or None, the HTTP server)."""
    settings = bot.services.settings
    if mode == "socket":
        from slack_bolt.adapter.socket_mode import SocketModeHandler
        from slack_sdk.errors import SlackApiError

        # Its own logger, held at INFO (quiet_slack_sdk_bodies): by default it takes the app's,
        # and at DEBUG that logs every frame whole (a click carries its message, password too).
        handler = SocketModeHandler(
            app,
            settings.slack_app_token.get_secret_value(),
            logger=logging.getLogger("slack_sdk.socket_mode"),
        )
        try:
            handler.connect()  # apps.connections.open with the app token, then the WebSocket
            server = start_http_server(bot.wsgi(None), host, settings.webhook_port)
        except SlackApiError as exc:  # apps.connections.open refused the token
            handler.close()
            error = exc.response.get("error") if exc.response is not None else None
            raise ConfigError(
                [
                    f"SLACK_APP_TOKEN was refused by Slack ({error or 'no reason given'}): use an "
                    "app-level token (xapp-...) with the connections:write scope"
                ]
            ) from None
        except BaseException:
            handler.close()
            raise
        if handler.client.is_connected():
            log.info("Socket Mode connected; /healthz on port %d", server.port)
        else:  # slack_sdk logs why and keeps retrying in the background
            log.warning("Socket Mode not connected yet, retrying; /healthz on port %d", server.port)
        return handler, server
    server = start_http_server(bot.wsgi(app), host, settings.port)
    log.info("listening for Slack on port %d (POST /slack/events, GET /healthz)", server.port)
    return None, server


def run(
    settings: Settings,
    *,
    mode: str = "auto",
    host: str = DEFAULT_HOST,
    on_ready: Callable[[int], None] | None = None,
    stopper: threading.Event | None = None,
) -> int:
    """Run the bot until SIGTERM / Ctrl-C (or `stopper` is set); returns the exit code (0).

    `on_ready(port)` is called once the HTTP server listens (tests, the demo).
    """
    from bot.slack.app import build_app

    mode = choose_mode(settings, mode)
    signals = _Stopper()
    if stopper is not None:
        signals.event = stopper
    with signals.installed():
        bot = start_bot(settings, poller=False)
        handler = server = None
        try:
            services = bot.services
            if services.slack is not None:  # one line, not Bolt's traceback, when Slack is away
                check_slack(services.slack, services.settings)
            app = build_app(
                services.settings, services.store, services.tencent, executors=services.executors
            )
            bot.start_poller()
            handler, server = _listen(bot, app, mode, host)
            if on_ready is not None:
                on_ready(server.port)
            signals.wait()
        finally:
            if handler is not None:
                with contextlib.suppress(Exception):
                    handler.close()
            if server is not None:
                server.stop()
            bot.shutdown()
            log.info("stopped")
    return 0


# -- for an external WSGI server ---------------------------------------------------------------
_started: Bot | None = None
_started_lock = threading.Lock()


def wsgi_app(settings: Settings | None = None) -> WsgiApp:
    """The HTTP app, for `waitress-serve --call bot.serve:wsgi_app` (or any WSGI server).

    Also starts the poller in this process (stopped at exit); with several worker processes,
    the poller lease keeps it to one cycle at a time per database.
    """
    from bot.slack.app import build_app

    global _started
    settings = settings or load_settings(require=REQUIRED)
    with _started_lock:
        if _started is None:
            _started = start_bot(settings)
            atexit.register(_shutdown_started)
        bot = _started
    services = bot.services
    return bot.wsgi(
        build_app(services.settings, services.store, services.tencent, executors=services.executors)
    )


def _shutdown_started() -> None:
    global _started
    with _started_lock:
        if _started is not None:
            _started.shutdown()
            _started = None
