"""Share links unfurled over the real stack: a signed `link_shared` event in, `chat.unfurl` at
the Slack stand-in out, for the links the store knows and no others."""

from __future__ import annotations

import json
import time

from slack_sdk.models.blocks import Block

from bot.sync import sync_range

CHANNEL = "CGENERAL1"  # as in conftest.py
SECRET_PASSWORD = "864209"  # noqa: S105 (the meeting's password: it must never show)


def seed(env, **meeting) -> str:
    """One completed recording in the store; returns its share link."""
    now = time.time()
    mid = env.tencent.dataset.add_meeting(start=now - 5 * 3600, **meeting)
    sync_range(env.services.store, env.services.tencent, int(now - 86400), int(now), notify=False)
    (file,) = env.services.store.recordings.get(mid).record_files
    return file.sharing_url


def pasted(env, *urls: str) -> dict:
    """A message holding `urls` in CHANNEL, and the `link_shared` event Slack sends for it."""
    message = env.services.slack.chat_postMessage(channel=CHANNEL, text=" ".join(urls))
    return {
        "type": "link_shared",
        "channel": CHANNEL,
        "user": "UMEMBER01",
        "message_ts": message["ts"],
        "links": [{"domain": "meeting.tencent.com", "url": url} for url in urls],
        "event_ts": f"{time.time():.6f}",
    }


def test_a_known_share_link_gets_a_card_without_secrets(slack_env) -> None:
    url = seed(
        slack_env, subject="产品周会 <!channel>", userid="zhangwei", password=SECRET_PASSWORD
    )
    event = pasted(slack_env, url)

    assert slack_env.event(event).status_code == 200
    (sent,) = slack_env.slack.wait_for(lambda: slack_env.slack.unfurls)

    assert sent["channel"] == CHANNEL and sent["ts"] == event["message_ts"]
    card = sent["unfurls"][url]
    for block in card["blocks"]:
        assert Block.parse(block) is not None  # slack_sdk's own models accept it
    shown = json.dumps(card, ensure_ascii=False)
    assert "产品周会 <!channel>" in shown  # a header is plain text: Slack never parses it
    assert "zhangwei" in shown and "ready" in shown
    watch = [e for b in card["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(e["text"]["text"], e["url"]) for e in watch] == [("Watch", url)]
    assert SECRET_PASSWORD not in shown
    assert "password" not in shown.lower() and "download" not in shown.lower()


def test_unknown_links_are_left_alone(slack_env) -> None:
    known = seed(slack_env, subject="Design review")
    unknown = "https://meeting.tencent.com/user-center/shared-record-info?id=not-ours"
    event = pasted(slack_env, unknown, known)

    assert slack_env.event(event).status_code == 200
    (sent,) = slack_env.slack.wait_for(lambda: slack_env.slack.unfurls)
    assert list(sent["unfurls"]) == [known]  # the unknown link keeps Slack's own preview

    slack_env.slack.workspace.unfurls.clear()
    assert slack_env.event(pasted(slack_env, unknown)).status_code == 200
    slack_env.settle()
    assert slack_env.slack.unfurls == []
    assert len(slack_env.slack.calls_to("chat.unfurl")) == 1  # the first event's call only


def test_a_link_in_the_composer_is_unfurled_by_its_unfurl_id(slack_env) -> None:
    url = seed(slack_env, subject="Budget")
    event = {
        "type": "link_shared",
        "channel": "COMPOSER",
        "user": "UMEMBER01",
        "message_ts": "Uabc-123",
        "unfurl_id": "C123456.7890.abcd",
        "source": "composer",
        "links": [{"domain": "meeting.tencent.com", "url": url}],
        "event_ts": f"{time.time():.6f}",
    }

    assert slack_env.event(event).status_code == 200
    (sent,) = slack_env.slack.wait_for(lambda: slack_env.slack.unfurls)
    assert sent["unfurl_id"] == "C123456.7890.abcd" and list(sent["unfurls"]) == [url]


def test_a_deleted_recording_unfurls_as_deleted(slack_env) -> None:
    url = seed(slack_env, subject="Old review")
    (mid,) = [m.meeting_record_id for m in slack_env.services.store.recordings.search("Old")]
    assert slack_env.services.store.recordings.mark_deleted([mid]) == [mid]

    assert slack_env.event(pasted(slack_env, url)).status_code == 200
    (sent,) = slack_env.slack.wait_for(lambda: slack_env.slack.unfurls)
    card = sent["unfurls"][url]
    shown = json.dumps(card, ensure_ascii=False)
    assert "Recording deleted: Old review" in shown
    assert not [b for b in card["blocks"] if b["type"] == "actions"]


def test_a_recording_whose_sharing_was_turned_off_unfurls_as_such(slack_env) -> None:
    url = seed(slack_env, subject="Private review")
    (mid,) = [m.meeting_record_id for m in slack_env.services.store.recordings.search("Private")]
    slack_env.tencent.dataset.update(mid, sharing=False)
    now = time.time()
    store, tencent = slack_env.services.store, slack_env.services.tencent
    sync_range(store, tencent, int(now - 86400), int(now), notify=False)

    assert slack_env.event(pasted(slack_env, url)).status_code == 200
    (sent,) = slack_env.slack.wait_for(lambda: slack_env.slack.unfurls)
    card = sent["unfurls"][url]
    assert "Sharing is off for this recording" in json.dumps(card, ensure_ascii=False)
    assert not [b for b in card["blocks"] if b["type"] == "actions"]
