"""Requests to view a recording, answered from Slack.

A `recording.apply` event names who asks to view which recording. Each request (one Tencent
`apply_id`) is kept once (store.access) and sent once: to its host in a direct message, the host
found through the user links (or their e-mail address), else to ADMIN_CHANNEL. The message
carries Approve / Ignore; a click by the host or a bot admin calls
`PUT /v1/records/approvals/{meeting_record_id}` as the recording's creator, records the decision
(who, when) and edits the message to show it. Anyone else is refused, and a second click or a
second event changes nothing.

Sending is exactly once: the message is claimed before it is posted, its destination kept, and
a claim retried after a crash looks in that conversation's history for the message's metadata
before posting again. A Slack failure is retried by the poll cycle (`post_due`) with a backoff.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import Enum

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.delivery.history import find_own_message
from bot.delivery.slack_errors import error_code
from bot.i18n import use_language
from bot.models import INTERACTIVE
from bot.slack.access_blocks import (
    ACCESS_METADATA_EVENT_TYPE,
    access_metadata,
    access_request_message,
)
from bot.slack.users import UserDirectory
from bot.store import Store
from bot.store.access import APPROVED, IGNORED, AccessRequestRow
from bot.tencent.client import TencentMeetingClient
from bot.tencent.webhook import WebhookEvent

log = logging.getLogger(__name__)

RETRY_BASE = 60.0  # seconds before a failed post is tried again, doubled at each attempt
RETRY_CAP = 3600.0
DECISION_MAX_WAIT = 10.0  # seconds a click waits for an API slot


class Decision(Enum):
    """What a click on Approve / Ignore came to."""

    DONE = "done"
    UNKNOWN = "unknown"  # no such request (the bot's records were reset)
    ALREADY = "already"  # decided before
    REFUSED = "refused"  # neither the host nor an admin
    BUSY = "busy"  # another click is being answered right now
    NO_OPERATOR = "no_operator"  # nobody known to answer as in Tencent Meeting


@dataclass(frozen=True)
class DecisionResult:
    outcome: Decision
    row: AccessRequestRow | None = None


class AccessDesk:
    """Sends requests to view recordings to Slack, and answers the clicks on them."""

    def __init__(
        self,
        store: Store,
        slack: WebClient | None,
        tencent: TencentMeetingClient,
        *,
        admin_channel: str,
        operator_id: str = "",
        claimer: str,
        tz_name: str,
        default_lang: str = "en",
    ):
        self.store = store
        self.slack = slack
        self.tencent = tencent
        self.admin_channel = admin_channel
        self.operator_id = operator_id  # TENCENT_MEETING_OPERATOR_ID: when the host is unknown
        self.claimer = claimer
        self.tz_name = tz_name
        self.default_lang = default_lang  # BOT_LANGUAGE: the admin channel's
        self.users = UserDirectory(store, slack, fallback_tz=tz_name)  # a host's language

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        store: Store,
        tencent: TencentMeetingClient,
        slack: WebClient | None,
        *,
        claimer: str,
    ) -> AccessDesk:
        """The desk the settings describe (`claimer`: who claims the posts it sends)."""
        return cls(
            store,
            slack,
            tencent,
            admin_channel=settings.admin_channel,
            operator_id=settings.tencent_operator_id,
            claimer=claimer,
            tz_name=settings.bot_timezone,
            default_lang=settings.bot_language,
        )

    # -- receiving and sending -------------------------------------------------------------
    def receive(self, event: WebhookEvent) -> list[str]:
        """Keep each request of a `recording.apply` event and send it: the apply ids kept for
        the first time (a repeated event adds and sends nothing)."""
        added = self.keep(event)
        self.send_requested(event)
        return added

    def send_requested(self, event: WebhookEvent) -> int:
        """Send the requests of a `recording.apply` event (those kept and not sent yet)."""
        return sum(self.send(request.apply_id) for request in event.access_requests)

    def keep(self, event: WebhookEvent) -> list[str]:
        """Keep each request of a `recording.apply` event (cheap: done before the webhook is
        answered, so nothing is lost); the apply ids kept for the first time."""
        added = []
        for request in event.access_requests:
            ms = request.operate_time_ms
            subject = request.subject
            if not subject:
                known = self.store.recordings.get(request.meeting_record_id)
                subject = known.subject if known is not None else ""
            if self.store.access.add(
                apply_id=request.apply_id,
                meeting_record_id=request.meeting_record_id,
                meeting_id=request.meeting_id,
                subject=subject,
                host_userid=request.host_userid,
                requester_userid=request.requester_userid,
                requester_name=request.requester_name,
                note=request.note,
                requested_at=ms / 1000 if ms else None,
            ):
                added.append(request.apply_id)
                log.info(
                    "access request %s to view recording %s received",
                    request.apply_id,
                    request.meeting_record_id,
                )
        return added

    def post_due(self) -> int:
        """Send the requests still unsent (a Slack failure, a crash): how many were sent."""
        return sum(self.send(apply_id) for apply_id in self.store.access.due())

    def send(self, apply_id: str) -> bool:
        """Send one request's message, exactly once; True when it was posted now."""
        if self.slack is None:
            return False
        repo = self.store.access
        self.store.hold_claims(self.claimer)
        attempts_before = repo.claim_post(apply_id, self.claimer)
        if attempts_before is None:
            return False
        row = repo.get(apply_id)
        if row is None:
            return False
        try:
            if attempts_before and row.channel:  # an earlier attempt may have posted
                found = find_own_message(
                    self.slack,
                    row.channel,
                    ACCESS_METADATA_EVENT_TYPE,
                    "apply_id",
                    apply_id,
                    since=row.created_at,
                )
                if found is not None:
                    repo.posted(apply_id, row.channel, found[0])
                    return False
            destination = self._destination(row)
            if destination is None:
                repo.unrouted(apply_id, "host not found in Slack and no ADMIN_CHANNEL")
                log.warning(
                    "access request %s: host %s has no Slack user and ADMIN_CHANNEL is not set; "
                    "it is left to Tencent Meeting",
                    apply_id,
                    row.host_userid,
                )
                return False
            channel, host = destination
            repo.set_destination(apply_id, channel, host)
            with use_language(self.language(host)):
                text, blocks = access_request_message(row, tz_name=self.tz_name, to_admins=not host)
            answer = self.slack.chat_postMessage(
                channel=channel,
                text=text,
                blocks=blocks,
                metadata=access_metadata(apply_id),
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as exc:
            error = error_code(exc) or "unknown"
            retry = min(RETRY_CAP, RETRY_BASE * 2 ** max(0, attempts_before))
            repo.post_failed(apply_id, error, retry)
            log.warning(
                "access request %s: Slack said %s; retried in %.0f s", apply_id, error, retry
            )
            return False
        repo.posted(apply_id, str(answer.get("channel") or channel), str(answer["ts"]))
        log.info("access request %s sent to %s", apply_id, "its host" if host else "the admins")
        return True

    def language(self, host_slack_id: str | None) -> str:
        """The host's language (their Slack locale, as the bot's user directory knows it or
        Slack tells it), else BOT_LANGUAGE."""
        if not host_slack_id:
            return self.default_lang
        facts = self.users.get(host_slack_id)
        return facts.lang if facts.verified else self.default_lang

    def _destination(self, row: AccessRequestRow) -> tuple[str, str | None] | None:
        """(conversation, the host's Slack user or None for the admin channel)."""
        assert self.slack is not None
        host = self.host_slack_user(row.host_userid) if row.host_userid else None
        if host is not None:
            opened = self.slack.conversations_open(users=host)
            return str(opened["channel"]["id"]), host
        if self.admin_channel:
            return self.admin_channel, None
        return None

    def host_slack_user(self, tencent_userid: str) -> str | None:
        """The host's Slack user: linked (`/recordings link`), or with the e-mail address the
        userid is (or begins), else None. Two people matching is no match."""
        found = self.store.users.slack_users_of(tencent_userid)
        if len(found) == 1:
            return found[0]
        if not found and "@" in tencent_userid and self.slack is not None:
            try:
                user = self.slack.users_lookupByEmail(email=tencent_userid)["user"]
            except SlackApiError as exc:
                if error_code(exc) != "users_not_found":
                    raise
                return None
            if not user.get("deleted") and not user.get("is_restricted"):
                return str(user["id"])
        return None

    # -- deciding --------------------------------------------------------------------------
    def may_decide(self, row: AccessRequestRow, slack_user_id: str, *, is_admin: bool) -> bool:
        """The host (the person it was sent to, or linked to the host's userid) or an admin."""
        if is_admin or (row.host_slack_id and slack_user_id == row.host_slack_id):
            return True
        return bool(row.host_userid) and slack_user_id in self.store.users.slack_users_of(
            row.host_userid or ""
        )

    def decide(
        self, apply_id: str, *, approve: bool, slack_user_id: str, is_admin: bool
    ) -> DecisionResult:
        """Answer one click. Tencent's errors (TencentError, BudgetExhaustedError) reach the
        caller with the request left open for another click."""
        repo = self.store.access
        row = repo.get(apply_id)
        if row is None:
            return DecisionResult(Decision.UNKNOWN)
        if row.decision is not None:
            return DecisionResult(Decision.ALREADY, row)
        if not self.may_decide(row, slack_user_id, is_admin=is_admin):
            log.info("access request %s: %s may not answer it", apply_id, slack_user_id)
            return DecisionResult(Decision.REFUSED, row)
        operator = row.host_userid or self.operator_id
        if not operator:
            return DecisionResult(Decision.NO_OPERATOR, row)
        if not repo.claim_decision(apply_id, slack_user_id):
            row = repo.get(apply_id) or row
            return DecisionResult(Decision.ALREADY if row.decision else Decision.BUSY, row)
        try:
            self.tencent.answer_access_request(
                row.meeting_record_id,
                [apply_id],
                approve=approve,
                operator_id=operator,
                priority=INTERACTIVE,
                max_wait=DECISION_MAX_WAIT,
            )
        except BaseException:
            repo.release_decision(apply_id)
            raise
        repo.decide(apply_id, APPROVED if approve else IGNORED, slack_user_id)
        row = repo.get(apply_id) or row
        log.info("access request %s %s by %s", apply_id, row.decision, slack_user_id)
        self.show_decision(row)
        return DecisionResult(Decision.DONE, row)

    def show_decision(self, row: AccessRequestRow) -> None:
        """Edit the request's message to show the decision (a failure is logged: the decision
        stands, and the clicker is told)."""
        if self.slack is None or not (row.channel and row.ts):
            return
        with use_language(self.language(row.host_slack_id)):
            text, blocks = access_request_message(
                row, tz_name=self.tz_name, to_admins=not row.host_slack_id
            )
        try:
            self.slack.chat_update(channel=row.channel, ts=row.ts, text=text, blocks=blocks)
        except SlackApiError as exc:
            log.warning("access request %s: its message was not edited: %s", row.apply_id, exc)
