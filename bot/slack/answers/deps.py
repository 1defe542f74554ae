"""What answering a command or a click draws on, built once by bot.slack.app.build_app."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk import WebClient

from bot.config import Settings
from bot.slack.answers.in_flight import InFlight
from bot.slack.users import UserDirectory
from bot.store import Store
from bot.tencent.client import TencentMeetingClient

# Runs `work(late)` on the pool of the answers that call Tencent Meeting, apart from those that
# do not (`late`: it waited too long to be worth answering); False when that pool is full.
ApiLane = Callable[[Callable[[bool], None]], bool]


@dataclass(frozen=True)
class Deps:
    settings: Settings
    store: Store
    tencent: TencentMeetingClient
    slack: WebClient | None  # the app's Web API client (users.info, conversations.info, ...)
    users: UserDirectory  # who is asking: time zone, admin, guest
    in_flight: InFlight  # each person's one question being fetched from Tencent
    api_lane: ApiLane | None = None  # None: a fetch runs where the answer began

    @classmethod
    def build(
        cls,
        settings: Settings,
        store: Store,
        tencent: TencentMeetingClient,
        slack: WebClient | None,
        *,
        api_lane: ApiLane | None = None,
    ) -> Deps:
        users = UserDirectory(
            store,
            slack,
            admin_user_ids=settings.admin_user_ids,
            fallback_tz=settings.bot_timezone,
        )
        return cls(settings, store, tencent, slack, users, InFlight(store), api_lane)
