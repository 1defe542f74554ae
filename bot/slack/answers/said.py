"""The "In what was said" part of a `/recordings search` answer: transcript hits from the store.

Hits come from the store only (no Tencent call), newest recording first, a page of
HITS_PAGE_SIZE at a time; page N of the answer shows hits page N (the More button pages the
subject matches and the hits together). Who sees a hit is the rule `/recordings summary` also
applies (bot/store/content.py `_visible_sql`): admins and the recording's host (the Slack user's
linked Tencent userid, or their e-mail's local part, as `mine` does) always; anyone else only
recordings whose files are all shared and none for participants only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.i18n import N_, _
from bot.slack.answers.deps import Deps
from bot.slack.blocks import BlockDict
from bot.slack.hits import transcript_hit_blocks
from bot.slack.parse import Query
from bot.slack.users import UserFacts
from bot.store.content import COUNT_AT_MOST, TranscriptHit, Viewer

HITS_PAGE_SIZE = 10
SAID_TITLE = N_("In what was said")
SAID_HINT = N_("No transcript in this period holds every word.")


def viewer_for(deps: Deps, facts: UserFacts) -> Viewer:
    """Whose eyes look at what was said: admin or not, and the Tencent userid they host as,
    by the admin-set user link only (an e-mail's local part is not proof enough to see a
    participant-only recording's content)."""
    userid = deps.store.users.linked_userid(facts.user_id)
    return Viewer(admin=facts.is_admin, userid=userid or None)


@dataclass(frozen=True)
class ShownHit:
    """A store hit as bot.slack.hits renders it (with the meeting's start, for its date)."""

    subject: str
    speaker_name: str
    start_ms: int
    snippet: str
    meeting_start_seconds: int


@dataclass
class SaidPage:
    hits: list[ShownHit] = field(default_factory=list)
    total: int = 0  # every hit, counted up to COUNT_AT_MOST
    offset: int = 0

    @property
    def capped(self) -> bool:
        return self.total >= COUNT_AT_MOST

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.hits) < self.total


def _shown(hit: TranscriptHit) -> ShownHit:
    return ShownHit(
        subject=hit.subject,
        speaker_name=hit.speaker_name,
        start_ms=hit.start_ms,
        snippet=hit.snippet,
        meeting_start_seconds=hit.media_start_time // 1000,
    )


def said_page(deps: Deps, facts: UserFacts, query: Query, page: int) -> SaidPage:
    """Page `page` (0-based) of the transcript hits of `query.search` in its period."""
    result = SaidPage(offset=max(0, page) * HITS_PAGE_SIZE)
    if not query.search:
        return result
    content = deps.store.content
    viewer = viewer_for(deps, facts)
    start, last = int(query.start.timestamp()), int(query.end.timestamp()) - 1
    result.total = content.count_transcript_hits(query.search, start=start, end=last, viewer=viewer)
    if result.offset < result.total:
        hits = content.search_transcripts(
            query.search,
            start=start,
            end=last,
            viewer=viewer,
            limit=HITS_PAGE_SIZE,
            offset=result.offset,
        )
        result.hits = [_shown(hit) for hit in hits]
    return result


def said_blocks(said: SaidPage, *, tz_name: str) -> tuple[str, list[BlockDict]]:
    """(fallback text, blocks) of this page of hits, without a More button (the caller adds
    one for the whole answer)."""
    return transcript_hit_blocks(
        said.hits,
        title=_(SAID_TITLE),
        tz_name=tz_name,
        offset=said.offset,
        total=None if said.capped else said.total,
        more_value=None,
        empty_hint=_(SAID_HINT),
    )
