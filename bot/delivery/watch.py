"""What was said in a posted recording is looked for from the moment it is in a channel."""

from __future__ import annotations

import logging

from bot.models import DEFAULT_LANG, RecordMeeting
from bot.store import Store
from bot.store.content import KIND_TRANSCRIPT, KINDS

log = logging.getLogger(__name__)


def watch_content(store: Store, meeting: RecordMeeting, route_id: int | None) -> None:
    """Look for the minutes, chapters and transcript of every file of `meeting` from now on
    (bot/content_fetch.py asks Tencent; bot/delivery/threads.py posts the minutes), the minutes
    and chapters also in the route's `lang` when it asks for a translation. Files watched
    already keep their status. Never raises: the post it follows is done."""
    try:
        route = store.routes.get(route_id) if route_id is not None else None
        lang = route.lang if route is not None else DEFAULT_LANG
        for file in meeting.record_files:
            for kind in KINDS:
                store.content.watch(file.record_file_id, kind)
                if lang != DEFAULT_LANG and kind != KIND_TRANSCRIPT:
                    store.content.watch(file.record_file_id, kind, lang=lang)
    except Exception:
        log.exception("could not start watching the content of %s", meeting.meeting_record_id)
