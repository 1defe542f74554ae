"""What the bot says in its fixed answers: shared by the command, the clicks and App Home.

Every text here is already safe to use as mrkdwn. The constants are marked for translation
(`N_`): show them with `_(CONSTANT)`, in the language of the context.
"""

from __future__ import annotations

import math

from bot.i18n import N_, _
from bot.models import Route
from bot.slack.blocks import COMMAND
from bot.slack.mrkdwn import escape, truncate

RESTARTING = N_("The bot is restarting. Please ask again in a minute.")
BUSY = N_(
    "I'm answering a lot of requests right now, so I can't take yours. Please try again in a "
    "minute."
)
UNVERIFIED = N_(
    "Slack did not tell me who you are just now, so I can't show recordings yet. Please "
    "try again in a minute."
)
SORRY = N_(
    "Something went wrong on our side, sorry. It has been logged; please try again in a minute."
)
GUEST_REFUSAL = N_(
    "Sorry, guests can't look up meeting recordings here. Please ask a member of the "
    "workspace to share the recording you need."
)
ADMINS_ONLY = N_("`{what}` is for admins only; nothing was changed.")
NOT_LINKED = N_(
    "I don't know your Tencent Meeting user id yet, so I can't tell which recordings are "
    "yours. Ask an admin to link you: `{command} link @you TENCENT_USERID`. Meanwhile, try "
    "`{command} host TENCENT_USERID`."
)


def still_working_text(question: str | None) -> str:
    """The answer to a second question that needs Tencent Meeting while the first one still
    does (`question`: the first one's text, None when not known)."""
    if question is None:
        which = _("your last question")
    else:
        shown = truncate(escape(" ".join(question.split()) or "today"), 80)
        which = _("your last question ({question})").format(question=f"“{COMMAND} {shown}”")
    return _(
        "I'm still working on {which}, which needs Tencent Meeting; I'll answer it first. "
        "Please ask this one again once that answer is here."
    ).format(which=which)


def waiting_text(seconds: float, rate_limit: int) -> str:
    """The message sent while a query waits for the Tencent API budget."""
    return _(
        "Fetching from Tencent Meeting, about {seconds} s (the API allows {limit} calls a minute)…"
    ).format(seconds=max(1, math.ceil(seconds)), limit=rate_limit)


def route_line(route: Route) -> str:
    """route.describe(), escaped, with its channel shown as a channel link."""
    line = escape(route.describe())
    return line.replace(f"&lt;#{route.channel}&gt;", f"<#{route.channel}>")
