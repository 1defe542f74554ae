"""Request signing for Tencent Meeting's enterprise self-built apps (AK/SK).

String to sign (four lines joined by "\\n"):
    METHOD
    X-TC-Key={SecretId}&X-TC-Nonce={nonce}&X-TC-Timestamp={timestamp}
    URI (path plus the full query string, exactly as sent)
    BODY (or the empty string)
Signature = base64(lowercase hex of HMAC-SHA256(SecretKey, string_to_sign)).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Credentials:
    app_id: str
    secret_id: str
    secret_key: str = field(repr=False)
    sdk_id: str = ""


def string_to_sign(
    method: str, secret_id: str, nonce: str | int, timestamp: str | int, uri: str, body: str
) -> str:
    header_line = f"X-TC-Key={secret_id}&X-TC-Nonce={nonce}&X-TC-Timestamp={timestamp}"
    return "\n".join([method.upper(), header_line, uri, body])


def sign(secret_key: str, message: str) -> str:
    digest_hex = hmac.new(
        secret_key.encode("utf-8"), message.encode("utf-8"), hashlib.sha256
    ).hexdigest()
    return base64.b64encode(digest_hex.encode("ascii")).decode("ascii")


def new_nonce() -> int:
    return secrets.randbelow(2**31 - 1) + 1


def signed_headers(
    creds: Credentials,
    method: str,
    uri: str,
    body: str = "",
    *,
    nonce: int | None = None,
    timestamp: int | None = None,
) -> dict[str, str]:
    """All headers of a signed request. `uri` is the path plus the query string as sent."""
    nonce = new_nonce() if nonce is None else nonce
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = sign(
        creds.secret_key, string_to_sign(method, creds.secret_id, nonce, timestamp, uri, body)
    )
    headers = {
        "Content-Type": "application/json",
        "X-TC-Key": creds.secret_id,
        "X-TC-Timestamp": str(timestamp),
        "X-TC-Nonce": str(nonce),
        "X-TC-Signature": signature,
        "AppId": creds.app_id,
        "X-TC-Registered": "1",
    }
    if creds.sdk_id:
        headers["SdkId"] = creds.sdk_id
    return headers


def verify(secret_key: str, headers_string: str, signature: str) -> bool:
    """Constant-time check of a signature against the string that should have been signed."""
    return hmac.compare_digest(sign(secret_key, headers_string), signature)
