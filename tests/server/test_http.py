"""The HTTP side over loopback: Slack signature verification on /slack/events, and /healthz."""

from __future__ import annotations

import os
import time

import pytest
import requests

from bot.emulator.slack.signed_requests import action_body, post_signed, signed_headers, slash_body
from bot.server.http import make_wsgi_app, start_http_server

MEMBER = "UMEMBER01"  # as in conftest.py
SIGNING_SECRET = "test-signing-secret"


def show_password_body(env) -> tuple[str, str]:
    """A Show password click (on a recording the store knows) and its response_url. Without
    PASSWORD_KEY the store keeps no password: the click fetches it from the emulator."""
    from bot.sync import sync_range

    now = time.time()
    env.tencent.dataset.add_meeting(
        start=now - 3 * 3600, subject="Sync", password="pw", meeting_record_id="rec-1"
    )
    sync_range(env.services.store, env.services.tencent, int(now - 86400), int(now), notify=False)
    file_id = env.services.store.recordings.get("rec-1").record_files[0].record_file_id
    response_url = env.slack.new_response_url()
    payload = {
        "type": "block_actions",
        "user": {"id": MEMBER},
        "team": {"id": "T0DEMO0001"},
        "channel": {"id": "CGENERAL1"},
        "response_url": response_url,
        "actions": [{"action_id": "show_password", "value": f"rec-1:{file_id}", "type": "button"}],
    }
    return action_body(payload), response_url


def post_raw(env, body: str, headers: dict) -> requests.Response:
    headers = {"Content-Type": "application/x-www-form-urlencoded", **headers}
    return env.session.post(env.events_url, data=body.encode(), headers=headers, timeout=10)


@pytest.mark.parametrize("kind", ["unsigned", "wrong secret", "stale", "tampered"])
def test_bad_signatures_are_rejected_and_do_nothing(slack_env, kind) -> None:
    body, response_url = show_password_body(slack_env)
    slash_url = slack_env.slack.new_response_url()
    slash = slash_body("today", user_id=MEMBER, response_url=slash_url)
    if kind == "unsigned":
        answers = [post_raw(slack_env, b, {}) for b in (body, slash)]
    elif kind == "wrong secret":
        answers = [post_signed(slack_env.events_url, "not-the-secret", b) for b in (body, slash)]
    elif kind == "stale":
        old = int(time.time()) - 6 * 60
        answers = [
            post_signed(slack_env.events_url, SIGNING_SECRET, b, timestamp=old)
            for b in (body, slash)
        ]
    else:  # signed, then the body changed
        answers = [
            post_raw(slack_env, b + "&x=1", signed_headers(SIGNING_SECRET, b))
            for b in (body, slash)
        ]

    assert [a.status_code for a in answers] == [401, 401]
    # A signed request sent after them is answered; once the app has settled, it is the only one.
    _, later = slack_env.slash("help")
    slack_env.wait_answer(later)
    slack_env.settle()
    assert [r["url"] for r in slack_env.slack.responses] == [later]
    assert slack_env.services.store.users.password_audit() == []


def test_a_properly_signed_click_is_accepted(slack_env) -> None:
    body, response_url = show_password_body(slack_env)

    answer = post_signed(slack_env.events_url, SIGNING_SECRET, body)

    assert answer.status_code == 200
    assert "pw" in slack_env.wait_answer(response_url)[0]["text"]
    assert len(slack_env.services.store.users.password_audit()) == 1


def test_healthz_follows_the_poller_state(slack_env, monkeypatch) -> None:
    monkeypatch.setattr("bot.server.healthz.CACHE_SECONDS", 0.0)
    url = f"{slack_env.server.url}/healthz"
    state = slack_env.services.store.state
    now = time.time()

    starting = requests.get(url, timeout=5)
    assert starting.status_code == 200 and starting.json()["summary"].startswith("starting")

    state.set("poller.last_started_at", now - 30)
    state.set("poller.consecutive_failures", 2)
    failing = requests.get(url, timeout=5)
    assert failing.status_code == 503
    assert failing.json()["healthy"] is False and failing.json()["consecutive_failures"] == 2

    state.set("poller.consecutive_failures", 0)
    state.set("poller.last_success_at", now - 10)
    ok = requests.get(url, timeout=5)
    assert ok.status_code == 200 and ok.json()["summary"] == "ok"

    state.set("poller.last_success_at", now - 3 * slack_env.settings.poll_interval_seconds - 120)
    stale = requests.get(url, timeout=5)
    assert stale.status_code == 503 and stale.json()["summary"].startswith("stale")


def test_unknown_paths_answer_404(slack_env) -> None:
    assert requests.get(f"{slack_env.server.url}/nope", timeout=5).status_code == 404


def test_healthz_reads_the_store_at_most_once_a_second(slack_env) -> None:
    clock = [1000.0]
    app = make_wsgi_app(slack_env.services, None, monotonic=lambda: clock[0])
    server = start_http_server(app)
    try:
        url = f"{server.url}/healthz"
        assert requests.get(url, timeout=5).status_code == 200
        slack_env.services.store.state.set("poller.last_started_at", time.time() - 30)
        slack_env.services.store.state.set("poller.consecutive_failures", 5)
        clock[0] += 0.99
        assert requests.get(url, timeout=5).status_code == 200  # the cached answer
        clock[0] += 0.01
        assert requests.get(url, timeout=5).status_code == 503
    finally:
        server.stop()


@pytest.mark.parametrize("where", ["header", "whole file"])
def test_healthz_on_a_corrupt_database_is_503_with_the_cause(slack_env, monkeypatch, where) -> None:
    """Garbage written over the SQLite file: 503 naming the cause, never 500, never 200 "ok"
    (a connection's page cache would go on answering from the old pages)."""
    monkeypatch.setattr("bot.server.healthz.CACHE_SECONDS", 0.0)
    url = f"{slack_env.server.url}/healthz"
    state = slack_env.services.store.state
    state.set("poller.last_started_at", time.time() - 30)
    state.set("poller.last_success_at", time.time() - 10)
    assert requests.get(url, timeout=5).json()["summary"] == "ok"
    slack_env.services.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    path = slack_env.services.store.path
    with open(path, "r+b") as f:
        size = f.seek(0, 2)
        f.seek(0)
        f.write(os.urandom(100 if where == "header" else size))

    answers = [requests.get(url, timeout=5) for _ in range(3)]

    assert [a.status_code for a in answers] == [503, 503, 503]
    payload = answers[0].json()
    assert payload["healthy"] is False
    assert payload["summary"].startswith("database error:") and "not SQLite" in payload["summary"]
    assert path not in answers[0].text
