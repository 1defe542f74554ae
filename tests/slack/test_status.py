"""bot.slack.status: the admins' `/recordings status`, drawn from Health alone."""

from __future__ import annotations

import json

from bot.health import Health
from bot.models import RecordMeeting
from bot.slack.status import status_blocks


def _health(**kw) -> Health:
    base = dict(
        healthy=False,
        summary="failing: the last 2 poll cycles failed",
        last_success_at=None,
        last_cycle={"fetched": 4, "sent": 2, "calls": 3},
        next_run_at=1_795_000_120.0,
        consecutive_failures=2,
        last_error={"at": 1_795_000_000.0, "message": "Tencent Meeting error 9042 <b>"},
        poller_holder="host:1:abc",
    )
    base.update(kw)
    return Health(**base)  # type: ignore[arg-type]


def test_status_blocks_describe_a_failing_bot():
    stuck = RecordMeeting(
        meeting_record_id="r",
        meeting_id="m",
        meeting_code="1",
        userid="alice",
        media_start_time=1_794_000_000_000,
        subject="Board <!everyone>",
        state=2,
    )
    text, blocks = status_blocks(
        _health(stuck=[stuck], calls_last_minute=7, calls_today=120, webhook=None), "Asia/Shanghai"
    )
    shown = json.dumps(blocks, ensure_ascii=False)
    assert text.startswith("Recordings bot status: unhealthy")
    assert "Last successful poll: never" in shown
    assert "<!date^1795000120^" in shown
    assert "Board &lt;!everyone&gt;" in shown and "<!everyone>" not in shown
    assert "7 in the last minute (limit 10 a minute) · 120 today" in shown
    assert "error 9042 &lt;b&gt;" in shown
    assert "Webhook" not in shown
    assert len(blocks) <= 50


def test_status_blocks_show_webhook_stats_when_present():
    webhook = {"last_event_at": 1_795_000_000.0, "accepted": 5, "duplicates": 1, "rejected": 2}
    _, blocks = status_blocks(_health(webhook=webhook, last_error=None), "UTC")
    shown = json.dumps(blocks)
    assert "5 accepted, 1 duplicates, 2 rejected" in shown
    assert "Last error" not in shown


def test_status_says_whether_meeting_passwords_are_stored():
    _, kept = status_blocks(_health(passwords_kept=True), "Asia/Shanghai")
    _, not_kept = status_blocks(_health(passwords_kept=False), "Asia/Shanghai")
    assert "stored encrypted (PASSWORD_KEY)" in json.dumps(kept)
    said = json.dumps(not_kept, ensure_ascii=False)
    assert "not stored (PASSWORD_KEY is not set)" in said and "Show password" in said


def test_broken_and_quarantined_routes_show_their_channel_as_a_link_and_escape_the_rest():
    from bot.models import Route

    broken = Route(
        id=3, channel="C0BROKEN1", match_subject="<!here>", broken_reason="not_in_channel"
    )
    held = Route(id=4, channel="C0HELD001", match_subject_regex=r"(\w)\1")
    _, blocks = status_blocks(
        _health(broken_routes=[broken], quarantined_routes=[(held, "uses <b>")]), "UTC"
    )
    shown = json.dumps(blocks, ensure_ascii=False)
    assert "<#C0BROKEN1>" in shown and "<#C0HELD001>" in shown
    assert "&lt;#C0" not in shown
    assert "&lt;!here&gt;" in shown and "uses &lt;b&gt;" in shown


def test_status_shows_what_was_said_and_asks_for_an_sts_token_when_one_is_needed():
    from bot.slack.status import STS_NEEDED

    counts = {"ready": 5, "generating": 2, "off": 1, "no_sts": 3, "error": 0}
    _, blocks = status_blocks(_health(content=counts, sts_needed=True), "UTC")
    text = json.dumps(blocks, ensure_ascii=False)
    assert (
        "*What was said:* 5 ready · 2 still generating · 1 AI off · 3 waiting for an STS token"
        in text
    )
    assert "common.sts-token" in text and "TENCENT_MEETING_WEBHOOK_TOKEN" in text
    assert STS_NEEDED in [b["text"]["text"].split("\n")[-1] for b in blocks if "text" in b]
    _, quiet = status_blocks(_health(content=counts, sts_needed=False), "UTC")
    assert "common.sts-token" not in json.dumps(quiet)
    _, none = status_blocks(_health(content={"ready": 0, "no_sts": 0}), "UTC")
    assert "What was said" not in json.dumps(none)
