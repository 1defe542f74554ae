"""Watching the stand-ins as Slack users would: new and edited channel messages, answers at
response URLs, recordings finishing at the emulator, poll cycles that did something; and typing
`/recordings` commands as signed requests to the bot's Bolt endpoint."""

from __future__ import annotations

import queue
import time
from typing import Any

from bot.demo import world
from bot.demo.console import Console, cycle_line, message_lines
from bot.demo.render import render_blocks
from bot.emulator.slack import SlackStandIn
from bot.emulator.slack.signed_requests import action_body, post_signed, slash_body
from bot.emulator.tencent import TencentEmulator
from bot.poller import CycleReport
from bot.slack.forms import ACTION_ADD_ROUTE

# The interim answer while the API budget refills, in either language.
WAITING = ("Fetching from Tencent Meeting", "正在从腾讯会议获取")
ANSWER_TIMEOUT = 20.0


class Watcher:
    def __init__(
        self,
        console: Console,
        emulator: TencentEmulator,
        slack: SlackStandIn,
        *,
        tz_name: str,
    ):
        self.console = console
        self.emulator = emulator
        self.slack = slack
        self.tz_name = tz_name
        self.reports: queue.SimpleQueue[CycleReport] = queue.SimpleQueue()
        self.seen: dict[tuple[str, str], int] = {}  # (channel, ts) -> edits shown
        self.responses_shown = 0
        self.askers: dict[str, str] = {}  # response_url -> who asked
        self.answered = 0
        # Completions as the emulator reports them, whichever tick saw them first (this
        # watcher's, or the one of the request that found the recording done).
        self.completed: queue.SimpleQueue[str] = queue.SimpleQueue()
        emulator.on_completed.append(
            lambda meeting, _now: self.completed.put(meeting.meeting_record_id)
        )

    def pump(self) -> None:
        """Show what happened since the last look.

        Reports are taken before the messages, and messages before the completions, so a post
        is never shown before its recording's completion or after its cycle's report."""
        reports = []
        while not self.reports.empty():
            reports.append(self.reports.get())
        messages = self.slack.messages()
        responses = list(self.slack.responses)
        self.emulator.tick()  # what finished by now, if no request has seen it yet
        finished = []
        while not self.completed.empty():
            finished.append(self.completed.get())
        for mid in finished:
            if mid not in self.emulator.dataset:
                continue
            m = self.emulator.dataset.get(mid)
            self.console.event(
                f"Tencent Meeting: “{m.subject}” ({m.userid}) finished transcoding: ready"
            )
        for message in messages:
            self._message(message)
        for response in responses[self.responses_shown :]:
            self.responses_shown += 1
            payload = response["payload"]
            who = self.askers.get(response["url"], "a /recordings command")
            body = render_blocks(
                payload.get("blocks"),
                tz_name=self.tz_name,
                names=world.NAMES,
                fallback=payload.get("text", ""),
            )
            self.console.event(f"answer to {who} (only the asker sees it)", body)
        for report in reports:
            line = cycle_line(report)
            if line:
                self.console.event(line)

    def _newest_posted(self, channel: str) -> str | None:
        """The recording of the newest post in `channel` already shown (so its completion was
        told first) that the emulator still has."""
        for message in reversed(self.slack.messages(channel)):
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            mid = payload.get("meeting_record_id")
            shown = (message["channel"], message["ts"]) in self.seen
            if mid and shown and not message.get("thread_ts") and mid in self.emulator.dataset:
                return str(mid)
        return None

    def delete_newest_posted(self, channel: str) -> str | None:
        """Delete, at the emulator, the recording of the newest post in `channel` (as its host
        would in Tencent Meeting), and say so; its id, or None when nothing was posted."""
        mid = self._newest_posted(channel)
        if mid is not None:
            subject = self.emulator.dataset.get(mid).subject
            self.emulator.dataset.remove(mid)
            self.console.event(f"Tencent Meeting: “{subject}” was deleted by its host")
        return mid

    def rename_newest_posted(self, channel: str, suffix: str) -> str | None:
        """Rename, at the emulator, the recording of the newest post in `channel` (its subject
        gains `suffix`), and say so; its id, or None when nothing was posted."""
        mid = self._newest_posted(channel)
        if mid is not None:
            old = self.emulator.dataset.get(mid).subject
            self.emulator.dataset.update(mid, subject=f"{old}{suffix}")
            self.console.event(f"Tencent Meeting: “{old}” was renamed “{old}{suffix}”")
        return mid

    def _message(self, message: dict[str, Any]) -> None:
        key = (message["channel"], message["ts"])
        edits = int(message.get("updated") or 0)
        if self.seen.get(key, -1) >= edits:
            return
        edited = key in self.seen
        self.seen[key] = edits
        head, body = message_lines(message, tz_name=self.tz_name, names=world.NAMES, edited=edited)
        self.console.event(head, body)

    def add_route_with_form(
        self, events_url: str, admin: str, channel: str, fields: dict[str, dict[str, Any]]
    ) -> bool:
        """Click App Home's Add route as `admin`, then fill and submit the form the bot opens
        (signed requests, as Slack sends them). True when the bot took it."""
        name = world.NAMES.get(admin, admin)
        user = {"id": admin, "username": name, "team_id": "T0DEMO0001"}
        base = {"user": user, "api_app_id": "A0DEMO0001", "team": {"id": "T0DEMO0001"}}
        click = base | {
            "type": "block_actions",
            "container": {"type": "view", "view_id": f"V{admin}"},
            "trigger_id": f"demo-{time.time():.6f}",
            "actions": [{"action_id": ACTION_ADD_ROUTE, "type": "button", "value": "add"}],
        }
        self.console.event(f"@{name} clicks Add route in the app's Home tab")
        opened = len(self.slack.modals)
        if not _signed_action(events_url, click):
            return False
        deadline = time.monotonic() + ANSWER_TIMEOUT
        while len(self.slack.modals) == opened and time.monotonic() < deadline:
            time.sleep(0.05)
        if len(self.slack.modals) == opened:
            self.console.event("the bot opened no form")
            return False
        form = self.slack.modals[-1]
        values = {"channel": {"selected_conversation": channel}} | fields
        chosen = [f"#{world.NAMES.get(channel, channel)}", *(_shown(v) for v in fields.values())]
        title = form["title"]["text"]
        self.console.event(f"@{name} fills in “{title}” and saves: {', '.join(chosen)}")
        state = {block: {"value": element} for block, element in values.items()}
        submission = base | {"type": "view_submission", "view": form | {"state": {"values": state}}}
        took = _signed_action(events_url, submission)
        if not took:
            self.console.event("the form was refused")
        return took

    def slash(self, events_url: str, text: str, user: str) -> bool:
        """Type `/recordings TEXT` as `user`: a signed request to the Bolt endpoint; wait for the
        answer at its response_url (showing everything else meanwhile). True once answered."""
        name = world.NAMES.get(user, user)
        url = self.slack.new_response_url()
        self.askers[url] = f"@{name}"
        self.console.event(f"@{name} types: /recordings {text}")
        body = slash_body(
            text, user_id=user, user_name=name, response_url=url, channel_id=world.RECORDINGS
        )
        answer = post_signed(events_url, world.SIGNING_SECRET, body)
        if not answer.ok:
            self.console.event(f"the bot refused the request: HTTP {answer.status_code}")
            return False
        deadline = time.monotonic() + ANSWER_TIMEOUT
        while time.monotonic() < deadline:
            self.pump()
            shown = self.slack.responses[: self.responses_shown]
            if any(r["url"] == url and not _waiting(r["payload"]) for r in shown):
                self.answered += 1
                return True
            time.sleep(0.05)
        self.console.event(f"no answer to @{name} within {ANSWER_TIMEOUT:.0f} s")
        return False


def _shown(element: dict[str, Any]) -> str:
    """What a form field holds: typed text, or the value of the option chosen."""
    return str(element.get("value") or (element.get("selected_option") or {}).get("value"))


def _signed_action(events_url: str, payload: dict[str, Any]) -> bool:
    answer = post_signed(events_url, world.SIGNING_SECRET, action_body(payload))
    return answer.ok and not answer.text  # a form's errors come back in the answer


def _waiting(payload: dict[str, Any]) -> bool:
    return str(payload.get("text", "")).startswith(WAITING)  # str.startswith takes a tuple
