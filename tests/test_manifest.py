"""manifest.yml: valid against Slack's manifest schema, and asking for exactly the bot scopes the
code needs (derived from the Web API methods called under bot/)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = Path(__file__).resolve().parents[2] / "shared/reference/slack-manifest.schema.v1.json"

# The bot scopes each Web API method needs (any one of a tuple's alternatives is enough for one
# kind of channel; every entry listed is needed). Methods needing none map to ().
METHOD_SCOPES: dict[str, tuple[str, ...]] = {
    "auth.test": (),
    "views.publish": (),
    "views.open": (),  # the admins' forms
    "chat.getPermalink": (),
    "chat.postMessage": ("chat:write",),
    "chat.update": ("chat:write",),
    "chat.delete": ("chat:write",),
    "chat.postEphemeral": ("chat:write",),
    "chat.unfurl": ("links:write",),
    "conversations.join": ("channels:join",),
    "conversations.info": ("channels:read", "groups:read"),  # public and private channels
    "conversations.list": ("channels:read", "groups:read"),
    # public and private channels, and a host's DM (an access request found again)
    "conversations.history": ("channels:history", "groups:history", "im:history"),
    "conversations.open": ("im:write",),  # a host's DM, for a request to view a recording
    "conversations.replies": ("channels:history", "groups:history"),
    "users.info": ("users:read",),
    "users.lookupByEmail": ("users:read.email",),  # a request's host, by e-mail address
}
_CALL = re.compile(r"\.(auth|chat|conversations|users|views|reactions|files|im|team)_(\w+)\(")


@pytest.fixture(scope="module")
def manifest() -> dict:
    return yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))


def web_api_methods() -> set[str]:
    """`client.chat_postMessage(` -> "chat.postMessage", over bot/ minus the emulators."""
    found = set()
    for path in (ROOT / "bot").rglob("*.py"):
        if "emulator" in path.relative_to(ROOT).parts:
            continue
        for family, name in _CALL.findall(path.read_text(encoding="utf-8")):
            found.add(f"{family}.{name}")
    return found


def test_manifest_is_valid_against_slacks_schema(manifest) -> None:
    if not SCHEMA.exists():
        pytest.skip(f"Slack's manifest schema is not at {SCHEMA}")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.validate(manifest, schema)
    info = manifest["display_information"]
    assert 175 <= len(info["long_description"]) <= 4000
    assert len(info["description"]) <= 140


def test_slash_command(manifest) -> None:
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == "/recordings"
    assert command["should_escape"] is True  # channels arrive as <#C123|name>: parse.py expects it
    assert command["usage_hint"]
    assert command["url"].endswith("/slack/events")


def test_interactivity_events_and_home(manifest) -> None:
    settings = manifest["settings"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["interactivity"]["request_url"].endswith("/slack/events")
    assert settings["event_subscriptions"]["bot_events"] == ["app_home_opened", "link_shared"]
    assert settings["socket_mode_enabled"] is False  # HTTP mode by default
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    # Requests to view a recording arrive in the host's DM with the app: its Messages tab
    # shows them, read-only (the bot does not converse).
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True
    assert manifest["features"]["app_home"]["messages_tab_read_only_enabled"] is True


def test_scopes_are_exactly_what_the_code_uses(manifest) -> None:
    methods = web_api_methods()
    assert {"chat.postMessage", "conversations.history", "users.info", "views.publish"} <= methods
    unknown = methods - METHOD_SCOPES.keys()
    assert not unknown, f"add the scopes of {sorted(unknown)} to METHOD_SCOPES and the manifest"
    needed = {scope for method in methods for scope in METHOD_SCOPES[method]}
    needed.add("commands")  # /recordings
    if "link_shared" in manifest["settings"]["event_subscriptions"]["bot_events"]:
        needed.add("links:read")  # the event itself needs it
    users = (ROOT / "bot/slack/users.py").read_text(encoding="utf-8")
    if '"email"' in users:
        needed.add("users:read.email")  # `mine` falls back to the e-mail's local part
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(needed)


def test_no_scope_for_posting_where_the_bot_was_not_invited(manifest) -> None:
    scopes = manifest["oauth_config"]["scopes"]["bot"]
    assert "chat:write.public" not in scopes  # the bot joins public channels instead
    assert "user" not in manifest["oauth_config"]["scopes"]


def test_share_links_are_unfurled(manifest) -> None:
    """Tencent Meeting share links (https://meeting.tencent.com/...) reach `link_shared`."""
    assert manifest["features"]["unfurl_domains"] == ["meeting.tencent.com"]
    events = (ROOT / "bot/slack/listeners/events.py").read_text(encoding="utf-8")
    assert 'app.event("link_shared")' in events
