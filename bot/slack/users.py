"""What the bot needs to know about a Slack user: time zone, language, admin or guest, e-mail
local part.

`UserDirectory.get` answers from the store's cache (`store.users`, fresh for `max_age` seconds),
else asks Slack's `users.info` and caches the answer. If Slack cannot answer, the last cached
facts are used however old; with none, the user gets BOT_TIMEZONE and no admin rights (an id
in ADMIN_USER_IDS stays an admin: that list is local configuration). It never raises.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk import WebClient

from bot.i18n import DEFAULT_LANGUAGE, normalize
from bot.store import Store

log = logging.getLogger(__name__)

DEFAULT_MAX_AGE = 86400.0  # a day: a user's zone or role rarely changes more often


@dataclass(frozen=True)
class UserFacts:
    user_id: str
    tz: str  # an IANA zone that ZoneInfo accepts
    is_admin: bool  # workspace admin / owner, or listed in ADMIN_USER_IDS
    is_guest: bool  # multi-channel or single-channel guest
    email_local: str | None  # the part of the Slack e-mail before "@", when readable
    # False when Slack could not tell who this is (users.info failed, nothing cached): such a
    # user might be a guest, so they get nothing until Slack answers (ADMIN_USER_IDS excepted).
    verified: bool = True
    lang: str = DEFAULT_LANGUAGE  # "zh" or "en", from their Slack locale (bot.i18n)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)


def _valid_zone(name: Any) -> str | None:
    if not isinstance(name, str) or not name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


def _email_local(profile: Any) -> str | None:
    email = profile.get("email") if isinstance(profile, dict) else None
    if not isinstance(email, str) or "@" not in email:
        return None
    local = email.split("@", 1)[0].strip()
    return local or None


def facts_from_api(user: dict[str, Any], fallback_tz: str) -> UserFacts:
    """UserFacts from a `users.info` user object (admin from Slack's flags only)."""
    return UserFacts(
        user_id=str(user.get("id") or ""),
        tz=_valid_zone(user.get("tz")) or fallback_tz,
        is_admin=bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner")),
        is_guest=bool(user.get("is_restricted") or user.get("is_ultra_restricted")),
        email_local=_email_local(user.get("profile")),
        lang=normalize(user.get("locale") if isinstance(user.get("locale"), str) else None),
    )


class UserDirectory:
    """Looks users up through the store's cache, then Slack."""

    def __init__(
        self,
        store: Store,
        client: WebClient | None,
        *,
        admin_user_ids: tuple[str, ...] = (),
        fallback_tz: str = "Asia/Shanghai",
        max_age: float = DEFAULT_MAX_AGE,
    ):
        self.store = store
        self.client = client
        self.admin_user_ids = frozenset(admin_user_ids)
        self.fallback_tz = _valid_zone(fallback_tz) or "UTC"
        self.max_age = max_age

    def get(self, user_id: str) -> UserFacts:
        facts = self._cached(user_id, self.max_age, with_locale=True) or self._fetch(user_id)
        if facts is None:
            facts = self._cached(user_id, float("inf")) or UserFacts(
                user_id, self.fallback_tz, False, False, None, verified=False
            )
        if user_id in self.admin_user_ids and not (facts.is_admin and facts.verified):
            facts = replace(facts, is_admin=True, verified=True)
        return facts

    def _cached(
        self, user_id: str, max_age: float, *, with_locale: bool = False
    ) -> UserFacts | None:
        """The cached facts; `with_locale`: only when they hold the language (a row cached by
        a release that did not ask for it is asked again)."""
        cached = self.store.users.cached_user(user_id, max_age)
        if cached is None or (with_locale and cached.locale is None):
            return None
        tz = _valid_zone(cached.tz) or self.fallback_tz
        return UserFacts(
            user_id,
            tz,
            cached.is_admin,
            cached.is_guest,
            cached.email_local,
            lang=normalize(cached.locale),
        )

    def _fetch(self, user_id: str) -> UserFacts | None:
        if self.client is None or not user_id:
            return None
        try:
            user = self.client.users_info(user=user_id, include_locale=True)["user"]
        except Exception as exc:  # SlackApiError, network trouble, a malformed answer
            log.warning("users.info failed for %s: %s", user_id, type(exc).__name__)
            return None
        if not isinstance(user, dict):
            return None
        facts = facts_from_api({**user, "id": user_id}, self.fallback_tz)
        self.store.users.cache_user(
            user_id,
            tz=facts.tz,
            is_admin=facts.is_admin,
            is_guest=facts.is_guest,
            email_local=facts.email_local,
            locale=user.get("locale") if isinstance(user.get("locale"), str) else "",  # "": asked
        )
        return facts
