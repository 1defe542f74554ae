"""The stand-in's Web API methods, driven by the real slack_sdk.WebClient over loopback."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

import pytest

from tests.emulator.slack.web_client import TOKEN, api_error


def test_post_message_stores_text_blocks_metadata(slack, client):
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hello*"}}]
    metadata = {"event_type": "tencent_recording_posted", "event_payload": {"id": "r1"}}
    first = client.chat_postMessage(channel="C100", text="hello", blocks=blocks, metadata=metadata)
    second = client.chat_postMessage(channel="C100", text="again")
    assert first["channel"] == "C100" and first["message"]["text"] == "hello"
    assert float(second["ts"]) > float(first["ts"])
    assert len(first["ts"].split(".")[1]) == 6
    stored = slack.messages("C100")
    assert [m["text"] for m in stored] == ["hello", "again"]
    assert stored[0]["blocks"] == blocks and stored[0]["metadata"] == metadata
    assert stored[0]["updated"] == 0 and stored[1]["metadata"] is None
    assert slack.calls_to("chat.postMessage")[0]["channel"] == "C100"


def test_post_message_form_encoded_and_by_name(slack):
    body = "channel=%23recordings&text=plain&blocks=" + urllib.parse.quote(
        json.dumps([{"type": "divider"}])
    )
    request = urllib.request.Request(
        slack.api_url + "chat.postMessage",
        data=body.encode(),
        headers={
            "Authorization": f"Bearer {TOKEN}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        answer = json.load(response)
    assert answer["ok"] is True and answer["channel"] == "C100"
    assert slack.messages("C100")[0]["blocks"] == [{"type": "divider"}]


@pytest.mark.parametrize(
    ("channel", "error"),
    [
        ("C999", "channel_not_found"),
        ("C300", "is_archived"),
        ("C400", "not_in_channel"),
        ("C500", "not_in_channel"),
    ],
)
def test_post_message_channel_errors(slack, client, channel, error):
    failure = api_error(client.chat_postMessage, channel=channel, text="x")
    assert failure.response["error"] == error
    assert failure.response.status_code == 200
    assert slack.messages() == []


def test_post_message_needs_content_and_valid_blocks(client):
    with pytest.warns(UserWarning):
        assert api_error(client.chat_postMessage, channel="C100").response["error"] == "no_text"
    too_many = [{"type": "divider"}] * 51
    error = api_error(client.chat_postMessage, channel="C100", text="x", blocks=too_many)
    assert error.response["error"] == "invalid_blocks"
    # Each block must pass slack_sdk's own models, Block Kit's limits included.
    long_header = [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}]
    unknown = [{"type": "no-such-block"}]
    for blocks in (long_header, unknown):
        error = api_error(client.chat_postMessage, channel="C100", text="x", blocks=blocks)
        assert error.response["error"] == "invalid_blocks"


def test_post_to_user_opens_dm(slack, client):
    answer = client.chat_postMessage(channel="U100", text="dm")
    assert answer["channel"] == "DU100"
    assert slack.messages("DU100")[0]["text"] == "dm"


def test_chat_update(slack, client):
    posted = client.chat_postMessage(channel="C100", text="v1", metadata={"event_type": "a"})
    updated = client.chat_update(
        channel="C100",
        ts=posted["ts"],
        text="v2",
        blocks=[{"type": "section", "text": {"type": "plain_text", "text": "v2"}}],
    )
    assert updated["ts"] == posted["ts"] and updated["text"] == "v2"
    client.chat_update(channel="C100", ts=posted["ts"], text="v3")
    (message,) = slack.messages("C100")
    assert message["text"] == "v3" and message["updated"] == 2
    assert message["blocks"][0]["text"]["text"] == "v2"  # blocks kept when not sent
    assert message["metadata"] == {"event_type": "a"}
    missing = api_error(client.chat_update, channel="C100", ts="1.000001", text="x")
    assert missing.response["error"] == "message_not_found"
    elsewhere = api_error(client.chat_update, channel="C999", ts=posted["ts"], text="x")
    assert elsewhere.response["error"] == "channel_not_found"


def test_chat_delete(slack, client):
    posted = client.chat_postMessage(channel="C100", text="gone")
    client.chat_delete(channel="C100", ts=posted["ts"])
    assert slack.messages("C100") == []


def test_post_ephemeral(slack, client):
    answer = client.chat_postEphemeral(channel="C100", user="U100", text="only you")
    assert answer["message_ts"]
    assert slack.ephemerals == [
        {
            "channel": "C100",
            "user": "U100",
            "ts": answer["message_ts"],
            "text": "only you",
            "blocks": None,
        }
    ]
    assert slack.messages() == []
    error = api_error(client.chat_postEphemeral, channel="C400", user="U100", text="x")
    assert error.response["error"] == "not_in_channel"


def test_get_permalink(client):
    posted = client.chat_postMessage(channel="C100", text="x")
    link = client.chat_getPermalink(channel="C100", message_ts=posted["ts"])["permalink"]
    assert "/archives/C100/p" in link and posted["ts"].replace(".", "") in link
    error = api_error(client.chat_getPermalink, channel="C100", message_ts="2.000000")
    assert error.response["error"] == "message_not_found"


def test_history_order_range_paging_and_metadata(slack, client):
    stamps = [
        client.chat_postMessage(
            channel="C100", text=f"m{i}", metadata={"event_type": "t", "event_payload": {"i": i}}
        )["ts"]
        for i in range(5)
    ]
    client.chat_postMessage(channel="C0GENERAL", text="other channel")
    plain = client.conversations_history(channel="C100")
    assert [m["text"] for m in plain["messages"]] == ["m4", "m3", "m2", "m1", "m0"]
    assert all("metadata" not in m for m in plain["messages"])
    with_meta = client.conversations_history(channel="C100", include_all_metadata=True)
    assert with_meta["messages"][0]["metadata"] == {"event_type": "t", "event_payload": {"i": 4}}

    ranged = client.conversations_history(channel="C100", oldest=stamps[1], latest=stamps[4])
    assert [m["text"] for m in ranged["messages"]] == ["m3", "m2"]
    inclusive = client.conversations_history(
        channel="C100", oldest=stamps[1], latest=stamps[4], inclusive=True
    )
    assert [m["text"] for m in inclusive["messages"]] == ["m4", "m3", "m2", "m1"]

    seen, cursor = [], None
    while True:
        page = client.conversations_history(channel="C100", limit=2, cursor=cursor)
        seen += [m["text"] for m in page["messages"]]
        cursor = page["response_metadata"]["next_cursor"]
        assert page["has_more"] is bool(cursor)
        if not cursor:
            break
    assert seen == ["m4", "m3", "m2", "m1", "m0"]
    error = api_error(client.conversations_history, channel="C400")
    assert error.response["error"] == "not_in_channel"


def test_history_shows_edits(client):
    ts = client.chat_postMessage(channel="C100", text="a")["ts"]
    client.chat_update(channel="C100", ts=ts, text="b")
    (message,) = client.conversations_history(channel="C100")["messages"]
    assert message["text"] == "b" and message["edited"]["ts"] != ts


def test_conversations_join(slack, client):
    answer = client.conversations_join(channel="C400")
    assert answer["channel"]["is_member"] is True
    client.chat_postMessage(channel="C400", text="now inside")
    assert slack.messages("C400")[0]["text"] == "now inside"
    private = api_error(client.conversations_join, channel="C500")
    assert private.response["error"] == "method_not_supported_for_channel_type"
    archived = api_error(client.conversations_join, channel="C300")
    assert archived.response["error"] == "is_archived"
    unknown = api_error(client.conversations_join, channel="C999")
    assert unknown.response["error"] == "channel_not_found"


def test_conversations_info(client):
    info = client.conversations_info(channel="C200")["channel"]
    assert info["is_private"] is True and info["name"] == "secret" and info["is_member"] is True
    archived = client.conversations_info(channel="C300")["channel"]
    assert archived["is_archived"] is True
    assert api_error(client.conversations_info, channel="C999").response["error"] == (
        "channel_not_found"
    )


def test_users_info(client):
    user = client.users_info(user="U100")["user"]
    assert user["tz"] == "America/New_York"
    assert user["tz_offset"] in (-5 * 3600, -4 * 3600)
    assert user["is_admin"] is True and user["is_owner"] is False
    assert user["profile"]["email"] == "wang@example.com"
    guest = client.users_info(user="U200")["user"]
    assert guest["is_restricted"] and guest["is_ultra_restricted"] and guest["tz_offset"] == 28800
    assert "email" not in guest["profile"]
    assert api_error(client.users_info, user="U999").response["error"] == "user_not_found"
    assert "locale" not in user  # only with include_locale, as Slack does
    assert client.users_info(user="U100", include_locale=True)["user"]["locale"] == "en-US"


def test_views_open_and_update(slack, client):
    modal = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "A form"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}],
    }
    assert api_error(client.views_open, trigger_id="", view=modal).response["error"] == (
        "invalid_trigger_id"
    )
    opened = client.views_open(trigger_id="t1", view=modal)["view"]
    updated = [{"type": "divider"}]
    client.views_update(view_id=opened["id"], view={**modal, "blocks": updated})
    assert slack.modals[-1]["blocks"] == updated and slack.modals[-1]["id"] == opened["id"]
    too_long = {**modal, "title": {"type": "plain_text", "text": "x" * 25}}
    assert api_error(client.views_open, trigger_id="t2", view=too_long).response["error"] == (
        "invalid_blocks"
    )


def test_conversations_open_and_lookup_by_email(client):
    dm = client.conversations_open(users="U100")["channel"]
    assert dm["id"] == "DU100" and dm["is_im"]
    client.chat_postMessage(channel=dm["id"], text="hello")
    assert client.users_lookupByEmail(email="WANG@example.com")["user"]["id"] == "U100"
    missing = api_error(client.users_lookupByEmail, email="nobody@example.com")
    assert missing.response["error"] == "users_not_found"


def test_views_publish(slack, client):
    view = {"type": "home", "blocks": [{"type": "divider"}]}
    client.views_publish(user_id="U100", view=view)
    client.views_publish(user_id="U100", view={"type": "home", "blocks": []})
    assert slack.views["U100"]["blocks"] == []
    bad = api_error(client.views_publish, user_id="U100", view={"type": "modal"})
    assert bad.response["error"] == "invalid_arguments"
