"""Exactly-once posting of completed recordings to their channels.

The ledger (store.deliveries) holds one row per (recording, channel). A delivery is claimed
(state `posting`) before the post and marked `sent` with its `ts` after. Every message carries
metadata naming its recording, so when a claim is found from an earlier attempt that may have
posted (a crash, a timeout), the channel's history is searched for our own message before
posting again. Slack errors lose nothing: the row stays undelivered (`failed`, with the error and
a `not_before` for Retry-After) until it is sent or its route is removed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.slack.blocks import (
    METADATA_EVENT_TYPE,
    files_signature,
    recording_message,
    recording_metadata,
)
from bot.stopping import ShuttingDown
from bot.store import Store
from bot.store.deliveries import Delivery

log = logging.getLogger(__name__)

BROKEN_RETRY_SECONDS = 600.0  # a channel that is gone or archived is retried every 10 min
FAILED_RETRY_SECONDS = 0.0  # other failures: on the next cycle
# Errors about one message's content, not the channel: they must not hold back the channel's
# later deliveries (the ledger is read oldest first, so deferring would block it for good).
MESSAGE_ERRORS = frozenset(
    {
        "invalid_blocks",
        "invalid_blocks_format",
        "invalid_arguments",
        "invalid_metadata_format",
        "invalid_metadata_schema",
        "metadata_too_large",
        "msg_too_long",
        "no_text",
    }
)


@dataclass
class DeliveryReport:
    sent: int = 0
    recovered: int = 0  # found already posted (after a crash) instead of posting again
    updated: int = 0
    failed: int = 0
    error: str | None = None


class _Outcome:
    SENT, RECOVERED, FAILED, SKIPPED, DEFER_CHANNEL = range(5)


class Deliverer:
    """Posts due deliveries. Safe to use from several threads and processes at once."""

    def __init__(
        self,
        store: Store,
        client: WebClient,
        settings: Settings,
        *,
        claimer: str = "deliverer",
        min_interval: float = 1.0,
        max_inline_retry_after: float = 5.0,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.store = store
        self.client = client
        self.settings = settings
        self.claimer = claimer
        self.min_interval = min_interval
        self.max_inline_retry_after = max_inline_retry_after
        self._sleep = sleep
        self._monotonic = monotonic
        self._last_post: dict[str, float] = {}
        self._pace_lock = threading.Lock()

    # -- public ------------------------------------------------------------------------------
    def deliver_due(
        self, limit: int = 500, *, keep_going: Callable[[], bool] | None = None
    ) -> DeliveryReport:
        """Post every due delivery (oldest first), then update messages whose files changed.

        `keep_going` is asked before each post (the poller renews its lease there, and stops
        when it lost it: posting paced at one a second per channel can take a while)."""
        report = DeliveryReport()
        deferred: set[str] = set()
        for delivery in self.store.deliveries.due(self.store.now(), limit=limit):
            if keep_going is not None and not keep_going():
                return report
            if delivery.channel in deferred:
                continue
            outcome = self._deliver(delivery, report)
            if outcome == _Outcome.DEFER_CHANNEL:
                deferred.add(delivery.channel)
        self._apply_updates(report)
        return report

    def deliver_recording(self, meeting_record_id: str) -> DeliveryReport:
        """Post the due deliveries of one recording (the webhook's fast path)."""
        report = DeliveryReport()
        for delivery in self.store.deliveries.undelivered():
            if delivery.meeting_record_id == meeting_record_id:
                self._deliver(delivery, report)
        self._apply_updates(report, only=meeting_record_id)
        return report

    def notify_admins(self, text: str) -> None:
        """Tell the admins' channel (ADMIN_CHANNEL) something; never raises."""
        if not self.settings.admin_channel:
            log.warning("admin notice (no ADMIN_CHANNEL set): %s", text)
            return
        try:
            self.client.chat_postMessage(
                channel=self.settings.admin_channel, text=text, unfurl_links=False
            )
        except Exception as exc:
            log.warning("could not notify the admin channel: %s", _describe(exc))

    # -- one delivery ------------------------------------------------------------------------
    def _deliver(self, delivery: Delivery, report: DeliveryReport) -> int:
        deliveries = self.store.deliveries
        mid, channel = delivery.meeting_record_id, delivery.channel
        before = deliveries.claim(mid, channel, self.claimer)
        if before is None:
            return _Outcome.SKIPPED  # someone else has it, or it is already done
        meeting = self.store.recordings.get(mid)
        if meeting is None:
            deliveries.mark_failed(mid, channel, "the recording is no longer in the store")
            report.failed += 1
            return _Outcome.FAILED
        signature = files_signature(meeting)
        try:
            if before.attempts > 0 or before.state == "posting":
                found = self._find_posted(channel, mid, since=before.created_at)
                if found is not None:
                    ts, posted_signature = found
                    deliveries.mark_sent(mid, channel, ts, posted_signature or signature)
                    if posted_signature and posted_signature != signature:
                        deliveries.flag_for_update([mid])
                    log.info("recovered delivery of %s to %s: already posted", mid, channel)
                    report.recovered += 1
                    return _Outcome.RECOVERED
            ts = self._post(channel, meeting, before.route_id)
        except SlackApiError as exc:
            return self._on_slack_error(exc, before, report)
        except ShuttingDown:  # woken from a wait before posting: hand the delivery back
            deliveries.release(mid, channel)
            raise
        except Exception as exc:  # network errors, timeouts: retried on the next cycle
            deliveries.mark_failed(mid, channel, _describe(exc))
            report.failed += 1
            report.error = _describe(exc)
            return _Outcome.DEFER_CHANNEL
        deliveries.mark_sent(mid, channel, ts, signature)
        report.sent += 1
        self._channel_works(channel)
        return _Outcome.SENT

    def _post(self, channel: str, meeting, route_id: int | None, *, retried: bool = False) -> str:
        password_policy, download = self._policy(route_id)
        text, blocks = recording_message(
            meeting,
            password_policy=password_policy,
            download=download,
            tz_name=self.settings.bot_timezone,
        )
        self._pace(channel)
        try:
            response = self.client.chat_postMessage(
                channel=channel,
                text=text,
                blocks=blocks,
                metadata=recording_metadata(meeting),
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as exc:
            if retried:
                raise
            error = _error_code(exc)
            if _is_rate_limited(exc):
                wait = _retry_after(exc)
                if wait > self.max_inline_retry_after:
                    raise
                self._sleep(wait)
                return self._post(channel, meeting, route_id, retried=True)
            if error == "not_in_channel":
                self.client.conversations_join(channel=channel)  # public channels only
                return self._post(channel, meeting, route_id, retried=True)
            raise
        return str(response["ts"])

    def _on_slack_error(
        self, exc: SlackApiError, delivery: Delivery, report: DeliveryReport
    ) -> int:
        deliveries = self.store.deliveries
        mid, channel = delivery.meeting_record_id, delivery.channel
        error = _describe(exc)
        report.failed += 1
        report.error = error
        now = self.store.now()
        if _is_rate_limited(exc):
            deliveries.mark_failed(mid, channel, error, not_before=now + _retry_after(exc))
            return _Outcome.DEFER_CHANNEL
        code = _error_code(exc)
        if code in ("channel_not_found", "is_archived", "method_not_supported_for_channel_type"):
            reason = {
                "channel_not_found": "the channel does not exist (or is private without the bot)",
                "is_archived": "the channel is archived",
                "method_not_supported_for_channel_type": "the bot cannot join this private "
                "channel: invite it with /invite",
            }[code]
            deliveries.mark_failed(mid, channel, error, not_before=now + BROKEN_RETRY_SECONDS)
            self._channel_broken(channel, reason)
            return _Outcome.DEFER_CHANNEL
        deliveries.mark_failed(mid, channel, error, not_before=now + FAILED_RETRY_SECONDS)
        if code in MESSAGE_ERRORS:
            return _Outcome.FAILED  # this message only: the channel's next ones still go
        return _Outcome.DEFER_CHANNEL

    def _find_posted(
        self, channel: str, meeting_record_id: str, *, since: float
    ) -> tuple[str, str | None] | None:
        """Our own earlier message for this recording in the channel: (ts, files_signature)."""
        cursor = None
        for _ in range(20):  # at most 20 pages of 200 messages
            try:
                response = self.client.conversations_history(
                    channel=channel,
                    oldest=f"{max(0.0, since - 300):.6f}",
                    include_all_metadata=True,
                    limit=200,
                    cursor=cursor,
                )
            except SlackApiError as exc:
                code = _error_code(exc)
                if code in ("not_in_channel", "channel_not_found"):
                    return None  # the bot cannot have posted there
                raise
            for message in response.get("messages") or []:
                metadata = message.get("metadata") or {}
                payload = metadata.get("event_payload") or {}
                if (
                    metadata.get("event_type") == METADATA_EVENT_TYPE
                    and payload.get("meeting_record_id") == meeting_record_id
                ):
                    return str(message["ts"]), payload.get("files_signature")
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None
        return None

    # -- broken channels ---------------------------------------------------------------------
    def _channel_broken(self, channel: str, reason: str) -> None:
        """Mark the channel's routes broken and tell the admins, once per breakage."""
        self.store.routes.mark_broken_channel(channel, reason)
        key = f"channel_broken:{channel}"
        if self.store.state.get(key) is None:
            self.store.state.set(key, {"reason": reason, "at": self.store.now()})
            self.notify_admins(
                f":warning: Posting to <#{channel}> fails: {reason}. Recordings for it are "
                "kept and posted once it is fixed; `/recordings route list` shows the route, "
                "`/recordings route remove ID` drops it."
            )

    def _channel_works(self, channel: str) -> None:
        key = f"channel_broken:{channel}"
        if self.store.state.get(key) is not None:
            self.store.state.set(key, None)
            self.store.routes.clear_broken(channel)
            self.notify_admins(f"Posting to <#{channel}> works again.")

    # -- updates -----------------------------------------------------------------------------
    def _apply_updates(self, report: DeliveryReport, only: str | None = None) -> None:
        """Messages of recordings that gained (or lost) record files are edited in place."""
        for delivery in self.store.deliveries.needing_update():
            if only is not None and delivery.meeting_record_id != only:
                continue
            meeting = self.store.recordings.get(delivery.meeting_record_id)
            if meeting is None or not delivery.ts:
                continue
            password_policy, download = self._policy(delivery.route_id)
            text, blocks = recording_message(
                meeting,
                password_policy=password_policy,
                download=download,
                tz_name=self.settings.bot_timezone,
            )
            try:
                self.client.chat_update(
                    channel=delivery.channel,
                    ts=delivery.ts,
                    text=text,
                    blocks=blocks,
                    metadata=recording_metadata(meeting),
                )
            except Exception as exc:
                report.error = _describe(exc)
                log.warning(
                    "could not update message of %s: %s", delivery.meeting_record_id, report.error
                )
                if not _message_gone(exc):
                    continue  # retried on the next cycle; a deleted message is given up on
            else:
                report.updated += 1
            self.store.deliveries.update_signature(
                delivery.meeting_record_id, delivery.channel, files_signature(meeting)
            )

    def _policy(self, route_id: int | None) -> tuple[str, bool]:
        """(password policy, download) of a delivery's route. DEFAULT_CHANNEL deliveries (no
        route) get the default policy; a route removed since gets the strictest, so a message
        edited later never reveals more than its route allowed."""
        if route_id is None:
            return "button", False
        route = self.store.routes.get(route_id)
        if route is None:
            return "hide", False
        return route.password_policy, route.download

    def _pace(self, channel: str) -> None:
        """At most about one message per second per channel."""
        with self._pace_lock:
            now = self._monotonic()
            wait = self._last_post.get(channel, -1e9) + self.min_interval - now
            self._last_post[channel] = now + max(0.0, wait)
        if wait > 0:
            self._sleep(wait)


def _error_code(exc: SlackApiError) -> str | None:
    """Slack's error code (e.g. "not_in_channel"), when it answered."""
    return exc.response.get("error") if exc.response is not None else None


def _is_rate_limited(exc: SlackApiError) -> bool:
    return exc.response is not None and (
        exc.response.status_code == 429 or _error_code(exc) == "ratelimited"
    )


def _message_gone(exc: Exception) -> bool:
    """The message to edit no longer exists or can no longer be edited."""
    return isinstance(exc, SlackApiError) and _error_code(exc) in (
        "message_not_found",
        "cant_update_message",
        "edit_window_closed",
        "channel_not_found",
        "is_archived",
    )


def _retry_after(exc: SlackApiError) -> float:
    headers = exc.response.headers if exc.response is not None else {}
    for key, value in (headers or {}).items():
        if key.lower() == "retry-after":
            try:
                return max(1.0, float(value if not isinstance(value, list) else value[0]))
            except (TypeError, ValueError):
                break
    return 30.0


def _describe(exc: Exception) -> str:
    """A short, secret-free description of a Slack or network error."""
    if isinstance(exc, SlackApiError) and exc.response is not None:
        return f"Slack error: {exc.response.get('error')} (HTTP {exc.response.status_code})"
    return f"{type(exc).__name__}: {str(exc)[:200]}"
