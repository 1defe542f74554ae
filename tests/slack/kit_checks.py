"""Checks shared by the tests of the content renderers: slack_sdk's own block models, Block Kit
limits, and inert mrkdwn (nothing can ping, link or format that we did not put there)."""

from __future__ import annotations

import html
import re
from typing import Any

from slack_sdk.models.blocks import Block

# Tokens we generate ourselves: http(s) links and date tokens.
OWN_LINK = re.compile(r"<https?://[^|<>\s]+\|[^<>|]*>")
OWN_DATE = re.compile(r"<!date\^\d+\^[^|>]*\|[^<>|]*>")


def text_objects(node: Any) -> list[dict[str, Any]]:
    """Every text object ({"type": "mrkdwn"|"plain_text", "text": ...}) inside blocks."""
    found = []
    if isinstance(node, dict):
        if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
            found.append(node)
        for value in node.values():
            found += text_objects(value)
    elif isinstance(node, list):
        for item in node:
            found += text_objects(item)
    return found


def assert_inert(text: str) -> None:
    """No control sequence survives except our own links and dates; `>` only as a quote."""
    rest = OWN_DATE.sub("", OWN_LINK.sub("", text))
    assert "<" not in rest, text
    for line in rest.split("\n"):
        assert ">" not in line.removeprefix("> "), text
    assert not re.search(r"&(?!amp;|lt;|gt;)", rest), text
    for link in OWN_LINK.findall(text):
        assert not re.search(r"&(?!amp;|lt;|gt;)", link), link


def assert_blocks(blocks: list[dict[str, Any]]) -> None:
    """Valid for slack_sdk's models (nothing dropped) and within Block Kit's limits."""
    assert 0 < len(blocks) <= 50
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None
        assert parsed.to_dict() == block  # validators ran, nothing dropped
        if block["type"] == "section":
            assert "text" in block or "fields" in block
            assert 0 < len(block.get("text", {"text": "x"})["text"]) <= 3000
            assert all(0 < len(f["text"]) <= 2000 for f in block.get("fields", []))
        if block["type"] == "header":
            assert 0 < len(block["text"]["text"]) <= 150
        if block["type"] == "context":
            assert 0 < len(block["elements"]) <= 10
            assert all(len(e["text"]) <= 2000 for e in block["elements"])
        if block["type"] == "actions":
            assert len(block["elements"]) <= 25
    ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert len(ids) == len(set(ids))


CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")


def assert_message(text: str, blocks: list[dict[str, Any]]) -> None:
    """A whole message: valid blocks, a short fallback, every mrkdwn text inert, no control
    characters or lone surrogates anywhere (the fallback text and the headers included)."""
    assert_blocks(blocks)
    assert 0 < len(text) <= 3000
    assert_inert(text)
    assert not CONTROL.search(text)
    for obj in text_objects(blocks):
        assert not CONTROL.search(obj["text"]), obj
        if obj["type"] == "mrkdwn":
            assert_inert(obj["text"])


def section_texts(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b]


def words(text: str) -> str:
    """The letters and digits of a text in order (what must survive rendering and splitting)."""
    return "".join(re.findall(r"[^\W_ˍˋ]", html.unescape(text)))
