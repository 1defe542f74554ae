"""The demo's emulated world: a company's recordings at Tencent Meeting, a Slack workspace, and
the settings that point the real bot at both.

Everything here is local and made up: the Tencent side accepts the demo credentials from
bot/config.py, the Slack stand-in accepts the token below, and nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bot.emulator.slack import SlackStandIn
from bot.emulator.tencent.dataset import Dataset
from bot.models import STATE_DONE, STATE_RECORDING

# Local stand-in values, not secrets: they open nothing outside this machine.
BOT_TOKEN = "xoxb-local-slack-stand-in"  # noqa: S105
SIGNING_SECRET = "local-demo-signing-secret"  # noqa: S105

RECORDINGS = "C0RECORDINGS"
PRODUCT = "C0PRODUCT"
ADMINS = "C0RECADMINS"
ZHONGWEN = "C0ZHONGWEN"  # added during the demo by the admin, through the App Home form
MEMBER = "U0LOCAL01"  # the default user of `recordings-bot slash` (English)
ZH_MEMBER = "U0ZHANG01"  # a colleague whose Slack speaks Chinese
ADMIN = "U0ADMIN"  # a workspace admin (the stand-in seeds this id too)

LOOKBACK_HOURS = 3.0  # the poller's window: older history comes from the backfill
BACKFILL_DAYS = 30.5  # covers `/recordings search` (30 days) so answers need no API call
PER_DAY = 3  # generated meetings a day: a week stays within one page or two of 20

# Slack ids -> names, for rendering mentions and channel links (the stand-in seeds
# #general, #random, @admin and @alice itself).
NAMES = {
    RECORDINGS: "recordings",
    PRODUCT: "product",
    ADMINS: "recordings-admins",
    ZHONGWEN: "recordings-zh",
    "C0GENERAL": "general",
    "C0RANDOM": "random",
    MEMBER: "mei",
    ZH_MEMBER: "zhang",
    ADMIN: "admin",
    "U0ALICE": "alice",
}


@dataclass(frozen=True)
class Timeline:
    """When things happen, in seconds from the start. The poll interval keeps the whole demo
    within the API budget: about duration / 6 cycles, plus the backfill. Each command is
    typed a poll after a recording finished, and `status` near the end."""

    duration: float
    interval: int
    finish_after: tuple[float, float]
    ask_at: tuple[float, float, float]  # when today, search and status are typed

    @classmethod
    def for_duration(cls, seconds: float) -> Timeline:
        duration = max(10.0, float(seconds))
        interval = max(3, math.ceil(duration / 6))
        first, second = round(0.12 * duration + 1, 1), round(0.33 * duration, 1)
        today, search = first + interval + 1.5, second + interval + 1.5
        duration = max(duration, search + 3)
        ask_at = (round(today, 1), round(search, 1), round(max(search, duration - 3), 1))
        return cls(duration, interval, (first, second), ask_at)


@dataclass(frozen=True)
class Pending:
    """A recording not ready yet, as the demo lists it."""

    subject: str
    host: str
    code: str
    state: str  # "recording" or "transcoding"


@dataclass(frozen=True)
class DemoMeeting:
    """A recording the demo adds so its story does not depend on the random week."""

    meeting_record_id: str
    subject: str
    host: str
    code: str


@dataclass(frozen=True)
class Story:
    """The demo's own recordings: ready already (posted at the first poll) and finishing
    during the demo (posted when they complete)."""

    ready: list[DemoMeeting]
    finishing: list[DemoMeeting]


# The story: (subject, host, minutes long, ended this long ago, ready this long after the
# start of the demo (negative: before), extra fields). The first two are posted at the first
# poll; the last two finish transcoding during the demo (their times come from the timeline).
_READY = (
    ("产品周会 第42期", "zhangwei", 50, 80 * 60, -70 * 60, {"files": 2, "password": "8nQp"}),
    ("Customer call — ACME", "alice", 40, 45 * 60, -40 * 60, {}),
)
_FINISHING = (
    ("技术评审：支付网关", "li.na", 35, 90, {}),
    ("市场部周会", "wangfang", 30, 60, {"password": "Q7mk"}),
)


def _add(
    ds: Dataset,
    now: float,
    subject: str,
    host: str,
    minutes: float,
    ended_ago: float,
    ready_in: float,
    extra: dict,
) -> DemoMeeting:
    mid = ds.add_meeting(
        start=now - ended_ago - minutes * 60,
        duration=minutes * 60,
        transcode_seconds=ended_ago + ready_in,
        subject=subject,
        userid=host,
        **extra,
    )
    return DemoMeeting(mid, subject, host, ds.get(mid).meeting_code)


def build_dataset(
    now: float, finish_after: tuple[float, float], seed: int = 1
) -> tuple[Dataset, Story]:
    """A generated week (`Dataset.generate`: Chinese and English subjects, several hosts, some
    still recording or transcoding) plus the demo's story; `finish_after` are the seconds after
    `now` at which its two finishing recordings complete."""
    ds = Dataset.generate(now, days=7, seed=seed, per_day=PER_DAY)
    ready = [_add(ds, now, *spec) for spec in _READY]
    finishing = [
        _add(ds, now, subject, host, minutes, ended, after, extra)
        for (subject, host, minutes, ended, extra), after in zip(
            _FINISHING, finish_after, strict=True
        )
    ]
    return ds, Story(ready, finishing)


def in_progress(ds: Dataset, story: Story, now: float) -> tuple[list[Pending], list[Pending]]:
    """(the story's recordings finishing during the demo, the others not ready at `now`)."""
    finishing_ids = {m.meeting_record_id for m in story.finishing}
    finishing = [Pending(m.subject, m.host, m.code, "transcoding") for m in story.finishing]
    busy = [
        Pending(
            m.subject,
            m.userid,
            m.meeting_code,
            "recording" if m.state(now) == STATE_RECORDING else "transcoding",
        )
        for m in sorted(ds.meetings(), key=lambda m: m.start)
        if m.state(now) not in (None, STATE_DONE) and m.meeting_record_id not in finishing_ids
    ]
    return finishing, busy


def listed(ds: Dataset, now: float) -> int:
    """How many recordings corp/records lists at `now`."""
    return sum(1 for m in ds.meetings() if m.state(now) is not None)


def build_slack(
    host: str = "127.0.0.1", port: int = 0, *, tz: str = "Asia/Shanghai"
) -> SlackStandIn:
    """The Slack stand-in with the demo's channels and users (not started); the users live in
    `tz`, so their answers and the channel posts show the same times."""
    slack = SlackStandIn(host=host, port=port, bot_token=BOT_TOKEN)
    for channel in (RECORDINGS, PRODUCT, ADMINS, ZHONGWEN):
        slack.add_channel(channel, NAMES[channel])
    slack.add_user(MEMBER, name=NAMES[MEMBER], tz=tz, email="mei@example.com")
    slack.add_user(ZH_MEMBER, name=NAMES[ZH_MEMBER], tz=tz, locale="zh-CN")
    slack.add_user(ADMIN, name=NAMES[ADMIN], tz=tz, is_admin=True, email="admin@example.com")
    return slack


def demo_env(
    tencent_url: str,
    slack_api_url: str,
    db_path: str,
    *,
    timezone: str,
    poll_interval: int,
    port: int = 3000,
) -> dict[str, str]:
    """The environment of a bot pointed at the demo's stand-ins (no Tencent credentials: the
    client signs with the demo ones when it talks to a local emulator)."""
    return {
        "TENCENT_MEETING_API_URL": tencent_url,
        "SLACK_API_URL": slack_api_url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "RECORDINGS_DB": db_path,
        "BOT_TIMEZONE": timezone,
        "POLL_INTERVAL_SECONDS": str(poll_interval),
        "POLL_LOOKBACK_HOURS": str(LOOKBACK_HOURS),
        "DEFAULT_CHANNEL": RECORDINGS,
        "ADMIN_CHANNEL": ADMINS,
        "ADMIN_USER_IDS": ADMIN,
        "PORT": str(port),
    }
