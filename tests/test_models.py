"""The shared record types: frozen, validated, secrets out of `repr`, `extra` out of `==`."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.models import Addresses, RecordFile, RecordMeeting

FILE = RecordFile(
    record_file_id="1362742106635911111",
    record_start_time=1613738011389,
    record_end_time=1613743058603,
    record_size=480236476,
    sharing_state=1,
    sharing_url="https://example.invalid/shared?id=abc",
    password="HHz4yo6d",
    view_address="https://example.invalid/view?token=VIEWSECRET",
    download_address="https://example.invalid/dl.mp4?token=DLSECRET",
    extra={"file_extra": "kept"},
)
MEETING = RecordMeeting(
    meeting_record_id="1362742106631111111",
    meeting_id="6249027861881211111",
    meeting_code="29858611111",
    userid="test",
    media_start_time=1613738006000,
    subject="test的快速会议",
    state=3,
    record_files=(FILE,),
    extra={"future_field": {"nested": [1, 2]}},
)


def test_repr_hides_password_and_addresses():
    text = repr(MEETING) + str(MEETING) + repr(MEETING.record_files[0])
    for secret in ("HHz4yo6d", "VIEWSECRET", "DLSECRET", "view_address", "download_address"):
        assert secret not in text
    assert "1362742106635911111" in text  # the useful parts are still shown
    addresses = Addresses(record_file_id="f", view_address="https://v?SECRET", audio_address="a")
    assert "SECRET" not in repr(addresses) and "address" not in repr(addresses)


def test_properties():
    assert MEETING.done and MEETING.state_name == "ready"
    assert MEETING.start_seconds == 1613738006
    assert MEETING.duration_seconds == (1613743058603 - 1613738011389) // 1000
    assert MEETING.total_size == 480236476 and FILE.shared
    assert MEETING.model_copy(update={"state": 2}).state_name == "transcoding"
    assert MEETING.model_copy(update={"state": 7}).state_name == "state 7"


def test_extra_takes_no_part_in_equality_or_hashing():
    other = MEETING.model_copy(update={"extra": {"something": "else"}})
    assert other == MEETING and hash(other) == hash(MEETING)
    assert len({MEETING, other}) == 1
    assert MEETING.model_copy(update={"subject": "x"}) != MEETING
    assert FILE != MEETING


def test_trusted_rows_build_the_same_records():
    built = RecordMeeting.model_construct(**dict(MEETING))
    assert built == MEETING and hash(built) == hash(MEETING)
    assert built.extra == {"future_field": {"nested": [1, 2]}}


def test_records_are_frozen_and_refuse_unknown_names():
    with pytest.raises(ValidationError):
        MEETING.subject = "changed"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="host_name"):
        RecordMeeting(**dict(MEETING), host_name="Bob")  # unknown fields belong in `extra`


def test_values_of_the_documented_type_pass_and_api_quirks_are_coerced():
    quirks = {"record_file_id": 17, "record_start_time": "0", "record_end_time": 5000.0}
    f = RecordFile(**quirks, record_size=True, sharing_state=0, allow_download=1)
    assert (f.record_file_id, f.record_start_time, f.record_end_time) == ("17", 0, 5000)
    assert f.record_size == 1 and f.allow_download is True
    assert not f.shared and f.password is None and f.duration_seconds == 5
    for wrong in ({"record_file_id": 1.5}, {"record_size": "1e3"}, {"allow_download": "true"}):
        with pytest.raises(ValidationError) as info:
            RecordFile(**{**dict(f), **wrong})
        assert info.value.errors()[0]["type"] == "wrong_type"
