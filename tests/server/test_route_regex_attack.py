"""The route regex attack (issue 10, section 1) against a real `recordings-bot run`: a route
`subject~(a+)+$` saved by an older release and a meeting named 'a'*34 + '!' must not freeze the
bot, and a stored route RE2 refuses is quarantined (reported, matching nothing) instead.

Before the fix the first poll cycle spun inside the write transaction (hours of backtracking):
nothing was posted, and `/recordings today` froze too. Each wait here is a few seconds."""

from __future__ import annotations

import time

import pytest

from bot.emulator.slack.signed_requests import post_signed, slash_body
from bot.models import RouteSpec
from bot.store import open_store
from tests.server.run_helpers import (
    SIGNING_SECRET,
    USER,
    bot_env,
    free_port,
    healthz,
    start_run,
    terminate,
    wait_until,
)

ADMIN = "UADMINRX1"
DEFAULT = "CDEFAULT1"
PRIVATE = "CPRIVATE1"
HELD = "CPRIVATE2"
ADMINS = "CADMINSRX"
EVIL_SUBJECT = "a" * 34 + "!"


def _slash(port: int, slack, text: str, user: str) -> str:
    response_url = slack.new_response_url()
    body = slash_body(text, user_id=user, response_url=response_url)
    answer = post_signed(f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET, body, timeout=5)
    assert answer.status_code == 200
    return response_url


def _answer(slack, response_url: str, timeout: float) -> dict:
    found = slack.wait_for(
        lambda: [r["payload"] for r in slack.responses if r["url"] == response_url],
        timeout=timeout,
    )
    return found[-1]


@pytest.mark.timeout(90)
def test_an_exponential_regex_and_a_quarantined_route_do_not_stop_the_bot(
    backends, tmp_path
) -> None:
    tencent, slack = backends
    for channel, name in ((DEFAULT, "recordings"), (PRIVATE, "aaa"), (HELD, "hr")):
        slack.add_channel(channel, name)
    slack.add_channel(ADMINS, "recordings-admins")
    slack.add_user(ADMIN, name="ada", email="ada@example.com")
    port, db = free_port(), str(tmp_path / "bot.db")

    # The routes as an older release stored them: neither was checked against RE2.
    store = open_store(db)
    store.routes.set_default(DEFAULT)
    evil = store.routes.add(PRIVATE, RouteSpec(match_subject_regex="(a+)+$"))
    held = store.routes.add(HELD, RouteSpec(match_host="bob", match_subject_regex=r"(\w)\1"))

    start = time.time() - 600
    data = tencent.dataset
    ids = {
        "evil": data.add_meeting(
            start=start, duration=120, transcode_seconds=60, subject=EVIL_SUBJECT
        ),
        "aaaa": data.add_meeting(start=start, duration=120, transcode_seconds=60, subject="aaaa"),
        "weekly": data.add_meeting(start=start, duration=120, transcode_seconds=60),
        "bob": data.add_meeting(
            start=start, duration=120, transcode_seconds=60, userid="bob", subject="Budget"
        ),
    }
    for mid in ids.values():
        data.complete_now(mid)

    env = bot_env(tencent, slack, db, port)
    env.update({"ADMIN_USER_IDS": ADMIN, "ADMIN_CHANNEL": ADMINS, "DEFAULT_CHANNEL": DEFAULT})
    proc = start_run(env, tmp_path)
    try:
        wait_until(lambda: healthz(port) == 200 or proc.poll() is not None, what="/healthz")
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""

        # The first poll cycle routes every recording and posts them, in seconds.
        def posted(name: str) -> list[str]:
            return [d.channel for d in store.deliveries.sent_for(ids[name])]

        wait_until(
            lambda: posted("evil") and posted("weekly") and posted("aaaa"),
            timeout=10,
            what="the poll cycle's posts",
        )
        assert (posted("evil"), posted("weekly"), posted("aaaa")) == (
            [DEFAULT],
            [DEFAULT],
            [PRIVATE],
        )
        assert healthz(port) == 200
        # The quarantined route holds bob's recording: not posted to the default channel.
        assert slack.messages(HELD) == []
        assert store.deliveries.get(ids["bob"], DEFAULT) is None
        notice = wait_until(lambda: slack.messages(ADMINS), timeout=5, what="the admin notice")
        assert len(notice) == 1
        assert f"Route #{held.id}" in notice[0]["text"] and "quarantined" in notice[0]["text"]
        assert "backreferences" in notice[0]["text"]

        # A member's /recordings today answers (it routes the same recordings for passwords).
        asked = time.monotonic()
        today = _answer(slack, _slash(port, slack, "today", USER), timeout=5)
        assert time.monotonic() - asked < 5
        assert "went wrong" not in str(today)

        status = _answer(slack, _slash(port, slack, "status", ADMIN), timeout=5)
        assert "Quarantined routes" in str(status) and f"#{held.id}" in str(status)
        assert f"#{evil.id}" not in str(status)  # RE2 runs it, in linear time

        code, stderr = terminate(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert code == 0, stderr
    assert posted("bob") == [] and store.deliveries.get(ids["bob"], HELD) is None
    store.close()
