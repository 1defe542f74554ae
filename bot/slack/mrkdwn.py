"""Pure helpers for Slack's mrkdwn: escaping, date tokens, human-readable numbers.

Anything that comes from outside (meeting subjects, user ids, passwords) goes through
`escape` before it lands in a mrkdwn text, so `<!channel>` or `<@U123>` in a subject is shown
as typed instead of pinging anyone.
"""

from __future__ import annotations

import re

from bot.i18n import _, format_when

ELLIPSIS = "…"
_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,4}$")


_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")  # C0 controls but tab and newline, and DEL


def drop_controls(text: str) -> str:
    """`text` without control characters (but tab and newline)."""
    return _CONTROL.sub("", text)


def escape(text: object) -> str:
    """Escape the three characters Slack treats as control sequences in mrkdwn, and drop
    control characters (a NUL typed into a search, say), which no reader wants to see."""
    text = drop_controls(str(text))
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` characters, ending with "…" when cut.

    Never leaves half an escape entity (`&am…`) at the end.
    """
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    cut = _PARTIAL_ENTITY.sub("", cut)
    return cut + ELLIPSIS


def date_token(
    unix_seconds: float,
    fmt: str = "{date_short_pretty} {time}",
    fallback_tz: str = "Asia/Shanghai",
) -> str:
    """`<!date^UNIX^FMT|fallback>`: shown in each reader's own time zone by Slack clients; the
    fallback (for clients that cannot) in the context's language, in `fallback_tz`."""
    seconds = int(unix_seconds)
    return f"<!date^{seconds}^{fmt}|{local_time(seconds, fallback_tz)}>"


def local_time(unix_seconds: float, tz_name: str = "Asia/Shanghai") -> str:
    """A day and time in the given zone as the context's language reads it: "Wed, Dec 2 21:08",
    "12月2日 周三 21:08"."""
    return format_when(unix_seconds, tz_name)


def duration(seconds: float) -> str:
    """1 h 05 min, 42 min, 35 s (1 小时 05 分, 42 分钟, 35 秒)."""
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return _("{seconds} s").format(seconds=seconds)
    minutes = int(round(seconds / 60))
    hours, minutes = divmod(minutes, 60)
    if hours:
        return _("{hours} h {minutes} min").format(hours=hours, minutes=f"{minutes:02d}")
    return _("{minutes} min").format(minutes=minutes)


def size(num_bytes: float) -> str:
    """458 MB, 1.5 GB, 12 KB, 0 B (1024-based)."""
    value = float(max(0, num_bytes))
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024:
            return _number(value, unit)
        value /= 1024
    return _number(value, "TB")


def _number(value: float, unit: str) -> str:
    if unit == "B" or value >= 10:
        return f"{int(round(value))} {unit}"
    return f"{value:.1f} {unit}"


def link(url: str, label: str) -> str:
    """`<url|label>` for http(s) URLs; just the escaped label for anything else."""
    if not url.lower().startswith(("https://", "http://")):
        return escape(label)
    safe_url = escape(url).replace("|", "%7C")
    return f"<{safe_url}|{escape(label).replace('|', '¦')}>"


def user_mention(slack_user_id: str) -> str | None:
    """`<@U123>` for a well-formed Slack user id, else None."""
    if re.fullmatch(r"[UW][A-Z0-9]{2,30}", slack_user_id or ""):
        return f"<@{slack_user_id}>"
    return None
