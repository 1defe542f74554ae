"""Requests to view a recording, and `PUT /v1/records/approvals/{meeting_record_id}`.

`Approvals.request` makes a request as Tencent does when someone asks to view a recording (its
`recording.apply` event: webhook_sender.apply_event); the approval call answers it. The body is
checked as the SDK sends it (operator_id, operator_id_type 1 or 2, apply_id_list, action 1 or 2);
only the recording's creator (or a listed recording manager) may answer (9042 otherwise); apply
ids must be this recording's. Every call is recorded, answered or refused.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from bot.emulator.tencent.answers import E_PARAMETER, Answer, Rejection
from bot.emulator.tencent.dataset import Dataset

APPROVALS_RE = re.compile(r"^/v1/records/approvals/([^/]+)$")
E_NO_PERMISSION = 9042


@dataclass(frozen=True)
class ApprovalCall:
    """One approval call as received (also when refused)."""

    meeting_record_id: str
    body: Any
    status: int


@dataclass
class Approvals:
    managers: set[str] = field(default_factory=set)  # userids allowed beside the creator
    calls: list[ApprovalCall] = field(default_factory=list)
    decided: dict[str, int] = field(default_factory=dict)  # apply_id -> last action
    _requests: dict[str, str] = field(default_factory=dict)  # apply_id -> meeting_record_id
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def request(self, meeting_record_id: str) -> str:
        """A new request to view this recording: its apply_id."""
        apply_id = uuid.uuid4().hex[:16]
        with self._lock:
            self._requests[apply_id] = meeting_record_id
        return apply_id

    def answer(self, dataset: Dataset, method: str, meeting_record_id: str, raw: bytes) -> Answer:
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            body = None
        answer = self._answer(dataset, method, meeting_record_id, body)
        with self._lock:
            self.calls.append(ApprovalCall(meeting_record_id, body, answer.status))
        return answer

    def _answer(self, dataset: Dataset, method: str, mid: str, body: Any) -> Answer:
        if method != "PUT":
            return Answer.error(Rejection(E_PARAMETER, f"method {method} not allowed"))
        problem = _body_problem(body)
        if problem:
            return Answer.error(Rejection(E_PARAMETER, problem))
        if mid not in dataset:
            return Answer.error(Rejection(E_PARAMETER, "meeting_record_id not found"))
        creator = dataset.get(mid).userid
        if body["operator_id"] != creator and body["operator_id"] not in self.managers:
            return Answer.error(Rejection(E_NO_PERMISSION, "no permission to manage recording"))
        with self._lock:
            unknown = [a for a in body["apply_id_list"] if self._requests.get(a) != mid]
            if unknown:
                return Answer.error(Rejection(E_PARAMETER, "apply_id not found"))
            for apply_id in body["apply_id_list"]:
                self.decided[apply_id] = body["action"]
        return Answer(200, {})


def _body_problem(body: Any) -> str | None:
    if not isinstance(body, dict):
        return "body should be a JSON object"
    if not isinstance(body.get("operator_id"), str) or not body["operator_id"]:
        return "operator_id is required"
    if body.get("operator_id_type") not in (1, 2):
        return "operator_id_type should be 1 or 2"
    ids = body.get("apply_id_list")
    if not isinstance(ids, list) or not ids or not all(isinstance(a, str) for a in ids):
        return "apply_id_list should be a list of strings"
    if body.get("action") not in (1, 2):
        return "action should be 1 (approve) or 2 (ignore)"
    return None
