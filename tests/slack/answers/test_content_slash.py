"""`/recordings search` over what was said and `/recordings summary CODE-OR-LINK`: signed slash
commands into the real Bolt app, answers captured at the Slack stand-in's response_url; the
transcripts and minutes saved straight into the store (real SQLite)."""

from __future__ import annotations

import json
import time

from bot.meeting_content import Chapter, Minutes, Transcript, TranscriptParagraph
from bot.models import RecordMeeting
from bot.slack.answers.more_button import parse_more_value
from bot.slack.answers.slash import render_query_page
from bot.store.content import KIND_MINUTES, STATE_OFF
from tests.slack.answers.test_slash import (
    ADMIN,
    MEMBER,
    ask,
    flat,
    meeting,
    mrkdwn_texts,
    synced_store,
)


def _participants_only(m: RecordMeeting) -> RecordMeeting:
    file = m.record_files[0].model_copy(update={"required_participant": True})
    return m.model_copy(update={"record_files": (file,)})


def _said(env, m: RecordMeeting, *lines: tuple[str, int, str]) -> None:
    """Save a transcript of (speaker, start ms, text) paragraphs for the meeting's file."""
    paragraphs = tuple(
        TranscriptParagraph(
            pid=f"p{i}",
            start_ms=ms,
            end_ms=ms + 5000,
            speaker_name=speaker,
            speaker_userid=None,
            text=text,
        )
        for i, (speaker, ms, text) in enumerate(lines)
    )
    file_id = m.record_files[0].record_file_id
    assert env.services.store.content.save_transcript(Transcript(file_id, paragraphs))


def _more(payload_blocks: list[dict]) -> list[dict]:
    return [
        element
        for block in payload_blocks
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == "more_results"
    ]


def test_search_shows_subject_matches_and_what_was_said_with_speaker_and_time(slack_env):
    now = time.time()
    budget = meeting("r-budget", now - 7200, "Budget review")
    sync = meeting("r-sync", now - 3600, "Weekly sync")
    synced_store(slack_env, budget, sync)
    _said(slack_env, sync, ("Lin", 754_000, "We should cut the budget for travel"))
    answer = ask(slack_env, "search budget")[0]
    shown = mrkdwn_texts(answer)
    assert "Budget review" in flat(answer)  # the subject match, as today
    assert "In what was said" in flat(answer)
    assert "Weekly sync" in shown and "Lin" in shown and "`12:34`" in shown
    assert "*budget*" in shown  # the word in bold
    assert "1 hit" in flat(answer)
    assert slack_env.tencent.call_count() == 0  # from the store


def test_a_participant_only_transcript_is_shown_to_its_host_and_admins_only(slack_env):
    secret = _participants_only(meeting("r-secret", time.time() - 600, "Board", userid="alice"))
    synced_store(slack_env, secret)
    _said(slack_env, secret, ("Alice", 1000, "the merger closes friday"))
    assert "closes friday" not in flat(ask(slack_env, "search merger")[0])
    assert "closes friday" in flat(ask(slack_env, "search merger", user=ADMIN)[0])
    slack_env.services.store.users.link(MEMBER, "alice", set_by=ADMIN)  # MEMBER hosts it
    assert "closes friday" in flat(ask(slack_env, "search merger")[0])


def test_an_email_local_part_is_not_enough_to_see_participant_only_content(slack_env):
    # mo@example.com could be anyone's address elsewhere: the host is known by the admin's
    # user link only ("by the existing user link", issue 11).
    secret = _participants_only(meeting("r-mo", time.time() - 600, "1:1", userid="mo"))
    synced_store(slack_env, secret)
    _said(slack_env, secret, ("Mo", 1000, "my promotion plan"))
    assert "promotion* plan" not in flat(ask(slack_env, "search promotion")[0])
    slack_env.services.store.users.link(MEMBER, "mo", set_by="UADMIN001")
    assert "my *promotion* plan" in flat(ask(slack_env, "search promotion")[0])


def test_a_mention_in_a_transcript_is_inert(slack_env):
    m = meeting("r-1", time.time() - 600, "All hands")
    synced_store(slack_env, m)
    _said(slack_env, m, ("Eve", 0, "<!channel> attention <@U123> please read"))
    shown = mrkdwn_texts(ask(slack_env, "search attention")[0])
    assert "*attention*" in shown and "please read" in shown  # the hit is shown
    assert "<!channel>" not in shown and "<@U123>" not in shown


def test_more_pages_over_transcript_hits(slack_env):
    m = meeting("r-long", time.time() - 600, "Long talk")
    synced_store(slack_env, m)
    _said(
        slack_env, m, *((f"S{i:02d}", i * 60_000, f"point {i:02d} on roadmap") for i in range(25))
    )
    answer = ask(slack_env, "search roadmap")[0]
    assert "25 hits" in flat(answer) and "showing 1–10" in flat(answer)
    more = _more(answer["blocks"])
    assert len(more) == 1
    text, page = parse_more_value(more[0]["value"])
    assert (text, page) == ("search roadmap", 1)
    _, blocks = render_query_page(slack_env.deps, MEMBER, text, page)
    shown = json.dumps(blocks, ensure_ascii=False)
    assert "showing 11–20" in shown and "S10" in shown and "S00" not in shown
    assert _more(blocks)
    _, blocks = render_query_page(slack_env.deps, MEMBER, text, 2)
    shown = json.dumps(blocks, ensure_ascii=False)
    assert "S24" in shown and not _more(blocks)
    assert len(blocks) <= 50


def _with_minutes(env, m: RecordMeeting) -> None:
    file_id = m.record_files[0].record_file_id
    content = env.services.store.content
    assert content.save_minutes(
        Minutes(file_id, minute="Decided to ship v2", todo="- Mo: write notes")
    )
    assert content.save_chapters(
        file_id, [Chapter("c1", "Opening", 0), Chapter("c2", "Plan", 90_000)]
    )


def test_summary_by_code_and_by_link(slack_env):
    m = meeting("r-sum", time.time() - 600, "Planning").model_copy(
        update={"meeting_code": "987654321"}
    )
    synced_store(slack_env, m)
    _with_minutes(slack_env, m)
    for text in (
        "summary 987 654 321",
        "summary 987-654-321",
        "summary <https://meeting.tencent.com/crm/r-sum>",
    ):
        answer = ask(slack_env, text)[0]
        shown = flat(answer)
        assert answer["response_type"] == "ephemeral"
        assert "Planning" in shown and "ship v2" in shown and "write notes" in shown
        assert "Opening" in shown and "Plan" in shown
    assert slack_env.tencent.call_count() == 0


def test_summary_of_a_participant_only_recording_is_refused_to_a_member(slack_env):
    m = _participants_only(meeting("r-p", time.time() - 600, "Board", userid="alice"))
    synced_store(slack_env, m)
    _with_minutes(slack_env, m)
    refused = flat(ask(slack_env, "summary https://meeting.tencent.com/crm/r-p")[0])
    assert "participants only" in refused and "ship v2" not in refused
    assert "ship v2" in flat(
        ask(slack_env, "summary https://meeting.tencent.com/crm/r-p", user=ADMIN)[0]
    )


def test_summary_says_when_it_is_missing_or_off(slack_env):
    m = meeting("r-none", time.time() - 600, "Quiet").model_copy(
        update={"meeting_code": "111222333"}
    )
    synced_store(slack_env, m)
    assert "not available yet" in flat(ask(slack_env, "summary 111222333")[0])
    slack_env.services.store.content.mark_status(
        m.record_files[0].record_file_id, KIND_MINUTES, STATE_OFF
    )
    assert "AI features are off" in flat(ask(slack_env, "summary 111222333")[0])
    assert "no recording with meeting code 444555666" in flat(
        ask(slack_env, "summary 444555666")[0]
    )


def test_help_lists_the_new_forms(slack_env):
    shown = flat(ask(slack_env, "help")[0])
    assert "summary MEETING_CODE" in shown and "meeting.tencent.com" in shown
    assert "where they were said in transcripts" in shown


# -- one visibility rule for search and summary --------------------------------------------------
def _files(m: RecordMeeting, *updates: dict) -> RecordMeeting:
    """The meeting with one file per update (ids -f, -f2, ...), each the first file changed."""
    base = m.record_files[0]
    files = tuple(
        base.model_copy(
            update={
                "record_file_id": base.record_file_id + ("" if i == 0 else str(i + 1)),
                **update,
            }
        )
        for i, update in enumerate(updates)
    )
    return m.model_copy(update={"record_files": files})


def _search_and_summary(env, user: str) -> tuple[str, str]:
    return (
        flat(ask(env, "search merger", user=user)[0]),
        flat(ask(env, "summary 555666777", user=user)[0]),
    )


def _coded(mid: str, userid: str = "alice") -> RecordMeeting:
    return meeting(mid, time.time() - 600, "Board", userid=userid).model_copy(
        update={"meeting_code": "555666777"}
    )


def test_sharing_off_hides_the_transcript_and_the_summary_alike(slack_env):
    m = _files(_coded("r-off"), {"sharing_state": 0})
    synced_store(slack_env, m)
    _said(slack_env, m, ("Alice", 1000, "the merger closes friday"))
    _with_minutes(slack_env, m)
    said, summary = _search_and_summary(slack_env, MEMBER)
    assert "closes friday" not in said  # was shown: search only knew participant-only
    assert "Sharing is off" in summary and "ship v2" not in summary
    said, summary = _search_and_summary(slack_env, ADMIN)
    assert "closes friday" in said and "ship v2" in summary
    slack_env.services.store.users.link(MEMBER, "alice", set_by=ADMIN)  # MEMBER hosts it
    said, summary = _search_and_summary(slack_env, MEMBER)
    assert "closes friday" in said and "ship v2" in summary


def test_one_unshared_or_participant_only_file_hides_the_whole_recording(slack_env):
    shared_first = {"sharing_state": 1}
    for mid, other in (("r-half", {"sharing_state": 0}), ("r-part", {"required_participant": 1})):
        m = _files(_coded(mid), shared_first, other)
        synced_store(slack_env, m)
        _said(slack_env, m, ("Alice", 1000, f"the merger closes friday {mid}"))  # shared file's
        _with_minutes(slack_env, m)
        said, summary = _search_and_summary(slack_env, MEMBER)
        assert mid not in said, mid  # r-half was shown by search, and by summary too
        assert "ship v2" not in summary, mid
        said, summary = _search_and_summary(slack_env, ADMIN)
        assert mid in said and "ship v2" in summary
        slack_env.services.store.recordings.save_meetings([_files(m, {"sharing_state": 0})])


def test_a_deleted_file_takes_its_content_and_its_say_along(slack_env):
    m = _files(_coded("r-del"), {"sharing_state": 1}, {"required_participant": 1})
    synced_store(slack_env, m)
    store = slack_env.services.store
    assert store.content.save_transcript(
        Transcript(
            "r-del-f2",
            (TranscriptParagraph("p", 0, 5000, "Alice", None, "the merger secret part"),),
        )
    )
    _said(slack_env, m, ("Alice", 1000, "the merger closes friday"))
    _with_minutes(slack_env, m)
    said, summary = _search_and_summary(slack_env, MEMBER)
    assert "closes friday" not in said and "participants only" in summary
    store.recordings.save_meetings([_files(m, {"sharing_state": 1})])  # the private part deleted
    said, summary = _search_and_summary(slack_env, MEMBER)
    assert "closes friday" in said and "secret part" not in said and "ship v2" in summary
    said, _ = _search_and_summary(slack_env, ADMIN)
    assert "secret part" not in said  # gone with its file
    store.recordings.save_meetings([m.model_copy(update={"record_files": ()})])  # all deleted
    said, summary = _search_and_summary(slack_env, MEMBER)
    assert "closes friday" not in said and "no files left" in summary
    _, summary = _search_and_summary(slack_env, ADMIN)
    assert "no files left" in summary
