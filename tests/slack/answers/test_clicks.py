"""bot.slack.answers.clicks: what a button click answers, over the real stack: signed
block_actions into the Bolt app, answers captured at the Slack stand-in's response_url,
addresses fetched from the Tencent emulator."""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.slack.answers.clicks import UNKNOWN_RECORDING
from bot.slack.answers.more_button import more_value, parse_more_value
from bot.slack.blocks import ACTION_DOWNLOAD, ACTION_MORE, ACTION_SHOW_PASSWORD
from bot.slack.texts import GUEST_REFUSAL
from bot.sync import sync_range

ADMIN, MEMBER, GUEST = "UADMIN001", "UMEMBER01", "UGUEST001"  # as in conftest.py
CHANNEL = "CGENERAL1"
PASSWORD = "Pw-7xQ2-secret"


def add_recording(env, *, password: str = PASSWORD, **kwargs) -> tuple[str, str]:
    """A finished recording in the emulator, synced into the store: (meeting id, file id)."""
    now = time.time()
    mid = env.tencent.dataset.add_meeting(
        start=now - 3 * 3600, subject="Design review <!channel>", password=password, **kwargs
    )
    sync_range(env.services.store, env.services.tencent, int(now - 86400), int(now), notify=False)
    meeting = env.services.store.recordings.get(mid)
    assert meeting is not None and meeting.record_files
    return mid, meeting.record_files[0].record_file_id


def click(env, action_id: str, value: str, user: str = MEMBER) -> str:
    """Click a button in a channel message as USER; returns the click's response_url."""
    return env.click(action_id, value, user)


def one_answer(env, response_url: str) -> dict:
    payloads = env.wait_answer(response_url)
    assert len(payloads) == 1
    return payloads[0]


def test_show_password_answers_only_the_clicker_and_audits(slack_env, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    mid, fid = add_recording(slack_env)

    answer = one_answer(slack_env, click(slack_env, ACTION_SHOW_PASSWORD, f"{mid}:{fid}"))

    assert PASSWORD in answer["text"]
    assert answer["response_type"] == "ephemeral"
    assert answer["replace_original"] is False
    assert "<!channel>" not in answer["text"]  # the subject is escaped
    audit = slack_env.services.store.users.password_audit(mid)
    assert [(a["slack_user_id"], a["record_file_id"], a["channel"]) for a in audit] == [
        (MEMBER, fid, CHANNEL)
    ]
    assert PASSWORD not in caplog.text
    assert mid in caplog.text  # the click was logged, without the password
    assert slack_env.slack.messages(CHANNEL) == []  # nothing posted for everyone to see


def test_download_fetches_a_fresh_address_once(slack_env, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    mid, fid = add_recording(slack_env)
    slack_env.tencent.reset_calls()

    answer = one_answer(slack_env, click(slack_env, ACTION_DOWNLOAD, f"{mid}:{fid}"))

    assert slack_env.tencent.call_count("/v1/addresses") == 1  # the batch list: no STS needed
    assert slack_env.tencent.call_count("/v1/addresses/") == 0
    assert slack_env.tencent.call_count() == 1
    text = answer["text"]
    assert answer["response_type"] == "ephemeral"
    assert f"/media/{fid}.mp4?token=" in text  # the emulator's fresh download address
    assert "expires" in text.lower()
    address = text.split("<", 1)[1].split("|", 1)[0].replace("&amp;", "&")
    assert address not in caplog.text and "token=" not in caplog.text
    # The address works: the emulator serves the file behind it.
    import requests

    assert requests.get(address, timeout=5).status_code == 200


def test_download_works_for_an_app_under_the_sts_rule_with_no_token(slack_env) -> None:
    # Tencent apps created since 2026-01-16 need an STS-Token on GET /v1/addresses/{id}; the
    # button uses the batch list, which needs none, so it works before any token arrives.
    slack_env.tencent.require_sts()
    mid, fid = add_recording(slack_env)
    answer = one_answer(slack_env, click(slack_env, ACTION_DOWNLOAD, f"{mid}:{fid}"))
    assert f"/media/{fid}.mp4?token=" in answer["text"]


def test_download_refused_when_not_allowed_or_not_shared(slack_env) -> None:
    mid, fid = add_recording(slack_env, allow_download=False)
    mid2, fid2 = add_recording(slack_env, sharing=False)
    slack_env.tencent.reset_calls()

    no_download = one_answer(slack_env, click(slack_env, ACTION_DOWNLOAD, f"{mid}:{fid}"))
    not_shared = one_answer(slack_env, click(slack_env, ACTION_DOWNLOAD, f"{mid2}:{fid2}"))

    assert "does not allow downloading" in no_download["text"]
    assert "Sharing is off" in not_shared["text"]
    assert slack_env.tencent.call_count("/v1/addresses/") == 0


def test_download_tencent_error_is_explained(slack_env) -> None:
    mid, fid = add_recording(slack_env)
    slack_env.tencent.faults.add(
        "error", path_prefix="/v1/addresses", code=9042, status=403, message="no permission"
    )

    answer = one_answer(slack_env, click(slack_env, ACTION_DOWNLOAD, f"{mid}:{fid}"))

    assert "No download link" in answer["text"]
    assert "9042" in answer["text"]
    assert "token=" not in answer["text"]


@pytest.mark.parametrize("action_id", [ACTION_SHOW_PASSWORD, ACTION_DOWNLOAD])
def test_unknown_recording_gets_a_clear_answer(slack_env, action_id) -> None:
    answer = one_answer(slack_env, click(slack_env, action_id, "9999999999:no-such-file"))

    assert answer["text"] == UNKNOWN_RECORDING.format(command="/recordings")
    assert slack_env.services.store.users.password_audit() == []
    assert slack_env.tencent.call_count("/v1/addresses/") == 0


def test_guest_click_is_refused_politely(slack_env) -> None:
    mid, fid = add_recording(slack_env)

    answer = one_answer(slack_env, click(slack_env, ACTION_SHOW_PASSWORD, f"{mid}:{fid}", GUEST))

    assert answer["text"] == GUEST_REFUSAL
    assert PASSWORD not in json.dumps(answer)
    assert slack_env.services.store.users.password_audit() == []


def test_more_replaces_the_list_with_the_next_page(slack_env) -> None:
    now = time.time()
    for i in range(12):
        slack_env.tencent.dataset.add_meeting(
            start=now - 4 * 3600 - i * 60, subject=f"Paging test {i:02d}", userid="pager"
        )
    sync_range(
        slack_env.services.store,
        slack_env.services.tencent,
        int(now - 86400),
        int(now),
        notify=False,
    )
    value = more_value("host pager", 1)
    assert value is not None and parse_more_value(value) == ("host pager", 1)

    answer = one_answer(slack_env, click(slack_env, ACTION_MORE, value))

    assert answer["replace_original"] is True
    shown = json.dumps(answer["blocks"], ensure_ascii=False)
    assert "Paging test 10" in shown and "Paging test 11" in shown  # the 11th and 12th
    assert "Paging test 00" not in shown  # page 0 is not repeated


def test_malformed_more_value_is_answered(slack_env) -> None:
    answer = one_answer(slack_env, click(slack_env, ACTION_MORE, "not json"))

    assert "could not read this button" in answer["text"]
    assert answer.get("replace_original") is False


def test_a_password_every_route_hides_is_not_handed_out_anywhere(slack_env) -> None:
    from bot.admin import add_route

    add_route(slack_env.services.store, None, CHANNEL, ["password:hide"])
    mid, fid = add_recording(slack_env)
    answer = one_answer(slack_env, click(slack_env, ACTION_SHOW_PASSWORD, f"{mid}:{fid}"))
    assert PASSWORD not in answer["text"] and "not to hand out" in answer["text"]
    assert slack_env.services.store.users.password_audit(mid) == []

    # Nor does /recordings offer the button for it (asked for the recording's own day, which
    # is not always the asker's today: it started three hours ago).
    meeting = slack_env.services.store.recordings.get(mid)
    day = datetime.fromtimestamp(meeting.start_seconds, ZoneInfo("Asia/Shanghai")).date()
    response, url = slack_env.slash(day.isoformat())
    listed = json.dumps(slack_env.wait_answer(url)[-1], ensure_ascii=False)
    assert mid in listed or "Design review" in listed
    assert ACTION_SHOW_PASSWORD not in listed


def interactive_calls(env) -> int:
    return env.services.store.conn.execute(
        "SELECT COUNT(*) FROM api_calls WHERE priority = 'interactive'"
    ).fetchone()[0]


def test_without_password_key_nothing_is_stored_and_the_click_fetches_it_fresh(
    slack_env, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    assert not slack_env.settings.password_key.get_secret_value()
    mid, fid = add_recording(slack_env)
    file = slack_env.services.store.recordings.get(mid).record_files[0]
    assert file.password is None and file.has_password  # known to have one, not kept
    before = interactive_calls(slack_env)

    answer = one_answer(slack_env, click(slack_env, ACTION_SHOW_PASSWORD, f"{mid}:{fid}"))

    assert PASSWORD in answer["text"] and answer["response_type"] == "ephemeral"
    assert interactive_calls(slack_env) == before + 1  # one corp/records call, a person's
    assert slack_env.services.store.recordings.get(mid).record_files[0].password is None
    assert len(slack_env.services.store.users.password_audit(mid)) == 1
    assert PASSWORD not in caplog.text


def test_a_password_show_route_without_key_posts_a_button_instead(slack_env) -> None:
    from bot.delivery.messages import RecordingMessages
    from bot.models import RouteSpec

    route = slack_env.services.store.routes.add(CHANNEL, RouteSpec(password_policy="show"))
    mid, fid = add_recording(slack_env)
    meeting = slack_env.services.store.recordings.get(mid)
    message = RecordingMessages(slack_env.services.store.routes, "Asia/Shanghai").render(
        meeting, route.id
    )
    shown = json.dumps(message.blocks)
    assert PASSWORD not in shown and "Password:" not in shown
    assert ACTION_SHOW_PASSWORD in shown  # the person who clicks gets it, fetched fresh
