"""`/recordings status` for admins: the bot's health (bot.health.Health) as Block Kit."""

from __future__ import annotations

from typing import Any

from bot.health import Health
from bot.slack.blocks import BlockDict, context, header, section, subject_text
from bot.slack.mrkdwn import date_token, escape, truncate
from bot.slack.texts import route_line

MAX_LISTED = 10  # recordings / deliveries / routes named one by one


def _when(seconds: Any, tz_name: str) -> str:
    if not isinstance(seconds, int | float) or seconds <= 0:
        return "never"
    return date_token(seconds, fallback_tz=tz_name)


def _listed(lines: list[str], total: int) -> str:
    text = "\n".join(f"• {line}" for line in lines[:MAX_LISTED])
    if total > MAX_LISTED:
        text += f"\n• … and {total - MAX_LISTED} more"
    return text


def _poller(health: Health, tz_name: str) -> str:
    icon = ":large_green_circle:" if health.healthy else ":red_circle:"
    lines = [
        f"{icon} *{escape(health.summary)}*",
        f"Last successful poll: {_when(health.last_success_at, tz_name)}",
        f"Next poll: {_when(health.next_run_at, tz_name)}",
    ]
    if health.consecutive_failures:
        lines.append(f"Failed cycles in a row: {health.consecutive_failures}")
    cycle = health.last_cycle or {}
    if cycle:
        lines.append(
            f"Last cycle: {int(cycle.get('fetched') or 0)} fetched, "
            f"{int(cycle.get('sent') or 0)} posted, {int(cycle.get('calls') or 0)} API calls"
        )
    if health.poller_holder:
        lines.append(f"Poller running in: `{escape(health.poller_holder)}`")
    return "\n".join(lines)


def _recordings(health: Health, tz_name: str) -> str:
    text = f"*Still transcoding:* {len(health.pending)}"
    if health.stuck:
        stuck = [
            f"{subject_text(m, 120)} ({escape(m.userid)}, {_when(m.start_seconds, tz_name)})"
            for m in health.stuck
        ]
        text += f"\n*Stuck (given up on):* {len(health.stuck)}\n" + _listed(
            stuck, len(health.stuck)
        )
    return text


def _api(health: Health) -> str:
    return (
        f"*Tencent API calls:* {health.calls_last_minute} in the last minute "
        f"(limit {health.rate_limit} a minute) · {health.calls_today} today"
    )


PASSWORDS_KEPT = "*Meeting passwords:* stored encrypted (PASSWORD_KEY)"  # noqa: S105
PASSWORDS_NOT_KEPT = (  # noqa: S105 (texts, not passwords)
    "*Meeting passwords:* not stored (PASSWORD_KEY is not set): `password:show` routes post a "
    "*Show password* button instead, which fetches the password for the person who clicks"
)


def _delivery(health: Health) -> str:
    text = f"*Undelivered posts:* {len(health.undelivered)}"
    if health.undelivered:
        rows = [
            f"<#{escape(d.channel)}> · {d.state} · {d.attempts} attempt(s)"
            + (f" · {truncate(escape(d.last_error), 150)}" if d.last_error else "")
            for d in health.undelivered
        ]
        text += "\n" + _listed(rows, len(health.undelivered))
    text += f"\n*Broken routes:* {len(health.broken_routes)}"
    if health.broken_routes:
        rows = [route_line(r) for r in health.broken_routes]
        text += "\n" + _listed(rows, len(health.broken_routes))
    if health.quarantined_routes:
        count = len(health.quarantined_routes)
        text += (
            f"\n*:warning: Quarantined routes:* {count} (they match nothing, and recordings "
            "they might match are not posted: replace them)"
        )
        rows = [f"{route_line(r)}: {escape(why)}" for r, why in health.quarantined_routes]
        text += "\n" + _listed(rows, count)
    text += "\n" + (PASSWORDS_KEPT if health.passwords_kept else PASSWORDS_NOT_KEPT)
    return text


def _last_error(health: Health, tz_name: str) -> str | None:
    error = health.last_error
    if not isinstance(error, dict) or not error.get("message"):
        return None
    message = truncate(escape(str(error["message"])), 1500)
    return f"*Last error* ({_when(error.get('at'), tz_name)}):\n```{message}```"


def _webhook(health: Health, tz_name: str) -> str | None:
    stats = health.webhook
    if not stats:
        return None
    return (
        f"*Webhook:* last event {_when(stats.get('last_event_at'), tz_name)} · today "
        f"{int(stats.get('accepted') or 0)} accepted, {int(stats.get('duplicates') or 0)} "
        f"duplicates, {int(stats.get('rejected') or 0)} rejected"
    )


STS_NEEDED = (
    ":warning: The Tencent app needs an STS-Token for transcripts and none usable has arrived. "
    "Tencent sends it in the `common.sts-token` webhook event: set "
    "TENCENT_MEETING_WEBHOOK_TOKEN and configure the event callback in Tencent Meeting's admin "
    "console. Until then transcripts come from the recordings' transcript files when Tencent "
    "offers one."
)


def _content(health: Health) -> str | None:
    counts = health.content
    if not any(counts.values()):
        return None
    text = (
        f"*What was said:* {counts.get('ready', 0)} ready · "
        f"{counts.get('generating', 0)} still generating · {counts.get('off', 0)} AI off · "
        f"{counts.get('no_sts', 0)} waiting for an STS token"
    )
    if counts.get("error"):
        text += f" · {counts['error']} failed (asked again later)"
    if health.sts_needed:
        text += "\n" + STS_NEEDED
    return text


def _malformed(health: Health, tz_name: str) -> str | None:
    found = health.malformed
    if not isinstance(found, dict) or not found.get("count"):
        return None
    examples = "\n".join(truncate(escape(str(r)), 300) for r in found.get("records") or [])
    return (
        f"*:warning: {int(found['count'])} malformed record(s) left out* by the last poll "
        f"({_when(found.get('at'), tz_name)}); the others were saved:\n```{examples}```"
    )


def status_blocks(health: Health, tz_name: str) -> tuple[str, list[BlockDict]]:
    """(fallback text, blocks) describing the bot's health; times as Slack date tokens."""
    blocks: list[BlockDict] = [
        header("Recordings bot status"),
        section(_poller(health, tz_name)),
        section(_recordings(health, tz_name)),
        section(_api(health)),
        section(_delivery(health)),
    ]
    extras = (
        _content(health),
        _last_error(health, tz_name),
        _malformed(health, tz_name),
        _webhook(health, tz_name),
    )
    for extra in extras:
        if extra:
            blocks.append(section(extra))
    blocks.append(context("Times are shown in your own time zone."))
    state = "healthy" if health.healthy else "unhealthy"
    text = f"Recordings bot status: {state} ({escape(health.summary)})"
    return text, blocks
