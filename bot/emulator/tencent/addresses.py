"""`GET /v1/addresses/{record_file_id}`, and the pages and files its links point at (checked by
their token, not signed)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.emulator.tencent.answers import E_NOT_FOUND, E_PARAMETER, Answer, Rejection
from bot.emulator.tencent.dataset import DOWNLOAD_LIFETIME, Dataset
from bot.models import STATE_DONE

ADDRESSES_RE = re.compile(r"^/v1/addresses/([^/]+)$")
MEDIA_PREFIXES = ("/media/", "/play/", "/user-center/")
_MEDIA_RE = re.compile(r"^/(media|play)/(\d+)(?:\.(mp4|m4a))?$")


def addresses(dataset: Dataset, method: str, record_file_id: str, now: float) -> Answer:
    """The answer to a verified addresses call: fresh links on every call."""
    if method != "GET":
        return Answer.error(Rejection(E_NOT_FOUND, f"{method} not allowed", 405))
    found = dataset.find_file(record_file_id)
    if found is None or found[0].state(now) != STATE_DONE:
        return Answer.error(Rejection(E_PARAMETER, "record file not found"))
    meeting, _file = found
    links = dataset.links
    expires = int(now) + DOWNLOAD_LIFETIME
    token = links.token(record_file_id, expires)  # random: fresh on every call
    return Answer(
        200,
        {
            "record_file_id": record_file_id,
            "meeting_id": meeting.meeting_id,
            "meeting_code": meeting.meeting_code,
            "subject": meeting.subject,
            "view_address": links.url("view", record_file_id, token, expires),
            "download_address": links.url("download", record_file_id, token, expires),
            "download_address_file_type": "MP4",
            "audio_address": links.url("audio", record_file_id, token, expires),
            "audio_address_file_type": "M4A",
            "meeting_summary": [],
            "ai_meeting_transcripts": [],
        },
    )


def media(dataset: Dataset, path: str, query: Mapping[str, str], now: float) -> Answer:
    """The pages and files the addresses point at (checked by token, not signed)."""
    if path.startswith("/user-center/"):
        return Answer(200, b"<html><body>Shared recording (emulated)</body></html>", "text/html")
    match = _MEDIA_RE.match(path)
    expires = query.get("expires", "")
    if match is None or not expires.isdigit():
        return Answer(404, b"not found", "text/plain")
    kind, file_id = match.group(1), match.group(2)
    if dataset.find_file(file_id) is None:
        return Answer(404, b"not found", "text/plain")
    if not dataset.links.verify(file_id, query.get("token", ""), int(expires), now):
        return Answer(403, b"AccessDenied: the link is invalid or expired", "text/plain")
    if kind == "play":
        return Answer(200, b"<html><body>Recording player (emulated)</body></html>", "text/html")
    return Answer(200, f"EMULATED RECORDING {file_id}\n".encode() * 64, "video/mp4")
