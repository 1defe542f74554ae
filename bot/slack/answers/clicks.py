"""Button clicks: what Show password, Download and More mean, answered after the ack.

The answer goes through the click's response_url, visible only to the person who clicked
(`More` replaces the list it belongs to); without a response_url, chat.postEphemeral. Guests
and people Slack cannot identify are refused, as with the command. Neither a password nor a
download address is ever logged. A password the store did not keep (no PASSWORD_KEY) is fetched
fresh from Tencent Meeting for the person who clicked.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Respond

from bot.i18n import N_, _, use_language
from bot.models import INTERACTIVE, RecordFile, RecordMeeting
from bot.slack.answers.deps import Deps
from bot.slack.answers.failures import redacted_trace
from bot.slack.answers.more_button import parse_more_value
from bot.slack.answers.query import tencent_error_message
from bot.slack.answers.slash import (
    known_language,
    password_policy,
    refusal,
    send_started,
    speaking_to,
    start_command,
)
from bot.slack.blocks import COMMAND, parse_action_value, subject_text
from bot.slack.mrkdwn import escape
from bot.slack.texts import BUSY
from bot.tencent.client import PageLimit
from bot.tencent.errors import BudgetExhaustedError, TencentError

log = logging.getLogger(__name__)

UNKNOWN_RECORDING = N_(
    "This recording is no longer known to the bot (it may have been deleted in Tencent Meeting, "
    "or the bot's records were reset). Try `{command} search WORDS` to find it again."
)
MALFORMED = N_("I could not read this button. Run the command again for a fresh answer.")
LINK_LIFETIME_NOTE = N_(
    "This link is short-lived (it expires within hours): click *Download* again for a fresh one."
)
FRESH_PASSWORD_WAIT = 10.0  # seconds a click waits for an API slot
FRESH_PASSWORD_PAGES = 3  # meetings starting in the same second: a page holds 20
CLICK_SORRY = N_("Something went wrong on my side, sorry; please try again in a minute.")


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


def _ephemeral(deps: Deps, respond: Respond | None, click: Click) -> Answer:
    """Answer only the clicker: through the response_url, else chat.postEphemeral."""

    def answer(text: str) -> None:
        if respond is not None:
            respond(text=text, response_type="ephemeral", replace_original=False)
        elif click.channel_id and deps.slack is not None:
            deps.slack.chat_postEphemeral(channel=click.channel_id, user=click.user_id, text=text)
        else:
            log.warning("no way to answer %s's click: no response_url, no channel", click.user_id)

    return answer


def _find(deps: Deps, value: str) -> tuple[RecordMeeting, RecordFile] | str:
    """The recording and file a button names, or the message to answer instead."""
    try:
        meeting_record_id, record_file_id = parse_action_value(value)
    except ValueError:
        return _(MALFORMED)
    meeting = deps.store.recordings.get(meeting_record_id)
    if meeting is None:
        return _(UNKNOWN_RECORDING).format(command=COMMAND)
    file = next((f for f in meeting.record_files if f.record_file_id == record_file_id), None)
    if file is None:
        return _(UNKNOWN_RECORDING).format(command=COMMAND)
    return meeting, file


# -- what each button means -----------------------------------------------------------------------
DOWNLOAD_MAX_WAIT = 10.0  # seconds a click waits for the API budget
FAILED: Any = object()  # what ask_tencent returns once it has told the person why


def ask_tencent(answer: Answer, call: Callable[[], Any], *, failed: str, apology: str) -> Any:
    """`call()`'s result for a click, or FAILED once the person is told why there is none
    (the budget is spent: when to try again; Tencent refused: its reason)."""
    try:
        return call()
    except BudgetExhaustedError as exc:
        answer(
            _(
                "Tencent Meeting's call limit is used up for the moment: try again in {seconds} s."
            ).format(seconds=max(1, round(exc.retry_after)))
        )
    except TencentError as exc:
        log.warning("%s failed: %s", failed, type(exc).__name__)
        answer(f"{apology} {escape(tencent_error_message(exc))}")
    return FAILED


def no_password(meeting: RecordMeeting) -> str:
    return _("{subject} has no password: its link opens without one.").format(
        subject=f"*{subject_text(meeting)}*"
    )


def show_password(deps: Deps, click: Click, answer: Answer, respond: Respond | None) -> None:
    """Tell the clicker the file's password, and record that they asked."""
    found = _find(deps, click.value)
    if isinstance(found, str):
        answer(found)
        return
    meeting, file = found
    if not file.has_password:
        answer(no_password(meeting))
        return
    if password_policy(deps)(meeting):
        answer(
            _(
                "The admins chose not to hand out the password of {subject} in Slack. Ask its host."
            ).format(subject=f"*{subject_text(meeting)}*")
        )
        return
    password = file.password
    if not password:  # not kept (no PASSWORD_KEY, or unreadable): ask Tencent Meeting afresh
        fetched = ask_tencent(
            answer,
            lambda: fresh_password(deps, meeting, file.record_file_id),
            failed=f"password of {file.record_file_id}",
            apology=_("No password this time."),
        )
        if fetched is FAILED:
            return
        password = fetched
        if password is None:
            answer(_(UNKNOWN_RECORDING).format(command=COMMAND))
            return
        if not password:
            answer(no_password(meeting))
            return
        deps.store.recordings.keep_password(file.record_file_id, password)  # only with a key
    deps.store.users.audit_password(
        click.user_id, meeting.meeting_record_id, file.record_file_id, click.channel_id
    )
    log.info(
        "password of %s shown to %s (channel %s)",
        meeting.meeting_record_id,
        click.user_id,
        click.channel_id,
    )
    answer(
        _("Password for {subject}: {password}").format(
            subject=f"*{subject_text(meeting)}*", password=f"`{escape(password)}`"
        )
        + "\n"
        + _("Only you can see this. Your request was recorded.")
    )


def fresh_password(deps: Deps, meeting: RecordMeeting, record_file_id: str) -> str | None:
    """A file's password as Tencent Meeting tells it now ("" when it has none; None when the
    recording or file is gone), at a person's priority: one corp/records call, usually."""
    start = meeting.start_seconds
    for fresh in deps.tencent.list_corp_records(
        start,
        start + 1,
        priority=INTERACTIVE,
        max_wait=FRESH_PASSWORD_WAIT,
        page_limit=PageLimit(FRESH_PASSWORD_PAGES),
    ):
        if fresh.meeting_record_id != meeting.meeting_record_id:
            continue
        for f in fresh.record_files:
            if f.record_file_id == record_file_id:
                return f.password or ""
        return None
    return None


def download(deps: Deps, click: Click, answer: Answer, respond: Respond | None) -> None:
    """Fetch a fresh download address from Tencent Meeting and hand it to the clicker."""
    found = _find(deps, click.value)
    if isinstance(found, str):
        answer(found)
        return
    meeting, file = found
    subject = subject_text(meeting)
    if not file.shared:
        answer(
            _("Sharing is off for {subject}, so it cannot be downloaded. Ask the host.").format(
                subject=f"*{subject}*"
            )
        )
        return
    if file.allow_download is False:
        answer(_("The host does not allow downloading {subject}.").format(subject=f"*{subject}*"))
        return
    # The batch address list needs no STS-Token (GET /v1/addresses/{id} does, for Tencent
    # apps created since 2026-01-16), and holds every file of the recording.
    found = ask_tencent(
        answer,
        lambda: deps.tencent.get_record_addresses(
            meeting.meeting_record_id, priority=INTERACTIVE, max_wait=DOWNLOAD_MAX_WAIT
        ),
        failed=f"download address for {file.record_file_id}",
        apology=_("No download link this time."),
    )
    if found is FAILED:
        return
    mine = next((f for f in found.files if f.record_file_id == file.record_file_id), None)
    url = mine.download_address if mine is not None else None
    if not url or not url.lower().startswith(("https://", "http://")):
        answer(
            _("Tencent Meeting offers no download for {subject}.").format(subject=f"*{subject}*")
        )
        return
    log.info("download address of %s given to %s", file.record_file_id, click.user_id)
    label = _("Download {subject}").format(subject=f"*{subject}*")
    answer(f"<{escape(url).replace('|', '%7C')}|{label}>\n" + _(LINK_LIFETIME_NOTE))


def more(deps: Deps, click: Click, answer: Answer, respond: Respond | None) -> None:
    """Replace a /recordings answer with its next page."""
    try:
        text, page = parse_more_value(click.value)
    except ValueError:
        answer(_(MALFORMED))
        return
    if respond is None:  # a More button lives in a /recordings answer, which has a response_url
        answer(_(MALFORMED))
        return

    # Like the command: from the store at once, a fetch on the API lane (one per person).
    started = start_command(deps, click.user_id, text, page=max(0, page), queries_only=True)
    send_started(deps, started, respond, click.user_id, replace=True)


# -- answering one click --------------------------------------------------------------------------
Handler = Callable[[Deps, Click, Answer, Respond | None], None]


def answer_click(
    deps: Deps, name: str, handler: Handler, body: dict[str, Any], respond: Respond | None
) -> None:
    """Answer one click (after it was acknowledged): refuse whom the command refuses, run the
    button's handler, and answer any unexpected failure politely."""
    click = Click.from_body(body)
    answer = _ephemeral(deps, respond, click)
    with speaking_to(deps, click.user_id) as facts:
        try:
            refused = refusal(facts or deps.users.get(click.user_id))
            if refused:
                answer(refused)
                return
            handler(deps, click, answer, respond)
        except Exception as exc:
            log.error("button %s failed for %s:\n%s", name, click.user_id, redacted_trace(exc))
            try:
                answer(_(CLICK_SORRY))
            except Exception as again:  # nothing above this thread would log it
                log.warning("could not answer %s's click: %s", click.user_id, type(again).__name__)


def answer_click_busy(deps: Deps, body: dict[str, Any], respond: Respond | None) -> None:
    """Tell the clicker the bot has too much to do to answer this click now."""
    click = Click.from_body(body)
    try:
        with use_language(known_language(deps, click.user_id)):
            _ephemeral(deps, respond, click)(_(BUSY))
    except Exception as exc:
        log.warning("could not answer %s's click: %s", click.user_id, type(exc).__name__)
