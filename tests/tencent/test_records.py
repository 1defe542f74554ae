"""Parsing `GET /v1/corp/records` answers into typed records, and back."""

from __future__ import annotations

import copy

import pytest

from bot.tencent.errors import MalformedRecordError
from bot.tencent.records import parse_file, parse_meeting, parse_page, to_api_dict

MEETING = {
    "meeting_record_id": "1362742106631111111",
    "meeting_id": "6249027861881211111",
    "meeting_code": "29858611111",
    "media_start_time": 1613738006000,
    "subject": "test的快速会议",
    "userid": "test",
    "state": 3,
    "future_field": {"nested": [1, 2]},
    "record_files": [
        {
            "record_file_id": "1362742106635911111",
            "record_start_time": 1613738011389,
            "record_end_time": 1613743058603,
            "record_size": 480236476,
            "sharing_state": 1,
            "sharing_url": "https://example.invalid/shared?id=abc",
            "required_same_corp": False,
            "required_participant": True,
            "password": "HHz4yo6d",
            "sharing_expire": 0,
            "view_address": "https://example.invalid/view?token=VIEWSECRET",
            "allow_download": True,
            "download_address": "https://example.invalid/dl.mp4?token=DLSECRET",
            "file_extra": "kept",
        }
    ],
}


def test_parse_keeps_unknown_fields_and_round_trips():
    meeting = parse_meeting(MEETING)
    assert meeting.extra == {"future_field": {"nested": [1, 2]}}
    assert meeting.record_files[0].extra == {"file_extra": "kept"}
    assert to_api_dict(meeting) == MEETING
    assert meeting.done and meeting.state_name == "ready"
    assert meeting.start_seconds == 1613738006
    assert meeting.duration_seconds == (1613743058603 - 1613738011389) // 1000


@pytest.mark.parametrize("key", ["meeting_record_id", "userid", "media_start_time", "state"])
def test_missing_meeting_field_is_named(key):
    data = copy.deepcopy(MEETING)
    del data[key]
    with pytest.raises(MalformedRecordError) as info:
        parse_meeting(data, "record_meetings[4]")
    assert info.value.path == f"record_meetings[4].{key}"
    assert f"record_meetings[4].{key}" in str(info.value)


def test_missing_file_field_names_its_path():
    data = copy.deepcopy(MEETING)
    del data["record_files"][0]["record_size"]
    page = {"total_count": 1, "current_size": 1, "current_page": 1, "total_page": 1}
    with pytest.raises(MalformedRecordError) as info:
        parse_page({**page, "record_meetings": [MEETING, data]})
    assert info.value.path == "record_meetings[1].record_files[0].record_size"


def test_types_are_coerced():
    data = copy.deepcopy(MEETING)
    data["meeting_id"] = 6249027861881211111  # a number where a string is documented
    data["media_start_time"] = "1613738006000"
    data["state"] = 3.0
    data["record_files"][0]["required_same_corp"] = 0
    meeting = parse_meeting(data)
    assert meeting.meeting_id == "6249027861881211111"
    assert meeting.media_start_time == 1613738006000
    assert meeting.state == 3 and isinstance(meeting.state, int)
    assert meeting.record_files[0].required_same_corp is False


def test_wrong_type_is_rejected_with_path():
    data = copy.deepcopy(MEETING)
    data["state"] = "done"
    with pytest.raises(MalformedRecordError, match=r"record_meetings\[0\]\.state should be int"):
        parse_meeting(data)


def test_page_parse_counts_and_empty_list():
    page = parse_page({"total_count": 0, "current_size": 0, "current_page": 1, "total_page": 0})
    assert page.record_meetings == ()
    with pytest.raises(MalformedRecordError, match="response.total_page"):
        parse_page({"total_count": 0, "current_size": 0, "current_page": 1})


def test_file_without_sharing_has_no_secrets():
    f = parse_file(
        {
            "record_file_id": "1",
            "record_start_time": 0,
            "record_end_time": 5000,
            "record_size": 10,
            "sharing_state": 0,
        }
    )
    assert not f.shared and f.password is None and f.duration_seconds == 5


def test_a_malformed_record_is_left_out_of_a_lenient_page_and_named():
    bad = copy.deepcopy(MEETING)
    bad["meeting_record_id"] = "bad-1"
    bad["state"] = "done"
    page = {"total_count": 2, "current_size": 2, "current_page": 1, "total_page": 1}
    parsed = parse_page({**page, "record_meetings": [bad, MEETING]}, strict=False)
    assert [m.meeting_record_id for m in parsed.record_meetings] == [MEETING["meeting_record_id"]]
    [problem] = parsed.rejected
    assert isinstance(problem, MalformedRecordError)
    assert str(problem) == (
        "malformed record: record_meetings[0].state should be int, got str "
        "(meeting_record_id bad-1)"
    )
    assert (parsed.total_count, parsed.total_page) == (2, 1)


def test_null_is_missing_when_required_and_absent_when_optional():
    data = copy.deepcopy(MEETING)
    data["record_files"][0]["password"] = None
    data["future_null"] = None
    meeting = parse_meeting(data)
    assert meeting.record_files[0].password is None
    assert meeting.extra == {"future_field": {"nested": [1, 2]}, "future_null": None}
    data["subject"] = None
    with pytest.raises(MalformedRecordError, match=r"record_meetings\[0\]\.subject is missing"):
        parse_meeting(data)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"record_files": {"a": 1}}, r"record_meetings\[0\]\.record_files is not a list"),
        ({"record_files": ["x"]}, r"record_meetings\[0\]\.record_files\[0\] is not an object"),
        ({"record_files": None}, None),
        ({"meeting_id": True}, r"record_meetings\[0\]\.meeting_id should be str, got bool"),
        ({"state": 3.5}, r"record_meetings\[0\]\.state should be int, got float"),
    ],
)
def test_shapes_the_parser_refuses_or_accepts(change, message):
    data = {**copy.deepcopy(MEETING), **change}
    if message is None:
        assert parse_meeting(data).record_files == ()
        return
    with pytest.raises(MalformedRecordError, match=message):
        parse_meeting(data)


def test_what_is_not_an_object_is_named():
    with pytest.raises(MalformedRecordError, match="malformed record: record_meetings.0. is not"):
        parse_meeting(["a list"])
    with pytest.raises(MalformedRecordError, match="response is not a JSON object"):
        parse_page([])
    with pytest.raises(MalformedRecordError, match="response.record_meetings is not a list"):
        parse_page(
            {
                "total_count": 0,
                "current_size": 0,
                "current_page": 1,
                "total_page": 0,
                "record_meetings": "x",
            }
        )
