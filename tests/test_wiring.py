"""The object graph's edge: which Tencent credentials the client gets, and the client itself."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.config import DEMO_APP_ID, DEMO_SECRET_ID, DEMO_SECRET_KEY, ConfigError, load_settings
from bot.emulator.tencent import TencentEmulator
from bot.emulator.tencent.dataset import Dataset
from bot.store import Store, open_store
from bot.tencent.signing import Credentials
from bot.wiring import demo_credentials, make_tencent_client, tencent_credentials
from tests.tencent.meetings import DAY, END, records


@pytest.fixture
def store(tmp_path) -> Iterator[Store]:
    store = open_store(tmp_path / "client.db")
    yield store
    store.close()


# -- the Tencent client: credentials, or the demo ones for a local emulator only --------------
def test_make_tencent_client_refuses_production_without_credentials(store):
    settings = load_settings({}, dotenv=False)
    with pytest.raises(ConfigError) as info:
        make_tencent_client(settings, store)
    text = str(info.value)
    for name in (
        "TENCENT_MEETING_APP_ID",
        "TENCENT_MEETING_SECRET_ID",
        "TENCENT_MEETING_SECRET_KEY",
    ):
        assert name in text


def test_make_tencent_client_uses_demo_credentials_only_for_a_local_emulator(store):
    with TencentEmulator(dataset=Dataset.from_records(records(3)), rate_limit=600) as emulator:
        settings = load_settings(
            {"TENCENT_MEETING_API_URL": emulator.url, "TENCENT_MEETING_RATE_LIMIT": "50"},
            dotenv=False,
        )
        client = make_tencent_client(settings, store)
        assert client.throttle.limit == 50
        assert client.addresses_throttle.bucket == "addresses"
        assert len(list(client.list_corp_records(END - 11 * DAY, END))) == 3


def test_make_tencent_client_with_partial_credentials_names_the_missing_one(store):
    settings = load_settings(
        {
            "TENCENT_MEETING_API_URL": "http://127.0.0.1:9",
            "TENCENT_MEETING_APP_ID": "1",
            "TENCENT_MEETING_SECRET_ID": "x",
        },
        dotenv=False,
    )
    with pytest.raises(ConfigError, match="TENCENT_MEETING_SECRET_KEY"):
        make_tencent_client(settings, store)


def test_tencent_credentials_are_the_settings_when_all_are_given():
    settings = load_settings(
        {
            "TENCENT_MEETING_APP_ID": "1",
            "TENCENT_MEETING_SECRET_ID": "x",
            "TENCENT_MEETING_SECRET_KEY": "k",
            "TENCENT_MEETING_SDK_ID": "9",
        },
        dotenv=False,
    )
    assert tencent_credentials(settings) == Credentials("1", "x", "k", sdk_id="9")


def test_demo_credentials_keep_the_sdk_id():
    settings = load_settings({"TENCENT_MEETING_SDK_ID": "9"}, dotenv=False)
    assert demo_credentials(settings) == Credentials(
        DEMO_APP_ID, DEMO_SECRET_ID, DEMO_SECRET_KEY, sdk_id="9"
    )


def test_make_tencent_client_pointed_elsewhere(store):
    settings = load_settings({"TENCENT_MEETING_OPERATOR_ID": "admin"}, dotenv=False)
    creds = demo_credentials(settings)
    client = make_tencent_client(settings, store, api_url="http://127.0.0.1:9/", credentials=creds)
    assert client.base_url == "http://127.0.0.1:9"
    assert client.creds == creds and client.operator_id == "admin"
    with pytest.raises(ValueError, match="together"):
        make_tencent_client(settings, store, api_url="http://127.0.0.1:9")
