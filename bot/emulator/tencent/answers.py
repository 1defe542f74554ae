"""What the emulator answers: Tencent's error codes and `error_info` bodies, and the `Answer` a
handler gives the HTTP server."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

E_TIMESTAMP = 190300
E_REPLAY = 190301
E_UNKNOWN_APP = 190303
E_SIGNATURE = 200003
E_PARAMETER = 190004
E_APP_MINUTE_LIMIT = 190310
E_API_MINUTE_LIMIT = 190313
E_INTERNAL = 500000
E_NOT_FOUND = 404  # unknown API path (HTTP 404)


@dataclass(frozen=True)
class Rejection:
    """An answer carrying error_info."""

    error_code: int
    message: str
    http_status: int = 400

    def body(self) -> dict[str, Any]:
        return error_body(self.error_code, self.message)


def error_body(code: int, message: str) -> dict[str, Any]:
    return {
        "error_info": {
            "error_code": code,
            "new_error_code": 200_000_000 + code,
            "message": message,
        }
    }


@dataclass
class Answer:
    """One HTTP answer: a status and a JSON-able payload (or bytes sent as they are)."""

    status: int
    payload: Any = None  # JSON-able, or bytes sent as-is
    content_type: str = "application/json"
    drop: bool = False  # close the connection without answering
    error_code: int | None = None

    @classmethod
    def error(cls, rejection: Rejection) -> Answer:
        return cls(rejection.http_status, rejection.body(), error_code=rejection.error_code)
