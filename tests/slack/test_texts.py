"""bot.slack.texts: the bot's fixed answers."""

from __future__ import annotations

from bot.models import Route
from bot.slack.texts import route_line, waiting_text


def test_a_route_line_is_escaped_and_links_its_channel() -> None:
    route = Route(id=7, channel="CGENERAL1", match_subject="<!channel> & co")
    line = route_line(route)
    assert "<#CGENERAL1>" in line
    assert "&lt;!channel&gt; &amp; co" in line and "<!channel>" not in line


def test_the_waiting_text_rounds_up_and_names_the_limit() -> None:
    assert waiting_text(0.2, 10) == (
        "Fetching from Tencent Meeting, about 1 s (the API allows 10 calls a minute)…"
    )
    assert "about 43 s" in waiting_text(42.1, 10)
