"""Button clicks: Show password, Download, More (and the Watch link button).

Every click is acknowledged at once; the answer follows through the click's response_url,
visible only to the person who clicked (`More` replaces the list it belongs to). The work runs
on this module's own thread pool, as for `/recordings`: a click waiting for the Tencent API
budget must not hold one of Bolt's few listener threads, or later requests go unacknowledged.
Neither a password nor a download address is ever logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.models import INTERACTIVE, RecordFile, RecordMeeting
from bot.slack.blocks import (
    ACTION_DOWNLOAD,
    ACTION_MORE,
    ACTION_SHOW_PASSWORD,
    ACTION_WATCH,
    COMMAND,
    parse_action_value,
    subject_text,
)
from bot.slack.listeners.commands import (
    parse_more_value,
    password_policy,
    redacted_trace,
    refusal,
    render_query_page,
    waiting_text,
)
from bot.slack.mrkdwn import escape
from bot.slack.query import tencent_error_message
from bot.slack.users import UserDirectory
from bot.tencent.errors import BudgetExhaustedError, TencentError
from bot.wiring import Services

log = logging.getLogger(__name__)

UNKNOWN_RECORDING = (
    "This recording is no longer known to the bot (it may have been deleted in Tencent Meeting, "
    f"or the bot's records were reset). Try `{COMMAND} search WORDS` to find it again."
)
MALFORMED = "I could not read this button. Run the command again for a fresh answer."
LINK_LIFETIME_NOTE = (
    "This link is short-lived (it expires within hours): click *Download* again for a fresh one."
)


@dataclass(frozen=True)
class Click:
    """What the handlers need from a block_actions payload."""

    user_id: str
    channel_id: str | None
    value: str

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> Click:
        action = (body.get("actions") or [{}])[0]
        return cls(
            user_id=(body.get("user") or {}).get("id", ""),
            channel_id=(body.get("channel") or {}).get("id"),
            value=str(action.get("value") or ""),
        )


Answer = Callable[[str], None]


def _ephemeral(respond: Respond | None, client: WebClient, click: Click) -> Answer:
    """Answer only the clicker: through the response_url, else chat.postEphemeral."""

    def answer(text: str) -> None:
        if respond is not None:
            respond(text=text, response_type="ephemeral", replace_original=False)
        elif click.channel_id:
            client.chat_postEphemeral(channel=click.channel_id, user=click.user_id, text=text)
        else:
            log.warning("no way to answer %s's click: no response_url, no channel", click.user_id)

    return answer


def _find(services: Services, value: str) -> tuple[RecordMeeting, RecordFile] | str:
    """The recording and file a button names, or the message to answer instead."""
    try:
        meeting_record_id, record_file_id = parse_action_value(value)
    except ValueError:
        return MALFORMED
    meeting = services.store.recordings.get(meeting_record_id)
    if meeting is None:
        return UNKNOWN_RECORDING
    file = next((f for f in meeting.record_files if f.record_file_id == record_file_id), None)
    if file is None:
        return UNKNOWN_RECORDING
    return meeting, file


# -- the handlers (plain functions, called after ack) -------------------------------------------
def show_password(services: Services, click: Click, answer: Answer) -> None:
    """Tell the clicker the file's password, and record that they asked."""
    found = _find(services, click.value)
    if isinstance(found, str):
        answer(found)
        return
    meeting, file = found
    if not file.password:
        answer(f"*{subject_text(meeting)}* has no password: its link opens without one.")
        return
    if password_policy(services)(meeting):
        answer(
            f"The admins chose not to hand out the password of *{subject_text(meeting)}* in Slack. "
            "Ask its host."
        )
        return
    services.store.users.audit_password(
        click.user_id, meeting.meeting_record_id, file.record_file_id, click.channel_id
    )
    log.info(
        "password of %s shown to %s (channel %s)",
        meeting.meeting_record_id,
        click.user_id,
        click.channel_id,
    )
    answer(
        f"Password for *{subject_text(meeting)}*: `{escape(file.password)}`\n"
        "Only you can see this. Your request was recorded."
    )


def download(services: Services, click: Click, answer: Answer) -> None:
    """Fetch a fresh download address from Tencent Meeting and hand it to the clicker."""
    found = _find(services, click.value)
    if isinstance(found, str):
        answer(found)
        return
    meeting, file = found
    subject = subject_text(meeting)
    if not file.shared:
        answer(f"Sharing is off for *{subject}*, so it cannot be downloaded. Ask the host.")
        return
    if file.allow_download is False:
        answer(f"The host does not allow downloading *{subject}*.")
        return
    try:
        addresses = services.tencent.get_addresses(file.record_file_id, priority=INTERACTIVE)
    except BudgetExhaustedError as exc:
        answer(
            "Tencent Meeting's call limit is used up for the moment: try again in "
            f"{max(1, round(exc.retry_after))} s."
        )
        return
    except TencentError as exc:
        log.warning("download address for %s failed: %s", file.record_file_id, type(exc).__name__)
        answer(f"No download link this time. {escape(tencent_error_message(exc))}")
        return
    url = addresses.download_address
    if not url or not url.lower().startswith(("https://", "http://")):
        answer(f"Tencent Meeting offers no download for *{subject}*.")
        return
    log.info("download address of %s given to %s", file.record_file_id, click.user_id)
    answer(f"<{escape(url).replace('|', '%7C')}|Download *{subject}*>\n{LINK_LIFETIME_NOTE}")


def more(
    services: Services, click: Click, answer: Answer, respond: Respond | None, client: WebClient
) -> None:
    """Replace a /recordings answer with its next page."""
    try:
        text, page = parse_more_value(click.value)
    except ValueError:
        answer(MALFORMED)
        return
    if respond is None:  # a More button lives in a /recordings answer, which has a response_url
        answer(MALFORMED)
        return

    def on_wait(seconds: float) -> None:
        message = waiting_text(seconds, services.settings.tencent_rate_limit)
        respond(text=message, response_type="ephemeral", replace_original=True)

    answer_text, blocks = render_query_page(
        services, click.user_id, text, page, client=client, on_wait=on_wait
    )
    respond(text=answer_text, blocks=blocks, response_type="ephemeral", replace_original=True)


# -- registration ---------------------------------------------------------------------------------
Handler = Callable[[Services, Click, Answer, Respond | None, WebClient], None]
WORKERS = 16  # clicks answered at once; more wait their turn (each already acknowledged)


def _listener(
    services: Services, name: str, handler: Handler, workers: Executor
) -> Callable[..., None]:
    def listener(
        ack: Ack, body: dict[str, Any], respond: Respond | None, client: WebClient
    ) -> None:
        ack()  # first: Slack wants an answer within 3 seconds
        workers.submit(work, body, respond, client)

    def work(body: dict[str, Any], respond: Respond | None, client: WebClient) -> None:
        click = Click.from_body(body)
        answer = _ephemeral(respond, client, click)
        try:
            refused = refusal(UserDirectory.for_services(services, client).get(click.user_id))
            if refused:
                answer(refused)
                return
            handler(services, click, answer, respond, client)
        except Exception as exc:
            trace = redacted_trace(exc)
            log.error("button %s failed for %s:\n%s", name, click.user_id, trace)
            try:
                answer("Something went wrong on my side, sorry; please try again in a minute.")
            except Exception as again:  # nothing above this thread would log it
                log.warning("could not answer %s's click: %s", click.user_id, type(again).__name__)

    listener.__name__ = f"on_{name}"
    return listener


# slack_sdk logs whole request bodies at DEBUG, and a body here carries a password or a download
# address: those loggers stay at INFO whatever the verbosity.
_SDK_BODY_LOGGERS = ("slack_sdk.webhook.client", "slack_sdk.web.base_client")


def _quiet_sdk_body_logs() -> None:
    for name in _SDK_BODY_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level < logging.INFO:
            logger.setLevel(logging.INFO)


def register(app: App, services: Services) -> None:
    """Register the button listeners."""
    _quiet_sdk_body_logs()
    workers = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="recordings-click")
    services.executors.append(workers)  # drained when the bot stops
    app.action(ACTION_SHOW_PASSWORD)(
        _listener(
            services, "show_password", lambda s, c, a, _r, _k: show_password(s, c, a), workers
        )
    )
    app.action(ACTION_DOWNLOAD)(
        _listener(services, "download", lambda s, c, a, _r, _k: download(s, c, a), workers)
    )
    app.action(ACTION_MORE)(_listener(services, "more", more, workers))

    @app.action(ACTION_WATCH)
    def on_watch(ack: Ack) -> None:
        ack()  # a link button: Slack opens the link; the click only needs acknowledging
