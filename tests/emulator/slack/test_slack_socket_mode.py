"""The Socket Mode server on its own, with a plain WebSocket client: a ticket works once, and a
slash command goes out in its envelope with a response URL of the stand-in's. (With the bot and
slack_sdk's client: tests/server/test_socket_mode.py.)"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from bot.emulator.slack.socket_mode import APP_ID, SocketModeServer
from bot.emulator.slack.workspace import TEAM_ID

RESPONSE_URL = "http://127.0.0.1:9/response/7"


@pytest.fixture
def sockets() -> Iterator[SocketModeServer]:
    with SocketModeServer(lambda: RESPONSE_URL) as server:
        yield server


def test_a_ticket_works_once(sockets: SocketModeServer) -> None:
    url = sockets.issue_url()
    with connect(url, open_timeout=3) as client:
        hello = json.loads(client.recv(timeout=3))
        assert hello["type"] == "hello" and hello["connection_info"] == {"app_id": APP_ID}
    with pytest.raises(InvalidStatus) as reused:
        connect(url, open_timeout=3)
    assert reused.value.response.status_code == 401
    with pytest.raises(InvalidStatus):
        connect(url.split("?")[0], open_timeout=3)  # no ticket at all
    assert sockets.connects == 1


def test_a_slash_command_goes_out_in_its_envelope_and_the_ack_comes_back(
    sockets: SocketModeServer,
) -> None:
    with pytest.raises(RuntimeError):
        sockets.send_slash("today", "U0ALICE")  # nobody connected
    with connect(sockets.issue_url(), open_timeout=3) as client:
        client.recv(timeout=3)  # hello
        sockets.wait_connected()
        envelope_id = sockets.send_slash("today", "U0ALICE")
        envelope = json.loads(client.recv(timeout=3))
        assert envelope["envelope_id"] == envelope_id
        assert envelope["type"] == "slash_commands" and envelope["accepts_response_payload"]
        payload = envelope["payload"]
        assert (payload["command"], payload["text"], payload["user_id"]) == (
            "/recordings",
            "today",
            "U0ALICE",
        )
        assert (payload["response_url"], payload["team_id"]) == (RESPONSE_URL, TEAM_ID)
        assert payload["api_app_id"] == APP_ID
        client.send(json.dumps({"envelope_id": envelope_id}))
        assert sockets.wait_ack(envelope_id) == {"envelope_id": envelope_id}
    sockets.wait_disconnected()
