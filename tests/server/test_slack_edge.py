"""bot.server.slack_edge over loopback: what reaches Bolt on /slack/events, and what does not.

Captured (validly signed) requests sent again, Slack's retries of an event, malformed
timestamps, bodies over the cap; two apps on one database share what they remember.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from urllib.parse import urlencode

import pytest
import requests

from bot.emulator.slack.signed_requests import (
    event_body,
    post_signed,
    signed_headers,
    slash_body,
)
from bot.models import RecordFile, RecordMeeting
from bot.server.http import RunningServer, make_wsgi_app, start_http_server
from bot.server.slack_edge import MAX_SLACK_BODY
from bot.slack.app import build_app
from bot.slack.blocks import POLICY_BUTTON, POLICY_SHOW, recording_message
from bot.wiring import build_services
from tests.slack_env import ADMIN, CHANNEL, MEMBER, SIGNING_SECRET

ROUTE_ADD = f"route add <#{CHANNEL}|general> subject:standup"


def post_raw(url: str, body: bytes, headers: dict[str, str]) -> requests.Response:
    headers = {"Content-Type": "application/x-www-form-urlencoded", **headers}
    return requests.post(url, data=body, headers=headers, timeout=10)


def captured_route_add(env) -> tuple[str, dict[str, str], str]:
    """An admin's signed `route add`, as an attacker on the path would capture it."""
    response_url = env.slack.new_response_url()
    body = slash_body(ROUTE_ADD, user_id=ADMIN, response_url=response_url)
    return body, signed_headers(SIGNING_SECRET, body), response_url


def routes(env) -> list:
    return env.services.store.routes.list()


# -- replays ----------------------------------------------------------------------------------
def test_a_captured_route_add_sent_three_times_adds_one_route(slack_env) -> None:
    body, headers, response_url = captured_route_add(slack_env)

    answers = [post_raw(slack_env.events_url, body.encode(), headers) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 200]  # a copy is ignored, not refused
    assert [a.text for a in answers[1:]] == ["", ""]
    slack_env.wait_answer(response_url)
    slack_env.settle()
    assert len(routes(slack_env)) == 1
    assert len(slack_env.responses_to(response_url)) == 1


def test_the_same_command_signed_anew_is_done_again(slack_env) -> None:
    """Only a copy of one delivery is refused: the same text sent again by Slack (a new
    timestamp, so a new signature) is a new request."""
    for timestamp in (int(time.time()) - 1, int(time.time())):
        response_url = slack_env.slack.new_response_url()
        body = slash_body("help", user_id=MEMBER, response_url=response_url)
        answer = post_signed(slack_env.events_url, SIGNING_SECRET, body, timestamp=timestamp)
        assert answer.status_code == 200
        slack_env.wait_answer(response_url)


def home_opened(user: str) -> dict:
    return {
        "type": "app_home_opened",
        "user": user,
        "channel": f"D{user}",
        "tab": "home",
        "event_ts": f"{time.time():.6f}",
    }


def test_an_event_retried_by_slack_is_processed_once(slack_env) -> None:
    body = event_body(home_opened(MEMBER), event_id="Ev0RETRIED01")
    now = int(time.time())
    answers = [
        post_signed(
            slack_env.events_url,
            SIGNING_SECRET,
            body,
            content_type="application/json",
            timestamp=now - 2 + retry,  # each retry is signed afresh
            extra_headers={"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
            if retry
            else {},
        )
        for retry in range(3)
    ]

    assert [a.status_code for a in answers] == [200, 200, 200]
    slack_env.slack.wait_for(lambda: slack_env.slack.views.get(MEMBER))
    slack_env.settle()
    assert len(slack_env.slack.calls_to("views.publish")) == 1
    # Another event is processed as usual.
    other = event_body(home_opened(ADMIN))
    post = post_signed(slack_env.events_url, SIGNING_SECRET, other, content_type="application/json")
    assert post.status_code == 200
    slack_env.slack.wait_for(lambda: slack_env.slack.views.get(ADMIN))


def test_a_retry_whose_original_never_arrived_is_processed(slack_env) -> None:
    body = event_body(home_opened(MEMBER), event_id="Ev0ONLYRETRY")
    answer = post_signed(
        slack_env.events_url,
        SIGNING_SECRET,
        body,
        content_type="application/json",
        extra_headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"},
    )
    assert answer.status_code == 200
    slack_env.slack.wait_for(lambda: slack_env.slack.views.get(MEMBER))


def test_two_apps_on_one_database_share_what_they_remember(slack_env) -> None:
    """Two processes behind one URL (or a load balancer): a copy sent to the other one is
    ignored too, and so is an event retried to the other one."""
    services = build_services(slack_env.settings)  # its own store connections on the same file
    app = build_app(
        services.settings, services.store, services.tencent, executors=services.executors
    )
    other: RunningServer = start_http_server(make_wsgi_app(services, app))
    try:
        other_url = f"{other.url}/slack/events"
        body, headers, response_url = captured_route_add(slack_env)
        first = post_raw(slack_env.events_url, body.encode(), headers)
        copy = post_raw(other_url, body.encode(), headers)
        assert (first.status_code, copy.status_code, copy.text) == (200, 200, "")

        event = event_body(home_opened(MEMBER), event_id="Ev0TWOAPPS01")
        now = int(time.time())
        for url, timestamp, retry in (
            (slack_env.events_url, now - 1, {}),
            (other_url, now, {"X-Slack-Retry-Num": "1"}),
        ):
            answer = post_signed(
                url,
                SIGNING_SECRET,
                event,
                content_type="application/json",
                timestamp=timestamp,
                extra_headers=retry,
            )
            assert answer.status_code == 200
        slack_env.wait_answer(response_url)
        slack_env.slack.wait_for(lambda: slack_env.slack.views.get(MEMBER))
        slack_env.settle()
        for executor in services.executors:
            wait_idle = getattr(executor, "wait_idle", None)
            if wait_idle is not None:
                assert wait_idle(10)
        assert len(routes(slack_env)) == 1
        assert len(slack_env.slack.calls_to("views.publish")) == 1
    finally:
        other.stop()
        services.close()


# -- timestamps ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "timestamp", ["abc", "1e9", "", "-5", "0x6553F100", "1700000000.5", "²³", "9" * 40]
)
def test_a_malformed_timestamp_is_401(slack_env, timestamp) -> None:
    response_url = slack_env.slack.new_response_url()
    body = slash_body("help", user_id=MEMBER, response_url=response_url)
    headers = signed_headers(SIGNING_SECRET, body)
    headers["X-Slack-Request-Timestamp"] = timestamp

    answer = post_raw(slack_env.events_url, body.encode(), headers)

    assert answer.status_code == 401
    slack_env.settle()
    assert slack_env.responses_to(response_url) == []


# -- sizes --------------------------------------------------------------------------------------
def _worst_click_body(policy: str) -> str:
    """A click on the largest channel message `recording_message` can render: every text at
    its limit, in CJK and characters that escaping lengthens, as many parts as fit."""
    begin = int(time.time() * 1000)
    files = tuple(
        RecordFile(
            record_file_id=f"{'f' * 64}{i}",
            record_start_time=begin,
            record_end_time=begin + 1,
            record_size=10**12,
            sharing_state=1,
            sharing_url="https://meeting.tencent.com/" + "界" * 2900,
            password="密" * 200,
            required_same_corp=True,
            required_participant=True,
            sharing_expire=begin,
            allow_download=True,
        )
        for i in range(60)
    )
    meeting = RecordMeeting(
        meeting_record_id="r" * 64,
        meeting_id="9" * 20,
        meeting_code="<&>" * 100,
        userid="<&>" * 300,
        media_start_time=begin,
        subject="<界&>" * 1000,
        state=3,
        record_files=files,
    )
    text, blocks = recording_message(
        meeting, password_policy=policy, download=True, host_name="<界>" * 500
    )
    payload = {
        "type": "block_actions",
        "user": {"id": "U" * 11, "username": "x" * 80, "name": "x" * 80, "team_id": "T" * 11},
        "api_app_id": "A" * 11,
        "token": "t" * 24,
        "container": {"type": "message", "message_ts": "1.2", "channel_id": "C" * 11},
        "trigger_id": "1" * 60,
        "team": {"id": "T" * 11, "domain": "d" * 60},
        "channel": {"id": "C" * 11, "name": "c" * 80},
        "message": {"type": "message", "text": text, "blocks": blocks, "ts": "1.2"},
        "state": {"values": {}},
        "response_url": "https://hooks.slack.com/actions/" + "x" * 100,
        "actions": [{"action_id": "show_password", "block_id": "file-0", "value": "v" * 2000}],
    }
    return urlencode({"payload": json.dumps(payload, ensure_ascii=False)})


@pytest.mark.parametrize("policy", [POLICY_SHOW, POLICY_BUTTON])
def test_the_largest_click_our_messages_can_cause_fits_under_the_cap(policy) -> None:
    """Why MAX_SLACK_BODY is 512 KiB: the worst click is about 450 KB (a real one, a few KB)."""
    size = len(_worst_click_body(policy).encode("utf-8"))
    assert 300_000 < size < MAX_SLACK_BODY


def test_a_signed_body_over_the_cap_is_413_unread(slack_env, caplog) -> None:
    """Behind a WSGI server with a larger cap (`waitress-serve`' default is 1 GB) the app still
    refuses by Content-Length, and reads nothing of the body."""
    from waitress.server import create_server

    server = create_server(
        make_wsgi_app(slack_env.services, _bolt(slack_env)),
        host="127.0.0.1",
        port=0,
        max_request_body_size=8 << 20,
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    running = RunningServer(server, thread)
    try:
        body = "payload=" + "x" * MAX_SLACK_BODY
        answer = post_raw(
            f"{running.url}/slack/events", body.encode(), signed_headers(SIGNING_SECRET, body)
        )
        assert answer.status_code == 413
        assert "x" * 100 not in caplog.text
    finally:
        running.stop()


def _bolt(env):
    return build_app(
        env.settings, env.services.store, env.services.tencent, executors=env.services.executors
    )


def test_an_oversized_request_is_refused_before_its_body_is_sent(slack_env) -> None:
    """waitress answers 413 on the Content-Length alone: the client need not send the body."""
    with socket.create_connection(("127.0.0.1", slack_env.server.port), timeout=5) as sock:
        sock.sendall(
            b"POST /slack/events HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 3900000\r\n\r\n"
        )
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413")
