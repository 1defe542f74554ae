"""The stand-in's workspace: its channels and users, and what the bot posted there.

Not thread-safe on its own: `SlackStandIn` holds its lock around every use. Channel errors
(`channel_not_found`, `is_archived`, `not_in_channel`) follow from this state.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

TEAM_ID = "T0STANDIN"
TEAM_NAME = "Stand-in Workspace"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"


class ApiError(Exception):
    """An `{"ok": false, "error": ...}` answer from a method handler."""

    def __init__(self, error: str):
        super().__init__(error)
        self.error = error


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool = False
    is_archived: bool = False
    bot_member: bool = True
    is_im: bool = False

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "is_channel": not self.is_private and not self.is_im,
            "is_group": self.is_private,
            "is_im": self.is_im,
            "is_private": self.is_private,
            "is_archived": self.is_archived,
            "is_member": self.bot_member,
            "context_team_id": TEAM_ID,
        }


@dataclass
class User:
    id: str
    name: str
    tz: str = "Asia/Shanghai"
    is_admin: bool = False
    is_owner: bool = False
    is_restricted: bool = False
    is_ultra_restricted: bool = False
    email: str | None = None
    locale: str = "en-US"

    def to_api(self, include_locale: bool = False) -> dict[str, Any]:
        offset = datetime.now(ZoneInfo(self.tz)).utcoffset()
        profile: dict[str, Any] = {"real_name": self.name, "display_name": self.name}
        if self.email:
            profile["email"] = self.email
        return {
            "id": self.id,
            "team_id": TEAM_ID,
            "name": self.name,
            "real_name": self.name,
            "deleted": False,
            "is_bot": False,
            "tz": self.tz,
            "tz_label": self.tz,
            "tz_offset": int(offset.total_seconds()) if offset else 0,
            "is_admin": self.is_admin,
            "is_owner": self.is_owner,
            "is_primary_owner": False,
            "is_restricted": self.is_restricted,
            "is_ultra_restricted": self.is_ultra_restricted,
            "profile": profile,
        } | ({"locale": self.locale} if include_locale else {})


class Workspace:
    """Channels, users, messages (with their edits), ephemeral messages and App Home views.

    `url` is the stand-in's base URL (permalinks and `auth.test` name it); `clock` stamps the
    messages' `ts`, which always increase.
    """

    def __init__(self, url: str, clock: Callable[[], float] = time.time):
        self.url = url
        self.clock = clock
        self.channels: dict[str, Channel] = {}
        self.users: dict[str, User] = {}
        self.messages: list[dict[str, Any]] = []  # oldest first
        self.ephemerals: list[dict[str, Any]] = []
        self.views: dict[str, dict[str, Any]] = {}  # user id -> the published Home view
        self.modals: list[dict[str, Any]] = []  # views.open'd modals, oldest first
        self.unfurls: list[dict[str, Any]] = []  # chat.unfurl calls, oldest first
        self._last_ts = 0.0

    def seed(self) -> None:
        """The two channels and two people every stand-in starts with."""
        self.add_channel("C0GENERAL", "general")
        self.add_channel("C0RANDOM", "random")
        self.add_user("U0ADMIN", name="admin", is_admin=True, email="admin@example.com")
        self.add_user("U0ALICE", name="alice", email="alice@example.com")

    def add_channel(
        self,
        id: str,
        name: str,
        *,
        is_private: bool = False,
        is_archived: bool = False,
        bot_member: bool = True,
    ) -> Channel:
        channel = Channel(id, name, is_private, is_archived, bot_member)
        self.channels[id] = channel
        return channel

    def add_user(
        self,
        id: str,
        *,
        name: str,
        tz: str = "Asia/Shanghai",
        is_admin: bool = False,
        is_owner: bool = False,
        is_restricted: bool = False,
        is_ultra_restricted: bool = False,
        email: str | None = None,
        locale: str = "en-US",
    ) -> User:
        ZoneInfo(tz)  # fail early on a bad zone name
        user = User(
            id, name, tz, is_admin, is_owner, is_restricted, is_ultra_restricted, email, locale
        )
        self.users[id] = user
        return user

    def forget_activity(self) -> None:
        """Forget messages, ephemeral messages and views (channels and users stay)."""
        self.messages.clear()
        self.ephemerals.clear()
        self.views.clear()
        self.modals.clear()
        self.unfurls.clear()

    def next_ts(self) -> str:
        now = max(round(self.clock(), 6), round(self._last_ts + 0.0001, 6))
        self._last_ts = now
        return f"{now:.6f}"

    def resolve_channel(self, ref: Any) -> Channel:
        """A channel by id or name; a user id opens the app's DM with them."""
        ref = str(ref or "").strip()
        if not ref:
            raise ApiError("channel_not_found")
        if ref in self.channels:
            return self.channels[ref]
        if ref in self.users:  # posting to a user id opens the app's DM with them
            dm = Channel(f"D{ref}", ref, is_im=True)
            self.channels.setdefault(dm.id, dm)
            return self.channels[dm.id]
        name = ref.lstrip("#")
        for channel in self.channels.values():
            if channel.name == name and not channel.is_im:
                return channel
        raise ApiError("channel_not_found")

    def writable_channel(self, ref: Any) -> Channel:
        channel = self.resolve_channel(ref)
        if channel.is_archived:
            raise ApiError("is_archived")
        if not channel.bot_member:
            raise ApiError("not_in_channel")
        return channel

    def find_message(self, channel: Channel, ts: Any) -> dict[str, Any]:
        for message in self.messages:
            if message["channel"] == channel.id and message["ts"] == str(ts):
                return message
        raise ApiError("message_not_found")
