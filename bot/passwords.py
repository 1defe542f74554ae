"""Which meeting passwords the store may keep: none that every route hides (password:hide).

The store encrypts what it keeps, and keeps nothing without PASSWORD_KEY (bot/store/passwords.py);
this module decides, by the routes, what it is given at all.
"""

from __future__ import annotations

import logging

from bot.models import RecordMeeting, Route
from bot.routing import password_hidden
from bot.store import Store

log = logging.getLogger(__name__)


def strip_hidden(
    meetings: list[RecordMeeting], routes: list[Route], default_channel: str | None
) -> list[RecordMeeting]:
    """`meetings`, with the passwords of those every route hides left out (each file still
    knows it has one)."""
    out = []
    for meeting in meetings:
        if any(f.password for f in meeting.record_files) and password_hidden(
            meeting, routes, default_channel
        ):
            files = tuple(f.without_password() for f in meeting.record_files)
            meeting = meeting.model_copy(update={"record_files": files})
        out.append(meeting)
    return out


def forget_hidden(store: Store, default_channel: str | None) -> int:
    """Drop the stored passwords of recordings every route now hides (e.g. at start, after the
    routes changed); returns how many passwords were dropped."""
    routes = store.routes.list()
    hidden = [
        m.meeting_record_id
        for m in store.recordings.with_stored_passwords()
        if password_hidden(m, routes, default_channel)
    ]
    dropped = store.recordings.forget_passwords(hidden) if hidden else 0
    if dropped:
        log.info("dropped %d stored password(s) that every route hides", dropped)
    return dropped
