"""What the bot says in its fixed answers: shared by the command, the clicks and App Home.

Every text here is already safe to use as mrkdwn.
"""

from __future__ import annotations

import math

from bot.models import Route
from bot.slack.blocks import COMMAND
from bot.slack.mrkdwn import escape, truncate

RESTARTING = "The bot is restarting. Please ask again in a minute."
BUSY = (
    "I'm answering a lot of requests right now, so I can't take yours. Please try again in a "
    "minute."
)
UNVERIFIED = (
    "Slack did not tell me who you are just now, so I can't show recordings yet. Please "
    "try again in a minute."
)
SORRY = "Something went wrong on our side, sorry. It has been logged; please try again in a minute."
GUEST_REFUSAL = (
    "Sorry, guests can't look up meeting recordings here. Please ask a member of the "
    "workspace to share the recording you need."
)
ADMINS_ONLY = "`{what}` is for admins only; nothing was changed."
NOT_LINKED = (
    "I don't know your Tencent Meeting user id yet, so I can't tell which recordings are "
    f"yours. Ask an admin to link you: `{COMMAND} link @you TENCENT_USERID`. Meanwhile, try "
    f"`{COMMAND} host TENCENT_USERID`."
)


def still_working_text(question: str | None) -> str:
    """The answer to a second question that needs Tencent Meeting while the first one still
    does (`question`: the first one's text, None when not known)."""
    if question is None:
        which = "your last question"
    else:
        shown = truncate(escape(" ".join(question.split()) or "today"), 80)
        which = f"your last question (“{COMMAND} {shown}”)"
    return (
        f"I'm still working on {which}, which needs Tencent Meeting; I'll answer it first. "
        "Please ask this one again once that answer is here."
    )


def waiting_text(seconds: float, rate_limit: int) -> str:
    """The message sent while a query waits for the Tencent API budget."""
    return (
        f"Fetching from Tencent Meeting, about {max(1, math.ceil(seconds))} s "
        f"(the API allows {rate_limit} calls a minute)…"
    )


def route_line(route: Route) -> str:
    """route.describe(), escaped, with its channel shown as a channel link."""
    line = escape(route.describe())
    return line.replace(f"&lt;#{route.channel}&gt;", f"<#{route.channel}>")
