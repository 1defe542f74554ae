"""Editing posted messages in place (chat.update) when their recording's files changed.

A recording can gain (or lose) record files after its message was posted; the ledger flags its
sent deliveries, and each flagged message is re-rendered and edited. A failed edit is retried
on the next run, except when the message is gone (deleted, archived, too old to edit): that one
is given up on, so it is not retried forever.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.delivery.history import shown_in_slack
from bot.delivery.messages import RecordingMessages
from bot.delivery.report import DeliveryReport
from bot.delivery.slack_errors import describe, message_gone
from bot.delivery.watch import watch_content
from bot.i18n import use_language
from bot.slack.blocks import files_signature
from bot.slack.minutes import parent_summary_note, with_summary_note
from bot.stopping import ShuttingDown

if TYPE_CHECKING:
    from bot.store import Store
    from bot.store.deliveries import Delivery

log = logging.getLogger(__name__)


def _key(delivery: Delivery) -> tuple[str, str]:
    return delivery.meeting_record_id, delivery.channel


class MessageEditor:
    def __init__(self, store: Store, client: WebClient, messages: RecordingMessages):
        self.store = store
        self.client = client
        self.messages = messages

    def _already_shown(self, delivery: Delivery, shown: str) -> bool:
        """Whether the message in Slack already shows this (an edit sent before a crash)."""
        try:
            return shown_in_slack(self.client, delivery.channel, str(delivery.ts)) == shown
        except Exception as exc:  # cannot tell: edit again (the same content, at worst)
            log.warning("could not read back %s in %s: %s", *_key(delivery), describe(exc))
            return False

    def apply_updates(self, report: DeliveryReport, only: str | None = None) -> None:
        """Edit the messages flagged for update (of one recording, with `only`)."""
        for delivery in self.store.deliveries.needing_update():
            if only is not None and delivery.meeting_record_id != only:
                continue
            meeting = self.store.recordings.get(delivery.meeting_record_id)
            if meeting is None or not delivery.ts:
                continue
            message = self.messages.render(meeting, delivery.route_id)
            blocks = message.blocks
            noted = self.store.threads.noted(delivery.meeting_record_id, delivery.channel)
            if noted and not meeting.deleted:
                with use_language(self.messages.language(delivery.route_id)):
                    note = parent_summary_note()
                blocks = with_summary_note(blocks, note)  # keep the note
            shown = message.metadata["event_payload"]["shown"]
            if delivery.edit_started and self._already_shown(delivery, shown):
                log.info("edit of %s in %s was done before a restart", *_key(delivery))
                self.store.deliveries.update_signature(
                    delivery.meeting_record_id, delivery.channel, files_signature(meeting)
                )
                continue
            self.store.deliveries.edit_starting(delivery.meeting_record_id, delivery.channel)
            try:
                self.client.chat_update(
                    channel=delivery.channel,
                    ts=delivery.ts,
                    text=message.text,
                    blocks=blocks,
                    metadata=message.metadata,
                )
            except ShuttingDown:  # woken from the client's rate-limit wait: the flag stays
                raise
            except Exception as exc:
                report.error = describe(exc)
                log.warning(
                    "could not update message of %s: %s", delivery.meeting_record_id, report.error
                )
                if not message_gone(exc):
                    if isinstance(exc, SlackApiError):  # Slack answered: nothing was edited
                        self.store.deliveries.edit_refused(*_key(delivery))
                    continue  # retried on the next run; a deleted message is given up on
            else:
                report.updated += 1
                watch_content(self.store, meeting, delivery.route_id)  # a file added since
            self.store.deliveries.update_signature(
                delivery.meeting_record_id, delivery.channel, files_signature(meeting)
            )
