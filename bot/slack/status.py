"""`/recordings status` for admins: the bot's health (bot.health.Health) as Block Kit."""

from __future__ import annotations

from typing import Any

from bot.health import Health
from bot.i18n import N_, _
from bot.slack.blocks import BlockDict, context, header, section, subject_text
from bot.slack.mrkdwn import date_token, escape, truncate
from bot.slack.texts import route_line

MAX_LISTED = 10  # recordings / deliveries / routes named one by one


def _when(seconds: Any, tz_name: str) -> str:
    if not isinstance(seconds, int | float) or seconds <= 0:
        return _("never")
    return date_token(seconds, fallback_tz=tz_name)


def _listed(lines: list[str], total: int) -> str:
    text = "\n".join(f"• {line}" for line in lines[:MAX_LISTED])
    if total > MAX_LISTED:
        text += "\n• " + _("… and {count} more").format(count=total - MAX_LISTED)
    return text


def _poller(health: Health, tz_name: str) -> str:
    icon = ":large_green_circle:" if health.healthy else ":red_circle:"
    lines = [
        f"{icon} *{escape(health.summary)}*",
        _("Last successful poll: {when}").format(when=_when(health.last_success_at, tz_name)),
        _("Next poll: {when}").format(when=_when(health.next_run_at, tz_name)),
    ]
    if health.consecutive_failures:
        lines.append(_("Failed cycles in a row: {count}").format(count=health.consecutive_failures))
    cycle = health.last_cycle or {}
    if cycle:
        lines.append(
            _("Last cycle: {fetched} fetched, {sent} posted, {calls} API calls").format(
                fetched=int(cycle.get("fetched") or 0),
                sent=int(cycle.get("sent") or 0),
                calls=int(cycle.get("calls") or 0),
            )
        )
    if health.poller_holder:
        lines.append(
            _("Poller running in: {holder}").format(holder=f"`{escape(health.poller_holder)}`")
        )
    return "\n".join(lines)


def _recordings(health: Health, tz_name: str) -> str:
    text = "*" + _("Still transcoding:") + f"* {len(health.pending)}"
    if health.stuck:
        stuck = [
            f"{subject_text(m, 120)} ({escape(m.userid)}, {_when(m.start_seconds, tz_name)})"
            for m in health.stuck
        ]
        text += (
            "\n*"
            + _("Stuck (given up on):")
            + f"* {len(health.stuck)}\n"
            + _listed(stuck, len(health.stuck))
        )
    return text


def _api(health: Health) -> str:
    return (
        "*"
        + _("Tencent API calls:")
        + "* "
        + _("{minute} in the last minute (limit {limit} a minute) · {today} today").format(
            minute=health.calls_last_minute, limit=health.rate_limit, today=health.calls_today
        )
    )


PASSWORDS_KEPT = N_("*Meeting passwords:* stored encrypted (PASSWORD_KEY)")  # noqa: S105
PASSWORDS_NOT_KEPT = N_(  # noqa: S105 (texts, not passwords)
    "*Meeting passwords:* not stored (PASSWORD_KEY is not set): `password:show` routes post a "
    "*Show password* button instead, which fetches the password for the person who clicks"
)


def _delivery(health: Health) -> str:
    text = "*" + _("Undelivered posts:") + f"* {len(health.undelivered)}"
    if health.undelivered:
        rows = [
            f"<#{escape(d.channel)}> · {d.state} · "
            + _("{count} attempt(s)").format(count=d.attempts)
            + (f" · {truncate(escape(d.last_error), 150)}" if d.last_error else "")
            for d in health.undelivered
        ]
        text += "\n" + _listed(rows, len(health.undelivered))
    text += "\n*" + _("Broken routes:") + f"* {len(health.broken_routes)}"
    if health.broken_routes:
        rows = [route_line(r) for r in health.broken_routes]
        text += "\n" + _listed(rows, len(health.broken_routes))
    if health.quarantined_routes:
        count = len(health.quarantined_routes)
        text += (
            "\n*:warning: "
            + _("Quarantined routes:")
            + "* "
            + _(
                "{count} (they match nothing, and recordings they might match are not posted: "
                "replace them)"
            ).format(count=count)
        )
        rows = [f"{route_line(r)}: {escape(why)}" for r, why in health.quarantined_routes]
        text += "\n" + _listed(rows, count)
    text += "\n" + _(PASSWORDS_KEPT if health.passwords_kept else PASSWORDS_NOT_KEPT)
    return text


def _last_error(health: Health, tz_name: str) -> str | None:
    error = health.last_error
    if not isinstance(error, dict) or not error.get("message"):
        return None
    message = truncate(escape(str(error["message"])), 1500)
    return "*" + _("Last error") + f"* ({_when(error.get('at'), tz_name)}):\n```{message}```"


def _webhook(health: Health, tz_name: str) -> str | None:
    stats = health.webhook
    if not stats:
        return None
    return (
        "*"
        + _("Webhook:")
        + "* "
        + _(
            "last event {when} · today {accepted} accepted, {duplicates} duplicates, "
            "{rejected} rejected"
        ).format(
            when=_when(stats.get("last_event_at"), tz_name),
            accepted=int(stats.get("accepted") or 0),
            duplicates=int(stats.get("duplicates") or 0),
            rejected=int(stats.get("rejected") or 0),
        )
    )


STS_NEEDED = N_(
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
        "*"
        + _("What was said:")
        + "* "
        + _(
            "{ready} ready · {generating} still generating · {off} AI off · "
            "{no_sts} waiting for an STS token"
        ).format(
            ready=counts.get("ready", 0),
            generating=counts.get("generating", 0),
            off=counts.get("off", 0),
            no_sts=counts.get("no_sts", 0),
        )
    )
    if counts.get("error"):
        text += " · " + _("{count} failed (asked again later)").format(count=counts["error"])
    if health.sts_needed:
        text += "\n" + _(STS_NEEDED)
    return text


def _malformed(health: Health, tz_name: str) -> str | None:
    found = health.malformed
    if not isinstance(found, dict) or not found.get("count"):
        return None
    examples = "\n".join(truncate(escape(str(r)), 300) for r in found.get("records") or [])
    said = _(
        "*:warning: {count} malformed record(s) left out* by the last poll ({when}); "
        "the others were saved:"
    ).format(count=int(found["count"]), when=_when(found.get("at"), tz_name))
    return f"{said}\n```{examples}```"


def status_blocks(health: Health, tz_name: str) -> tuple[str, list[BlockDict]]:
    """(fallback text, blocks) describing the bot's health; times as Slack date tokens."""
    blocks: list[BlockDict] = [
        header(_("Recordings bot status")),
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
    blocks.append(context(_("Times are shown in your own time zone.")))
    state = _("healthy") if health.healthy else _("unhealthy")
    text = _("Recordings bot status: {state} ({summary})").format(
        state=state, summary=escape(health.summary)
    )
    return text, blocks
