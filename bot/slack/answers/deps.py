"""What answering a command or a click draws on, built once by bot.slack.app.build_app."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient

from bot.config import Settings
from bot.slack.users import UserDirectory
from bot.store import Store
from bot.tencent.client import TencentMeetingClient


@dataclass(frozen=True)
class Deps:
    settings: Settings
    store: Store
    tencent: TencentMeetingClient
    slack: WebClient | None  # the app's Web API client (users.info, conversations.info, ...)
    users: UserDirectory  # who is asking: time zone, admin, guest

    @classmethod
    def build(
        cls,
        settings: Settings,
        store: Store,
        tencent: TencentMeetingClient,
        slack: WebClient | None,
    ) -> Deps:
        users = UserDirectory(
            store,
            slack,
            admin_user_ids=settings.admin_user_ids,
            fallback_tz=settings.bot_timezone,
        )
        return cls(settings, store, tencent, slack, users)
