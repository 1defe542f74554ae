"""The "More" button under a `/recordings` answer (action_id `more_results`).

Its value is `more_value(text, page)`: JSON `{"text": command text, "page": next page (0-based)}`.
`parse_more_value(value)` gives back (text, page); the click renders that page again
(bot.slack.answers.slash.start_command with its page, fetched on the API lane when it must).
"""

from __future__ import annotations

import json

from bot.slack.blocks import MAX_BUTTON_VALUE


def more_value(text: str, page: int) -> str | None:
    """The "More" button's value for page `page` of `text` (None when it would not fit)."""
    value = json.dumps({"text": text, "page": page}, ensure_ascii=False, separators=(",", ":"))
    return value if len(value) <= MAX_BUTTON_VALUE else None


def parse_more_value(value: str) -> tuple[str, int]:
    """(command text, page) from a "More" value; ValueError when malformed."""
    try:
        data = json.loads(value)
        text, page = data["text"], data["page"]
    except (TypeError, ValueError, KeyError) as exc:
        raise ValueError("malformed More value") from exc
    if not isinstance(text, str) or not isinstance(page, int) or isinstance(page, bool):
        raise ValueError("malformed More value")
    return text, max(0, page)
