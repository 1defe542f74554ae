"""Signing: the published test vectors, and agreement with the official SDK's authenticator."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
import requests

from bot.tencent.signing import Credentials, sign, signed_headers, string_to_sign, verify

SECRET_ID = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"
SECRET_KEY = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"
NONCE = 1234567
TIMESTAMP = 1572168600

GET_URI = (
    "/v1/corp/records?start_time=1735689600&end_time=1738272000&page_size=20&page=1"
    "&operator_id=admin&operator_id_type=1"
)
GET_HEX = "d8011d334699d8ca13e04aacbe3fe38fc5820a29dda73a6766416e9d1db253d7"
GET_SIGNATURE = (
    "ZDgwMTFkMzM0Njk5ZDhjYTEzZTA0YWFjYmUzZmUzOGZjNTgyMGEyOWRkYTczYTY3NjY0MTZlOWQxZGIyNTNkNw=="
)

POST_URI = "/v1/meetings/7567454748865986567/cancel"
POST_BODY = '{"userid":"test1","instanceid":1,"reason_code":1,"reason_detail":"取消会议"}'
POST_SIGNATURE = (
    "ZDdhMDJkMzE5MDg1OWZhODJmMjE2OTNlZjgyMDQzZmE4ODZkZDBmZDI0OWRjY2E0YThhYzViN2I0OWE4NGE3Yw=="
)
POST_RAW_DIGEST_SIGNATURE = "16AtMZCFn6gvIWk++CBD+oht0P0kncykqKxbe0moSnw="


def test_get_vector_reproduces_exactly():
    message = string_to_sign("GET", SECRET_ID, NONCE, TIMESTAMP, GET_URI, "")
    assert message.endswith(GET_URI + "\n")  # a GET signs an empty body line
    assert hmac.new(SECRET_KEY.encode(), message.encode(), hashlib.sha256).hexdigest() == GET_HEX
    assert sign(SECRET_KEY, message) == GET_SIGNATURE


def test_post_vector_reproduces_exactly():
    message = string_to_sign("POST", SECRET_ID, NONCE, TIMESTAMP, POST_URI, POST_BODY)
    assert sign(SECRET_KEY, message) == POST_SIGNATURE


def test_raw_digest_variant_differs():
    message = string_to_sign("POST", SECRET_ID, NONCE, TIMESTAMP, POST_URI, POST_BODY)
    raw = base64.b64encode(
        hmac.new(SECRET_KEY.encode(), message.encode(), hashlib.sha256).digest()
    ).decode()
    assert raw == POST_RAW_DIGEST_SIGNATURE
    assert raw != sign(SECRET_KEY, message)
    assert not verify(SECRET_KEY, message, raw)
    assert verify(SECRET_KEY, message, POST_SIGNATURE)


def test_signed_headers_carry_the_vector_signature():
    creds = Credentials(app_id="200000001", secret_id=SECRET_ID, secret_key=SECRET_KEY)
    headers = signed_headers(creds, "GET", GET_URI, nonce=NONCE, timestamp=TIMESTAMP)
    assert headers["X-TC-Signature"] == GET_SIGNATURE
    assert headers["X-TC-Key"] == SECRET_ID
    assert headers["AppId"] == "200000001"
    assert headers["X-TC-Registered"] == "1"
    assert "SdkId" not in headers
    assert SECRET_KEY not in repr(creds)


@pytest.mark.parametrize(
    ("method", "uri", "body"),
    [
        ("GET", GET_URI, ""),
        ("GET", "/v1/addresses/1362742106635911111?operator_id=admin&operator_id_type=1", ""),
        ("POST", POST_URI, POST_BODY),
    ],
)
def test_signature_matches_official_sdk_authenticator(method, uri, body):
    from wemeet_openapi.core.authenticator import JWTAuthenticator
    from wemeet_openapi.core.config import Config

    config = Config(app_id="200000001", sdk_id="", secret_id=SECRET_ID, secret_key=SECRET_KEY)
    authenticator = JWTAuthenticator(nonce=NONCE, timestamp=str(TIMESTAMP))
    authenticator.options_build()(config)
    prepared = requests.Request(
        method,
        "https://api.meeting.qq.com" + uri,
        data=body.encode("utf-8") if body else None,
    ).prepare()
    assert prepared.path_url == uri
    authenticator.auth_header(prepared)

    creds = Credentials(app_id="200000001", secret_id=SECRET_ID, secret_key=SECRET_KEY)
    ours = signed_headers(creds, method, uri, body, nonce=NONCE, timestamp=TIMESTAMP)
    assert ours["X-TC-Signature"] == prepared.headers["X-TC-Signature"]
    if uri == GET_URI:
        assert ours["X-TC-Signature"] == GET_SIGNATURE
