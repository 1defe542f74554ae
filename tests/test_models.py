"""Parsing `GET /v1/corp/records` answers into typed records."""

from __future__ import annotations

import copy

import pytest

from bot.models import RecordFile, RecordMeeting, RecordsPage
from bot.tencent.errors import MalformedRecordError

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
    meeting = RecordMeeting.parse(MEETING)
    assert meeting.extra == {"future_field": {"nested": [1, 2]}}
    assert meeting.record_files[0].extra == {"file_extra": "kept"}
    assert meeting.to_api_dict() == MEETING
    assert meeting.done and meeting.state_name == "ready"
    assert meeting.start_seconds == 1613738006
    assert meeting.duration_seconds == (1613743058603 - 1613738011389) // 1000


@pytest.mark.parametrize("key", ["meeting_record_id", "userid", "media_start_time", "state"])
def test_missing_meeting_field_is_named(key):
    data = copy.deepcopy(MEETING)
    del data[key]
    with pytest.raises(MalformedRecordError) as info:
        RecordMeeting.parse(data, "record_meetings[4]")
    assert info.value.path == f"record_meetings[4].{key}"
    assert f"record_meetings[4].{key}" in str(info.value)


def test_missing_file_field_names_its_path():
    data = copy.deepcopy(MEETING)
    del data["record_files"][0]["record_size"]
    page = {"total_count": 1, "current_size": 1, "current_page": 1, "total_page": 1}
    with pytest.raises(MalformedRecordError) as info:
        RecordsPage.parse({**page, "record_meetings": [MEETING, data]})
    assert info.value.path == "record_meetings[1].record_files[0].record_size"


def test_types_are_coerced():
    data = copy.deepcopy(MEETING)
    data["meeting_id"] = 6249027861881211111  # a number where a string is documented
    data["media_start_time"] = "1613738006000"
    data["state"] = 3.0
    data["record_files"][0]["required_same_corp"] = 0
    meeting = RecordMeeting.parse(data)
    assert meeting.meeting_id == "6249027861881211111"
    assert meeting.media_start_time == 1613738006000
    assert meeting.state == 3 and isinstance(meeting.state, int)
    assert meeting.record_files[0].required_same_corp is False


def test_wrong_type_is_rejected_with_path():
    data = copy.deepcopy(MEETING)
    data["state"] = "done"
    with pytest.raises(MalformedRecordError, match=r"record_meetings\[0\]\.state should be int"):
        RecordMeeting.parse(data)


def test_repr_hides_password_and_addresses():
    meeting = RecordMeeting.parse(MEETING)
    text = repr(meeting) + str(meeting) + repr(meeting.record_files[0])
    for secret in ("HHz4yo6d", "VIEWSECRET", "DLSECRET", "view_address", "download_address"):
        assert secret not in text
    assert "1362742106635911111" in text  # the useful parts are still shown


def test_page_parse_counts_and_empty_list():
    page = RecordsPage.parse(
        {"total_count": 0, "current_size": 0, "current_page": 1, "total_page": 0}
    )
    assert page.record_meetings == ()
    with pytest.raises(MalformedRecordError, match="response.total_page"):
        RecordsPage.parse({"total_count": 0, "current_size": 0, "current_page": 1})


def test_file_without_sharing_has_no_secrets():
    f = RecordFile.parse(
        {
            "record_file_id": "1",
            "record_start_time": 0,
            "record_end_time": 5000,
            "record_size": 10,
            "sharing_state": 0,
        }
    )
    assert not f.shared and f.password is None and f.duration_seconds == 5
