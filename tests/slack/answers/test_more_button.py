"""bot.slack.answers.more_button: the value the "More" button carries, and reading it back."""

from __future__ import annotations

import pytest

from bot.slack.answers.more_button import more_value, parse_more_value
from bot.slack.blocks import MAX_BUTTON_VALUE


def test_a_value_reads_back_as_the_text_and_page_it_was_made_from() -> None:
    value = more_value("search 周会 <@U1>", 3)
    assert value is not None and "周会" in value  # kept readable, not \u-escaped
    assert parse_more_value(value) == ("search 周会 <@U1>", 3)


def test_a_value_that_would_not_fit_a_button_is_not_made() -> None:
    assert more_value("search " + "x" * MAX_BUTTON_VALUE, 1) is None


def test_a_negative_page_reads_as_the_first() -> None:
    assert parse_more_value('{"text":"today","page":-4}') == ("today", 0)


@pytest.mark.parametrize(
    "value",
    ["not json", "[]", "{}", '{"text":"today"}', '{"text":1,"page":1}', '{"text":"a","page":true}'],
)
def test_malformed_values_are_refused(value: str) -> None:
    with pytest.raises(ValueError):
        parse_more_value(value)
