"""`recordings-bot demo`: the renderer (pure), the timeline's budget, and one whole quick run."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
import time

import pytest

from bot.cli import cli
from bot.config import DEMO_SECRET_KEY
from bot.demo import Timeline, world
from bot.demo.console import serve_lines
from bot.demo.render import mrkdwn_to_text, render_blocks
from bot.emulator.tencent.dataset import Dataset
from bot.slack.blocks import recording_message
from bot.tencent.records import parse_meeting

TZ = "Asia/Shanghai"
NOON_CST = 1_795_579_200  # 2026-11-25 12:00 in Shanghai (04:00 UTC)


# -- render (pure) ---------------------------------------------------------------------------
def test_mrkdwn_to_text_dates_mentions_links_and_escapes():
    text = (
        f"*Start*\n<!date^{NOON_CST}^{{date_short_pretty}} {{time}}|fallback> by <@U0LOCAL01> "
        "in <#C0PRODUCT> or <#C9|other> · <https://example.com/x?a=1|Watch> "
        "&lt;b&gt; &amp; :white_check_mark: :unknown_emoji:"
    )
    out = mrkdwn_to_text(text, tz_name=TZ, names=world.NAMES)
    assert out == (
        "Start\n2026-11-25 12:00 by @mei in #product or #other · [Watch] <b> & ✅ :unknown_emoji:"
    )
    assert mrkdwn_to_text(f"<!date^{NOON_CST}^{{time}}|x>", tz_name="UTC", names={}) == "04:00"


def test_render_blocks_layout():
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Recording: 周会 <1>"}},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": "*Host*\nzhangwei"},
                {"type": "mrkdwn", "text": "*Meeting code*\n123456789"},
                {"type": "mrkdwn", "text": "*State*\n:hourglass_flowing_sand: transcoding"},
            ],
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": ":lock: Sharing is off"}]},
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Watch"},
                    "url": "https://x.invalid/secret-looking?token=abc",
                },
                {"type": "button", "text": {"type": "plain_text", "text": "Download"}},
            ],
        },
        {"type": "divider"},
    ]
    assert render_blocks(blocks, tz_name=TZ) == [
        "Recording: 周会 <1>",
        "Host: zhangwei · Meeting code: 123456789",
        "State: ⏳ transcoding",
        "  🔒 Sharing is off",
        "[Watch] [Download]",
        "─" * 24,
    ]
    assert render_blocks([], tz_name=TZ, fallback="just *text*") == ["just text"]


def test_render_a_real_recording_post_shows_buttons_but_no_address_or_password():
    now = float(NOON_CST)
    ds = Dataset(seed=5)
    mid = ds.add_meeting(
        start=now - 3600, duration=1800, transcode_seconds=60, subject="产品周会 <!channel>",
        userid="zhangwei", files=2, password="Pw9x",
    )  # fmt: skip
    meeting = parse_meeting(ds.to_api(ds.get(mid), now))
    _, blocks = recording_message(meeting, password_policy="button", download=True, tz_name=TZ)
    lines = render_blocks(blocks, tz_name=TZ)
    text = "\n".join(lines)
    assert lines[0] == "Recording: 产品周会 <!channel>"
    assert "Host: zhangwei" in text and "Start: 2026-11-25 11:00" in text
    assert text.count("[Watch] [Show password] [Download]") == 2  # one row per part
    assert "Pw9x" not in text and "http" not in text


# -- timeline --------------------------------------------------------------------------------
@pytest.mark.parametrize("duration", [10, 12, 14, 23, 30, 45, 59, 120])
def test_timeline_fits_the_api_budget_and_tells_the_story_in_order(duration):
    tl = Timeline.for_duration(duration)
    cycles = math.floor(tl.duration / tl.interval) + 1
    backfill_calls = 2  # at most: the week is 20 to 40 recordings
    assert cycles + backfill_calls <= 9  # background callers leave 1 of 10 to people
    first, second = tl.finish_after
    assert 0 < first < second and tl.ask_at[0] <= tl.ask_at[1] <= tl.ask_at[2] < tl.duration
    assert tl.ask_at[0] >= first + tl.interval  # `today`: after the 1st one's poll
    assert tl.ask_at[1] >= second + tl.interval  # `search 周会`: after the 2nd one's poll


# -- --serve instructions, --db -----------------------------------------------------------
def test_serve_lines_give_a_runnable_environment_and_slash_commands():
    env = world.demo_env(
        "http://127.0.0.1:8780",
        "http://127.0.0.1:8781/api/",
        "/tmp/demo dir/recordings.db",
        timezone=TZ,
        poll_interval=10,
    )
    lines = serve_lines(env, "http://127.0.0.1:8781/response/4", world.ADMIN)
    text = "\n".join(lines)
    assert "export RECORDINGS_DB='/tmp/demo dir/recordings.db'" in text  # quoted for the shell
    for name in ("TENCENT_MEETING_API_URL", "SLACK_API_URL", "SLACK_BOT_TOKEN", "PORT"):
        assert f"export {name}=" in text
    assert "TENCENT_MEETING_SECRET_KEY" not in text and DEMO_SECRET_KEY not in text
    assert "recordings-bot run" in text
    assert "recordings-bot slash --response-url http://127.0.0.1:8781/response/4 today" in text
    assert f"--user {world.ADMIN} status" in text
    assert "slash" in cli.commands and "run" in cli.commands  # the commands it tells about


def test_demo_refuses_to_reuse_an_existing_database(tmp_path):
    db = tmp_path / "kept.db"
    db.write_bytes(b"SQLite format 3\x00 not empty")
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--quick", "--db", str(db)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        timeout=30,
    )
    assert proc.returncode == 2
    assert "already exists" in proc.stdout and "Traceback" not in proc.stderr
    assert db.read_bytes() == b"SQLite format 3\x00 not empty"


# -- the whole demo --------------------------------------------------------------------------
def _section(out: str, start: str, end: str) -> str:
    return out[out.index(start) : out.index(end)]


@pytest.mark.slow
def test_quick_demo_end_to_end():
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "BOT_TIMEZONE": TZ}
    env.pop("RECORDINGS_DB", None)
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--quick"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=50,
    )
    elapsed = time.monotonic() - started
    out, err = proc.stdout, proc.stderr
    assert proc.returncode == 0, out + err
    assert elapsed < 30
    assert "Traceback" not in out + err
    assert err.strip() == ""  # library logs stay at WARNING, and there were none

    setup = _section(out, "Tencent Meeting emulator", "Running for")
    story = _section(out, "Running for", "\nSummary\n")  # not the minutes' "Summary, to-dos"
    busy_codes = re.findall(r"code (\d+): (?:recording|transcoding)", setup)
    finishing = setup[setup.index("Finishing during") : setup.index("Still recording")]
    finishing_codes = re.findall(r"code (\d+)", finishing)
    assert len(finishing_codes) == 2 and len(busy_codes) >= 2 + 2

    # Ready before the demo: posted at the first poll, to the routed channels.
    assert re.search(r"#product · new message.*\n.*│ Recording: 产品周会 第42期", story)
    assert re.search(r"#recordings · new message.*\n.*│ Recording: Customer call — ACME", story)
    assert "[Watch] [Show password] [Download]" in story  # #product: download:on

    # Finishing during the demo: posted only after the emulator says it is ready.
    for subject, channel in (("技术评审：支付网关", "recordings"), ("市场部周会", "product")):
        done = story.index(f"“{subject}”")
        assert "finished transcoding" in story[done : done + 60]
        post = re.search(rf"#{channel} · new message.*\n.*│ Recording: {subject}", story)
        assert post is not None and post.start() > done

    # Still recording or transcoding: never posted (a post shows the meeting code).
    unposted = [c for c in busy_codes if c not in finishing_codes]
    assert unposted and not [c for c in unposted if c in story]

    # The slash commands and their answers, in order.
    today = story.index("@mei types: /recordings today")
    search = story.index("@mei types: /recordings search 周会")
    said = story.index("@mei types: /recordings search 预算")
    status = story.index("@admin types: /recordings status")
    in_chinese = story.index("@zhang types: /recordings 今天")
    assert today < in_chinese < search < said < status
    assert "Recordings · today" in story[today:in_chinese]
    # The same question from a colleague whose Slack speaks Chinese: answered in Chinese.
    assert "录制 · 今天" in story[in_chinese:search] and "个录制" in story[in_chinese:search]

    # The admin adds a route with App Home's form; the admin channel hears of it, and a
    # recording finishing later is posted there in Chinese (the route's lang:zh).
    form = story.index("@admin clicks Add route in the app's Home tab")
    assert "fills in “Add a route” and saves: #recordings-zh, 周会, zh" in story[form:]
    assert "@admin added route #3 → #recordings-zh" in story[form:]
    zh_post = re.search(r"#recordings-zh · new message from the bot\n.*│ 录制：(.+)", story)
    assert zh_post is not None and "周会" in zh_post.group(1) and zh_post.start() > form
    answer = story[search:said]
    assert "“周会” · last 30 days" in answer and "市场部周会" in answer
    assert "产品周会 第42期" in answer and "Customer call" not in answer

    # What was said: a hit inside a posted recording's transcript, with speaker and time.
    answer = story[said:status]
    assert "In what was said" in answer and "times into the recording" in answer
    hit = re.search(r"│ (.+) · \d{4}-\d\d-\d\d \d\d:\d\d\n.*│ \S+ (\S+) at `(\d+:\d\d)`", answer)
    assert hit is not None, answer
    assert "预算" in answer[hit.end() : hit.end() + 400]

    # The minutes arrive in the thread of a posted recording, and the post says so.
    reply = re.search(r"#(\w+) · reply in a thread from the bot\n.*│ Minutes: (.+)", story)
    assert reply is not None
    edited = story.index(f"#{reply.group(1)} · message edited by the bot")
    assert "Summary, to-dos and chapters are [in the thread]" in story[edited:]
    assert "Chapters" in story[reply.start() :]
    # A recording deleted in Tencent Meeting: its post is edited to say so, buttons gone.
    deleted = re.search(r"Tencent Meeting: “(.+)” was deleted by its host", story)
    assert deleted is not None
    edit = story.index(f"│ Recording deleted: {deleted.group(1)}", deleted.end())
    assert "message edited by the bot" in story[deleted.end() : edit]
    assert "This recording was deleted in Tencent Meeting" in story[edit : edit + 300]
    # And one renamed: its post shows the new subject.
    renamed = re.search(r"Tencent Meeting: “.+” was renamed “(.+)”", story)
    assert renamed is not None
    assert f"│ Recording: {renamed.group(1)}" in story[renamed.end() :]
    assert "Recordings bot status" in story[status:]
    assert "answer to @admin" in story[status:]

    summary = out[out.index("\nSummary\n") + 1 :]
    assert "Slash commands:      5 of 5 answered" in summary
    posted = dict(re.findall(r"#([\w-]+) (\d+)", summary.splitlines()[2]))
    assert int(posted["product"]) >= 2 and int(posted["recordings"]) >= 2
    assert int(posted["recordings-zh"]) >= 1  # the route the admin added through the form
    used = re.search(r"Tencent API budget:  (\d+) of 10 calls in the last minute", summary)
    assert used is not None and 2 <= int(used.group(1)) <= 9
    assert "none refused" in summary

    for secret in (world.SIGNING_SECRET, world.BOT_TOKEN, DEMO_SECRET_KEY, "8nQp", "Q7mk"):
        assert secret not in out + err
    assert "token=" not in out and "expires=" not in out
