"""The stand-in's workspace on its own: channel lookup and its errors, message timestamps, and what
a reset forgets."""

from __future__ import annotations

import pytest

from bot.emulator.slack.workspace import ApiError, Workspace


@pytest.fixture
def ws() -> Workspace:
    workspace = Workspace("http://standin.invalid", clock=lambda: 1_700_000_000.0)
    workspace.seed()
    workspace.add_channel("C1", "recordings")
    workspace.add_channel("C2", "old", is_archived=True)
    workspace.add_channel("C3", "outside", bot_member=False)
    return workspace


def error_of(call, *args) -> str:
    with pytest.raises(ApiError) as info:
        call(*args)
    return info.value.error


def test_channels_resolve_by_id_name_or_user(ws: Workspace) -> None:
    assert ws.resolve_channel("C1").name == "recordings"
    assert ws.resolve_channel("#recordings").id == "C1"
    assert ws.resolve_channel("general").id == "C0GENERAL"
    dm = ws.resolve_channel("U0ALICE")  # a user id opens the app's DM
    assert (dm.id, dm.is_im) == ("DU0ALICE", True)
    assert ws.resolve_channel("U0ALICE") is dm
    for ref in ("", None, "C999", "#nowhere"):
        assert error_of(ws.resolve_channel, ref) == "channel_not_found"


def test_only_live_channels_the_bot_is_in_are_writable(ws: Workspace) -> None:
    assert ws.writable_channel("C1").id == "C1"
    assert error_of(ws.writable_channel, "C2") == "is_archived"
    assert error_of(ws.writable_channel, "C3") == "not_in_channel"


def test_timestamps_increase_even_when_the_clock_stands_still(ws: Workspace) -> None:
    stamps = [ws.next_ts() for _ in range(3)]
    assert stamps == ["1700000000.000000", "1700000000.000100", "1700000000.000200"]


def test_a_bad_time_zone_is_refused_at_once(ws: Workspace) -> None:
    with pytest.raises(Exception, match="Nowhere/Special"):
        ws.add_user("U9", name="lost", tz="Nowhere/Special")
    assert "U9" not in ws.users


def test_forgetting_activity_keeps_channels_and_users(ws: Workspace) -> None:
    channel = ws.resolve_channel("C1")
    ws.messages.append({"channel": "C1", "ts": ws.next_ts()})
    ws.ephemerals.append({"channel": "C1"})
    ws.views["U0ALICE"] = {"type": "home"}
    assert ws.find_message(channel, ws.messages[0]["ts"])["channel"] == "C1"
    ws.forget_activity()
    assert (ws.messages, ws.ephemerals, ws.views) == ([], [], {})
    assert error_of(ws.find_message, channel, "1.000000") == "message_not_found"
    assert {"C0GENERAL", "C1", "C2", "C3"} <= set(ws.channels)
    assert {"U0ADMIN", "U0ALICE"} <= set(ws.users)
