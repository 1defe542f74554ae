"""`recordings-bot run` as a real process in HTTP mode, against the Tencent emulator and the Slack
stand-in: it serves /healthz, answers a signed /recordings, and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import subprocess

import pytest
import requests

from bot.config import load_settings
from bot.poller import LEASE_NAME
from bot.server.http import start_http_server
from bot.server.process import _shutdown_started, choose_mode, wsgi_app
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


def test_run_serves_answers_and_stops_cleanly_on_sigterm(backends, tmp_path) -> None:
    tencent, slack = backends
    port, db = free_port(), str(tmp_path / "bot.db")
    env = bot_env(tencent, slack, db, port)
    proc = start_run(env, tmp_path)
    try:
        wait_until(lambda: healthz(port) == 200 or proc.poll() is not None, what="/healthz")
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        store = open_store(db)
        wait_until(lambda: store.state.get("poller.last_success_at"), what="a poll cycle")
        assert store.leases.holder(LEASE_NAME) is not None

        response_url = slack.new_response_url()
        sent = subprocess.run(
            command("slash", "today", "--user", USER, "--response-url", response_url),
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert sent.returncode == 0, sent.stderr
        assert "HTTP 200" in sent.stdout
        answer = slack.wait_for(lambda: slack.responses, timeout=10)[0]
        assert answer["url"] == response_url
        assert answer["payload"]["response_type"] == "ephemeral"
        no_hook = requests.post(f"http://127.0.0.1:{port}/tencent/webhook", json={}, timeout=5)
        assert no_hook.status_code == 404  # no TENCENT_MEETING_WEBHOOK_TOKEN: not mounted

        idle = requests.Session()  # an idle keep-alive connection must not hold up the exit
        assert idle.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
        code, stderr = terminate(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert code == 0, stderr
    assert "stopped" in stderr and "Traceback" not in stderr
    assert store.leases.holder(LEASE_NAME) is None  # released, not left to expire
    assert healthz(port) is None  # no longer listening
    assert SIGNING_SECRET not in stderr and BOT_TOKEN not in stderr
    store.close()


def test_run_without_slack_secrets_says_what_is_missing(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TENCENT_"))}
    env["RECORDINGS_DB"] = str(tmp_path / "bot.db")
    result = subprocess.run(
        command("run"), env=env, cwd=tmp_path, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN is required" in result.stderr
    assert "SLACK_SIGNING_SECRET is required" in result.stderr


def test_choose_mode() -> None:
    http = load_settings({})
    socket_mode = load_settings({"SLACK_APP_TOKEN": "xapp-1"})
    assert choose_mode(http) == "http" and choose_mode(socket_mode) == "socket"
    assert choose_mode(socket_mode, "http") == "http"
    with pytest.raises(ValueError):
        choose_mode(http, "carrier-pigeon")


def test_wsgi_app_factory_serves_and_starts_the_poller(backends, tmp_path) -> None:
    tencent, slack = backends
    env = bot_env(tencent, slack, str(tmp_path / "bot.db"), free_port())
    env["TENCENT_MEETING_WEBHOOK_TOKEN"] = "hook-token"
    settings = load_settings(env)
    app = wsgi_app(settings)
    server = start_http_server(app, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.port}"
    try:
        assert requests.get(f"{url}/healthz", timeout=5).status_code == 200
        store = open_store(settings.recordings_db)
        wait_until(lambda: store.leases.holder(LEASE_NAME), what="the poller lease")
        unsigned = requests.post(f"{url}/slack/events", data="command=%2Frecordings", timeout=5)
        assert unsigned.status_code == 401
        hook = requests.post(f"{url}/tencent/webhook", json={"data": "x"}, timeout=5)
        assert hook.status_code == 401  # mounted, and unsigned events are refused
    finally:
        server.stop()
        _shutdown_started()
    assert store.leases.holder(LEASE_NAME) is None
    store.close()
