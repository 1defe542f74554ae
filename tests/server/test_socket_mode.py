"""Socket Mode end to end over loopback: `recordings-bot run` with SLACK_APP_TOKEN connects to the
Slack stand-in's Socket Mode server, acks a slash command and answers it at its response_url,
publishes the Home tab on app_home_opened, and stops cleanly on SIGTERM. Also the stand-in's
Socket Mode server itself, against slack_sdk's own client."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from bot.emulator.slack import SlackStandIn
from bot.emulator.slack.socket_mode import SocketModeServer
from bot.emulator.tencent import TencentEmulator
from bot.poller import LEASE_NAME
from bot.store import open_store
from tests.server.run_helpers import (
    BOT_TOKEN,
    SIGNING_SECRET,
    USER,
    bot_env,
    command,
    free_port,
    healthz,
    start_run,
    terminate,
    wait_until,
)

APP_TOKEN = "xapp-1-A0STANDIN-1-socket-test"
WRONG_APP_TOKEN = "xapp-1-A0STANDIN-1-not-this-one"
PROXY_VARS = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


@pytest.fixture
def backends() -> Iterator[tuple[TencentEmulator, SlackStandIn, SocketModeServer]]:
    with TencentEmulator() as tencent, SlackStandIn(bot_token=BOT_TOKEN) as slack:
        slack.add_user(USER, name="sam", email="sam@example.com")
        yield tencent, slack, slack.enable_socket_mode(APP_TOKEN)


def socket_env(
    tencent: TencentEmulator, slack: SlackStandIn, db: str, app_token: str
) -> tuple[dict[str, str], int, int]:
    """The bot's environment in Socket Mode: (env, PORT, WEBHOOK_PORT)."""
    port, webhook_port = free_port(), free_port()
    env = bot_env(tencent, slack, db, port)
    for name in PROXY_VARS:  # slack_sdk would reach the loopback WebSocket through a proxy
        env.pop(name, None)
    env.update({"SLACK_APP_TOKEN": app_token, "WEBHOOK_PORT": str(webhook_port)})
    return env, port, webhook_port


@pytest.mark.slow
def test_run_in_socket_mode_acks_answers_and_stops_cleanly(backends, tmp_path) -> None:
    tencent, slack, sockets = backends
    db = str(tmp_path / "bot.db")
    env, port, webhook_port = socket_env(tencent, slack, db, APP_TOKEN)
    proc = start_run(env, tmp_path)
    try:
        wait_until(lambda: healthz(webhook_port) == 200 or proc.poll() is not None, what="/healthz")
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        sockets.wait_connected(timeout=5)
        assert healthz(port) is None  # no HTTP listener for Slack on PORT in Socket Mode
        assert len(slack.calls_to("apps.connections.open")) == 1
        store = open_store(db)
        wait_until(lambda: store.leases.holder(LEASE_NAME), what="the poller lease")

        response_url = slack.new_response_url()
        sent_at = time.monotonic()
        envelope_id = sockets.send_slash("today", USER, response_url=response_url)
        ack = sockets.wait_ack(envelope_id, timeout=3)
        assert time.monotonic() - sent_at < 3
        assert ack["envelope_id"] == envelope_id
        answer = slack.wait_for(
            lambda: [r for r in slack.responses if r["url"] == response_url], timeout=10
        )[0]
        assert answer["payload"]["response_type"] == "ephemeral"
        assert answer["payload"].get("text") or answer["payload"].get("blocks")

        home_opened = {
            "type": "app_home_opened",
            "user": USER,
            "channel": f"D{USER}",
            "tab": "home",
            "event_ts": f"{time.time():.6f}",
        }
        envelope_id = sockets.send_event(home_opened)
        assert sockets.wait_ack(envelope_id, timeout=3)["envelope_id"] == envelope_id
        view = slack.wait_for(lambda: slack.views.get(USER), timeout=10)
        assert view["type"] == "home" and view["blocks"]
        assert slack.calls_to("views.publish")[-1]["user_id"] == USER

        code, stderr = terminate(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert code == 0, stderr
    assert "stopped" in stderr and "Traceback" not in stderr
    sockets.wait_disconnected(timeout=2)
    assert store.leases.holder(LEASE_NAME) is None  # released, not left to expire
    assert healthz(webhook_port) is None
    for secret in (APP_TOKEN, BOT_TOKEN, SIGNING_SECRET):
        assert secret not in stderr
    store.close()


@pytest.mark.slow
def test_run_with_a_wrong_app_token_says_so_and_exits(backends, tmp_path) -> None:
    tencent, slack, sockets = backends
    db = str(tmp_path / "bot.db")
    env, _, webhook_port = socket_env(tencent, slack, db, WRONG_APP_TOKEN)
    result = subprocess.run(
        command("run", "--host", "127.0.0.1"),
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "SLACK_APP_TOKEN was refused by Slack (invalid_auth)" in result.stderr
    assert "Traceback" not in output
    assert WRONG_APP_TOKEN not in output and BOT_TOKEN not in output
    assert sockets.connects == 0
    assert healthz(webhook_port) is None
    store = open_store(db)
    assert store.leases.holder(LEASE_NAME) is None  # the poller it started let go on the way out
    store.close()


# -- the stand-in's Socket Mode server, against slack_sdk's client -------------------------------
def test_apps_connections_open_wants_the_app_token() -> None:
    with SlackStandIn(bot_token=BOT_TOKEN) as slack:
        web = WebClient(base_url=slack.api_url, token=BOT_TOKEN)
        with pytest.raises(SlackApiError) as disabled:
            web.apps_connections_open(app_token=APP_TOKEN)  # Socket Mode not enabled yet
        assert disabled.value.response["error"] == "invalid_auth"
        sockets = slack.enable_socket_mode(APP_TOKEN)
        assert slack.enable_socket_mode(APP_TOKEN) is sockets
        for token, error in (
            (WRONG_APP_TOKEN, "invalid_auth"),
            (BOT_TOKEN, "not_allowed_token_type"),
        ):
            with pytest.raises(SlackApiError) as refused:
                web.apps_connections_open(app_token=token)
            assert refused.value.response["error"] == error
        url = web.apps_connections_open(app_token=APP_TOKEN)["url"]
        assert url.startswith(f"ws://127.0.0.1:{sockets.port}/link/?ticket=")

        with connect(url, open_timeout=3) as first:  # hello first, as Slack does
            hello = first.recv(timeout=3)
            assert '"type": "hello"' in hello
        with pytest.raises(InvalidStatus) as reused:
            connect(url, open_timeout=3)  # a ticket works once
        assert reused.value.response.status_code == 401
        assert sockets.connects == 1


@pytest.mark.slow  # slack_sdk lets go of the old connection when its 3 s read times out
def test_socket_mode_server_delivers_envelopes_and_reconnects() -> None:
    with SlackStandIn(bot_token=BOT_TOKEN) as slack:
        sockets = slack.enable_socket_mode(APP_TOKEN)
        seen: list[dict] = []
        got = threading.Event()

        def on_request(client: SocketModeClient, request: SocketModeRequest) -> None:
            seen.append({"type": request.type, "payload": request.payload})
            got.set()
            answer = SocketModeResponse(request.envelope_id, payload={"response_action": "clear"})
            client.send_socket_mode_response(answer)

        client = SocketModeClient(
            app_token=APP_TOKEN, web_client=WebClient(base_url=slack.api_url), ping_interval=30
        )
        client.socket_mode_request_listeners.append(on_request)
        with pytest.raises(RuntimeError):  # nobody connected: nothing to send to
            sockets.send_event({"type": "app_home_opened", "user": USER})
        try:
            client.connect()
            sockets.wait_connected()
            submission = {"type": "view_submission", "user": {"id": USER}, "view": {"id": "V1"}}
            envelope_id = sockets.send_interactive(submission)
            ack = sockets.wait_ack(envelope_id, timeout=3)
            assert ack == {"envelope_id": envelope_id, "payload": {"response_action": "clear"}}
            assert seen == [{"type": "interactive", "payload": submission}]
            assert sockets.sent[-1]["accepts_response_payload"] is True

            sockets.disconnect_all()  # Slack's "refresh_requested": the client must come back
            # the client connects anew, then drops the old connection (once its read times out)
            sockets.wait_for(lambda: sockets.connects == 2 and sockets.connected == 1, 8)
            assert len(slack.calls_to("apps.connections.open")) == 2
        finally:
            # (slack_sdk's client may keep a reconnect it had under way open after close():
            # whether it lets go is the library's business, so it is not asserted here.)
            client.close()


@pytest.mark.slow
def test_run_in_socket_mode_with_v_never_logs_what_slack_sends(backends, tmp_path) -> None:
    """`-v` turns on debug logs, but not the frames Slack sends: a click on a `password:show`
    message carries the whole message, password included, and its response_url."""
    import subprocess

    from tests.server.run_helpers import command

    tencent, slack, sockets = backends
    env, _, webhook_port = socket_env(tencent, slack, str(tmp_path / "bot.db"), APP_TOKEN)
    log_path = tmp_path / "run.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            command("-v", "run", "--host", "127.0.0.1"),
            env=env,
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            wait_until(lambda: healthz(webhook_port) == 200 or proc.poll() is not None, what="up")
            sockets.wait_connected(timeout=5)
            response_url = slack.new_response_url()
            envelope_id = sockets.send_slash(
                "search Secret-Frame-Marker", USER, response_url=response_url
            )
            sockets.wait_ack(envelope_id, timeout=3)
            slack.wait_for(lambda: [r for r in slack.responses if r["url"] == response_url])
        finally:
            proc.terminate()
            proc.wait(timeout=15)
    text = log_path.read_text()
    assert "DEBUG" in text  # -v took effect
    assert response_url not in text  # the frame's body was not logged
