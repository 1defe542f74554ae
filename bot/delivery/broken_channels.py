"""Channels the bot cannot post to (gone or archived), and telling the admins about them.

A broken channel's routes are marked broken and the admins hear it once per breakage; the
first post that works again clears the mark and tells them so. The deliveries are kept.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from slack_sdk import WebClient

from bot.delivery.slack_errors import describe
from bot.i18n import _, use_language

if TYPE_CHECKING:
    from bot.store import Store

log = logging.getLogger(__name__)


class AdminNotices:
    """Posts notices to the admins' channel (ADMIN_CHANNEL), in BOT_LANGUAGE (`lang`: render
    the text inside `with use_language(notices.lang)`)."""

    def __init__(self, client: WebClient, admin_channel: str | None, lang: str = "en"):
        self.client = client
        self.admin_channel = admin_channel
        self.lang = lang

    def send(self, text: str) -> None:
        """Tell the admins' channel something; never raises."""
        if not self.admin_channel:
            log.warning("admin notice (no ADMIN_CHANNEL set): %s", text)
            return
        try:
            self.client.chat_postMessage(channel=self.admin_channel, text=text, unfurl_links=False)
        except Exception as exc:
            log.warning("could not notify the admin channel: %s", describe(exc))


class BrokenChannels:
    """Marks a channel's routes broken (and clear again) in the store, telling the admins."""

    def __init__(self, store: Store, notices: AdminNotices):
        self.store = store
        self.notices = notices

    def broken(self, channel: str, reason: str) -> None:
        """Mark the channel's routes broken and tell the admins, once per breakage."""
        self.store.routes.mark_broken_channel(channel, reason)
        key = _state_key(channel)
        if self.store.state.get(key) is None:
            self.store.state.set(key, {"reason": reason, "at": self.store.now()})
            with use_language(self.notices.lang):
                text = _(
                    ":warning: Posting to {channel} fails: {reason}. Recordings for it are "
                    "kept and posted once it is fixed; `/recordings route list` shows the route, "
                    "`/recordings route remove ID` drops it."
                ).format(channel=f"<#{channel}>", reason=reason)
            self.notices.send(text)

    def works(self, channel: str) -> None:
        """A post to the channel worked: clear a breakage, telling the admins."""
        key = _state_key(channel)
        if self.store.state.get(key) is not None:
            self.store.state.set(key, None)
            self.store.routes.clear_broken(channel)
            with use_language(self.notices.lang):
                text = _("Posting to {channel} works again.").format(channel=f"<#{channel}>")
            self.notices.send(text)


def _state_key(channel: str) -> str:
    return f"channel_broken:{channel}"
