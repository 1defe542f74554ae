"""Pure: Block Kit (what the bot sends to Slack) -> plain terminal lines, for the demo.

What a Slack client would show, readably: mrkdwn unescaped, `<!date^...>` tokens as times in a
given time zone, `<@U1>` / `<#C1>` as @name / #name, link buttons and buttons as [Label],
section fields two to a line. Link addresses are not printed (a label stands for them).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

EMOJI = {
    "white_check_mark": "✅",
    "hourglass_flowing_sand": "⏳",
    "red_circle": "🔴",
    "large_green_circle": "🟢",
    "warning": "⚠️",
    "lock": "🔒",
    "rocket": "🚀",
}
_DATE_PARTS = {
    "{date_num}": "%Y-%m-%d",
    "{date}": "%Y-%m-%d",
    "{date_short}": "%Y-%m-%d",
    "{date_long}": "%Y-%m-%d",
    "{date_pretty}": "%Y-%m-%d",
    "{date_short_pretty}": "%Y-%m-%d",
    "{date_long_pretty}": "%Y-%m-%d",
    "{time}": "%H:%M",
    "{time_secs}": "%H:%M:%S",
}
_DATE = re.compile(r"<!date\^(\d+)\^([^|>^]*)(?:\^[^|>]*)?(?:\|[^>]*)?>")
_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
_CHANNEL = re.compile(r"<#([CGD][A-Z0-9]+)(?:\|([^>]*))?>")
_SPECIAL = re.compile(r"<!(here|channel|everyone)(?:\|[^>]*)?>")
_LINK = re.compile(r"<([a-z][a-z0-9+.-]*:[^|>]*)(?:\|([^>]*))?>", re.IGNORECASE)
_BOLD = re.compile(r"(?<![\w*])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![\w*])")
_EMOJI = re.compile(r":([a-z0-9_+-]+):")


def format_time(unix_seconds: int, fmt: str, tz_name: str) -> str:
    """A Slack date token's format (`{date_short_pretty} {time}`) rendered in `tz_name`."""
    moment = datetime.fromtimestamp(unix_seconds, ZoneInfo(tz_name))
    out = fmt
    for part, pattern in _DATE_PARTS.items():
        out = out.replace(part, moment.strftime(pattern))
    return out.strip() or moment.strftime("%Y-%m-%d %H:%M")


def mrkdwn_to_text(text: str, *, tz_name: str, names: Mapping[str, str] | None = None) -> str:
    """One mrkdwn string as plain text (see the module docstring)."""
    names = names or {}
    out = _DATE.sub(lambda m: format_time(int(m.group(1)), m.group(2), tz_name), text)
    out = _USER.sub(lambda m: "@" + (names.get(m.group(1)) or m.group(2) or m.group(1)), out)
    out = _CHANNEL.sub(lambda m: "#" + (names.get(m.group(1)) or m.group(2) or m.group(1)), out)
    out = _SPECIAL.sub(lambda m: "@" + m.group(1), out)
    out = _LINK.sub(lambda m: f"[{m.group(2) or 'link'}]", out)
    out = _BOLD.sub(r"\1", out)
    out = _EMOJI.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), out)
    return out.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _text_of(obj: Any, tz_name: str, names: Mapping[str, str]) -> str:
    if not isinstance(obj, dict):
        return ""
    text = str(obj.get("text") or "")
    if obj.get("type") == "mrkdwn":
        return mrkdwn_to_text(text, tz_name=tz_name, names=names)
    return text


def _field(obj: Any, tz_name: str, names: Mapping[str, str]) -> str:
    """A "*Label*\\nvalue" field as "Label: value"."""
    text = _text_of(obj, tz_name, names)
    label, sep, value = text.partition("\n")
    return f"{label}: {value.replace(chr(10), ' ')}" if sep else text


def _element(element: Any, tz_name: str, names: Mapping[str, str]) -> str:
    if not isinstance(element, dict):
        return ""
    if element.get("type") in ("button", "overflow", "static_select", "users_select"):
        label = _text_of(element.get("text") or element.get("placeholder"), tz_name, names)
        return f"[{label or element.get('action_id', '…')}]"
    return _text_of(element, tz_name, names)


def render_blocks(
    blocks: list[dict[str, Any]] | None,
    *,
    tz_name: str,
    names: Mapping[str, str] | None = None,
    fallback: str = "",
) -> list[str]:
    """Block Kit blocks as terminal lines (the fallback text when there are no blocks)."""
    names = names or {}
    if not blocks:
        return mrkdwn_to_text(fallback, tz_name=tz_name, names=names).splitlines() or [""]
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            lines.append(_text_of(block.get("text"), tz_name, names))
        elif kind == "section":
            if block.get("text"):
                lines += _text_of(block["text"], tz_name, names).splitlines()
            fields = [_field(f, tz_name, names) for f in block.get("fields") or []]
            for i in range(0, len(fields), 2):
                lines.append(" · ".join(fields[i : i + 2]))
            if block.get("accessory"):
                lines.append(_element(block["accessory"], tz_name, names))
        elif kind == "context":
            parts = [_element(e, tz_name, names) for e in block.get("elements") or []]
            lines.append("  " + " ".join(p for p in parts if p))
        elif kind == "actions":
            parts = [_element(e, tz_name, names) for e in block.get("elements") or []]
            lines.append(" ".join(p for p in parts if p))
        elif kind == "divider":
            lines.append("─" * 24)
        elif kind == "image":
            lines.append(f"[image: {block.get('alt_text', '')}]")
    return lines
