"""A recording's channel message, rendered under the policy of the route it is delivered for."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES, use_language
from bot.models import RecordMeeting, Route
from bot.slack.blocks import recording_message, recording_metadata

if TYPE_CHECKING:
    from bot.store.routes import RouteRepo


def shown_digest(text: str, blocks: list[dict[str, Any]]) -> str:
    """A short hash of what a message shows: an edit interrupted by a crash is known done when
    the message in Slack already carries the digest of what it was to show."""
    raw = json.dumps([text, blocks], ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()[:24]


@dataclass(frozen=True)
class RecordingMessage:
    text: str  # the fallback text
    blocks: list[dict[str, Any]]
    metadata: dict[str, Any]  # names the recording, so an earlier post can be found again


class RecordingMessages:
    """Renders recordings' messages for their routes, in the bot's time zone and each route's
    language (`lang:zh|en`, else BOT_LANGUAGE)."""

    def __init__(self, routes: RouteRepo, tz_name: str, default_lang: str = DEFAULT_LANGUAGE):
        self.routes = routes
        self.tz_name = tz_name
        self.default_lang = default_lang

    def language(self, route_id: int | None) -> str:
        """The language a route's channel reads: its `lang` when zh or en, else the bot's."""
        return self._language(self._route(route_id))

    def render(self, meeting: RecordMeeting, route_id: int | None) -> RecordingMessage:
        route = self._route(route_id)  # one read for the policy and the language
        password_policy, download = self._policy(route_id, route)
        with use_language(self._language(route)):
            text, blocks = recording_message(
                meeting, password_policy=password_policy, download=download, tz_name=self.tz_name
            )
        metadata = recording_metadata(meeting)
        metadata["event_payload"]["shown"] = shown_digest(text, blocks)
        return RecordingMessage(text, blocks, metadata)

    def policy(self, route_id: int | None) -> tuple[str, bool]:
        """(password policy, download) of a delivery's route. DEFAULT_CHANNEL deliveries (no
        route) get the default policy; a route removed since gets the strictest, so a message
        edited later never reveals more than its route allowed."""
        return self._policy(route_id, self._route(route_id))

    def _route(self, route_id: int | None) -> Route | None:
        return self.routes.get(route_id) if route_id is not None else None

    def _language(self, route: Route | None) -> str:
        if route is not None and route.lang in LANGUAGES:
            return route.lang
        return self.default_lang

    @staticmethod
    def _policy(route_id: int | None, route: Route | None) -> tuple[str, bool]:
        if route_id is None:
            return "button", False
        if route is None:
            return "hide", False
        return route.password_policy, route.download
