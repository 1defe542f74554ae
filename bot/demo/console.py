"""The demo's terminal output: timestamped events, what Slack users see, the summary and the
`--serve` instructions. Printing is thread-safe; the texts are built by pure functions."""

from __future__ import annotations

import shlex
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TextIO

from bot.demo.render import render_blocks
from bot.demo.world import Pending
from bot.poller import CycleReport

BAR = "│"


class Console:
    """Writes lines, each event prefixed with the seconds since `t0`."""

    def __init__(self, out: TextIO, t0: float):
        self.out = out
        self.t0 = t0
        self._lock = threading.Lock()

    def line(self, text: str = "") -> None:
        with self._lock:
            self.out.write(text + "\n")
            self.out.flush()

    def lines(self, texts: Iterable[str]) -> None:
        for text in texts:
            self.line(text)

    def event(self, head: str, body: Iterable[str] = ()) -> None:
        stamp = f"[+{time.time() - self.t0:5.1f}s] "
        pad = " " * len(stamp)
        with self._lock:
            self.out.write(stamp + head + "\n")
            for text in body:
                self.out.write(f"{pad}{BAR} {text}".rstrip() + "\n")
            self.out.flush()


def message_lines(
    message: Mapping, *, tz_name: str, names: Mapping[str, str], edited: bool = False
) -> tuple[str, list[str]]:
    """(head, body) of a channel message as its readers see it."""
    channel = names.get(message.get("channel", ""), message.get("channel", "?"))
    what = "message edited by the bot" if edited else "new message from the bot"
    if message.get("thread_ts") not in (None, message.get("ts")):
        what = "reply in a thread" + (", edited" if edited else "") + " from the bot"
    body = render_blocks(
        message.get("blocks"), tz_name=tz_name, names=names, fallback=message.get("text", "")
    )
    return f"#{channel} · {what}", body


def cycle_line(report: CycleReport) -> str | None:
    """A poll cycle in one line, or None when it changed nothing worth telling."""
    if report.error:
        return f"poller: cycle failed: {report.error}"
    if not (report.completed or report.sent or report.failed):
        return None
    calls = f"{report.calls} API call" + ("" if report.calls == 1 else "s")
    parts = [f"{report.fetched} recordings fetched with {calls}"]
    if report.completed:
        parts.append(f"{len(report.completed)} newly ready")
    if report.sent:
        parts.append(f"{report.sent} posted")
    if report.failed:
        parts.append(f"{report.failed} failed to post")
    return "poller: " + ", ".join(parts)


def summary_lines(
    *,
    synced: int,
    unfinished: int,
    posted: Mapping[str, int],
    answered: int,
    asked: int,
    calls_last_minute: int,
    rate_limit: int,
    calls_total: int,
    refused: int,
) -> list[str]:
    per_channel = " · ".join(f"#{name} {count}" for name, count in sorted(posted.items()))
    refused_text = "none refused" if not refused else f"{refused} refused as over the limit"
    return [
        "Summary",
        f"  Recordings synced:   {synced} ({synced - unfinished} ready · {unfinished} still "
        "recording or transcoding, not posted)",
        f"  Messages posted:     {per_channel or 'none'}",
        f"  Slash commands:      {answered} of {asked} answered",
        f"  Tencent API budget:  {calls_last_minute} of {rate_limit} calls in the last minute "
        f"({calls_total} in the whole demo, {refused_text})",
    ]


def serve_lines(env: Mapping[str, str], response_url: str, admin: str) -> list[str]:
    """How to point a bot started by hand at the stand-ins, and type commands to it."""
    exports = [f"  export {name}={shlex.quote(value)}" for name, value in env.items()]
    slash = f"  recordings-bot slash --response-url {response_url}"
    return [
        "The Tencent Meeting emulator and the Slack stand-in keep running (the demo's own bot",
        "has stopped). Run the real bot against them, in another terminal:",
        "",
        *exports,
        "  # No Tencent credentials: against a local emulator the bot signs with the demo ones.",
        "  recordings-bot run",
        "",
        "Then type commands as a Slack user would (in a third terminal, same variables):",
        "",
        f"{slash} today",
        f"{slash} search 周会",
        f"{slash} --user {admin} status",
        "",
        "New posts and answers appear here. Ctrl-C stops the emulator and the stand-in.",
    ]


@dataclass(frozen=True)
class SetupFacts:
    tencent_url: str
    slack_url: str
    events_url: str
    db: str
    db_kept: bool
    recordings: int
    finishing: list[Pending]
    finish_after: tuple[float, float]
    busy: list[Pending]
    channels: list[str]
    member: str
    admin: str
    routes: list[str]
    backfilled: int
    backfill_calls: int
    interval: int
    rate_limit: int
    duration: float


def setup_lines(f: SetupFacts) -> list[str]:
    """What the demo set up, before it runs."""

    def item(p: Pending) -> str:
        return f"    • “{p.subject}” ({p.host}), code {p.code}: {p.state}"

    keep = "kept" if f.db_kept else "deleted at the end; --db PATH keeps it"
    first, second = f.finish_after
    return [
        "Tencent Meeting recordings in Slack: a local demo (no credentials, no network)",
        "",
        f"Tencent Meeting emulator  {f.tencent_url}",
        f"  {f.recordings} recordings over the last 7 days, several hosts, 中文 and English",
        f"  Finishing during the demo (at about +{first:.0f}s and +{second:.0f}s):",
        *[item(p) for p in f.finishing],
        "  Still recording or transcoding (not posted in this demo):",
        *[item(p) for p in f.busy],
        f"Slack stand-in            {f.slack_url}",
        "  channels "
        + " ".join(f"#{c}" for c in f.channels)
        + f"; users @{f.member}, @{f.admin} (admin)",
        f"Database                  {f.db} ({keep})",
        *[f"Route                     {r}" for r in f.routes],
        f"Backfill                  {f.backfilled} older recordings in {f.backfill_calls} API "
        "call(s): kept for search, not posted",
        f"Bot                       the real poller, every {f.interval} s (production: 120 s)",
        f"                          the real Bolt app at {f.events_url}",
        f"                          {f.rate_limit} Tencent API calls a minute, as in production",
        "",
        f"Running for {f.duration:.0f} s. What Slack users see:",
        "",
    ]
