"""Requests to view a recording, answered from Slack: Tencent's signed `recording.apply` event
reaches the bot's webhook, the host gets a DM (or the admin channel a message) with Approve /
Ignore, and a click calls the emulator's `PUT /v1/records/approvals/{id}`, once."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import pytest

import bot.store.access as access_ledger
from bot.slack.access_blocks import ACTION_APPROVE_ACCESS, ACTION_IGNORE_ACCESS
from bot.tencent.webhook import parse_event
from tests.slack_env import (
    ADMIN,
    ADMIN_CHANNEL,
    MEMBER,
    SlackEnv,
    start_slack_env,
    stop_slack_env,
)

TOKEN = "webhook-test-token"
HOST = "UHOST0001"  # alice in Tencent Meeting, linked in the bot
HOST_DM = f"D{HOST}"  # the stand-in's DM with a user


@pytest.fixture
def env(tmp_path) -> Iterator[SlackEnv]:
    env = start_slack_env(tmp_path, TENCENT_MEETING_WEBHOOK_TOKEN=TOKEN)
    env.slack.add_user(HOST, name="alice", tz="Asia/Shanghai", email="alice.w@example.com")
    env.services.store.users.link(HOST, "alice", set_by=ADMIN)
    env.tencent.enable_webhooks(env.webhook_url, TOKEN)
    try:
        yield env
    finally:
        stop_slack_env(env)


def recording(env: SlackEnv, host: str = "alice") -> str:
    return env.tencent.dataset.add_meeting(
        start=time.time() - 3 * 3600, duration=600, userid=host, subject="Q3 plan <!channel>"
    )


def ask(env: SlackEnv, mid: str, requester: str = "bob", note: str = "") -> tuple[str, dict]:
    """`requester` asks to view the recording: Tencent sends the event; wait for its work."""
    apply_id, event = env.tencent.request_access(mid, requester, note=note)
    assert env.webhook is not None and env.webhook.wait_idle(5)
    return apply_id, event


def messages_in(env: SlackEnv, channel: str) -> list[dict]:
    return env.slack.messages(channel)


def buttons(message: dict) -> list[str]:
    return [
        e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]


def shown(message: dict) -> str:
    return json.dumps(message["blocks"], ensure_ascii=False)


def approval_calls(env: SlackEnv) -> list:
    return list(env.tencent.approvals.calls)


def answered(env: SlackEnv, response_url: str) -> str:
    (payload,) = env.wait_answer(response_url)
    return payload["text"]


def test_the_host_gets_a_dm_and_approves_once(env: SlackEnv) -> None:
    mid = recording(env)
    apply_id, event = ask(env, mid, note="I missed the meeting <@U0ALL>")

    (dm,) = messages_in(env, HOST_DM)
    assert buttons(dm) == [ACTION_APPROVE_ACCESS, ACTION_IGNORE_ACCESS]
    assert "*bob* asks to view the recording *Q3 plan &lt;!channel&gt;*" in shown(dm)
    assert "&lt;@U0ALL&gt;" in shown(dm)  # the note cannot ping anyone
    assert dm["metadata"]["event_payload"]["apply_id"] == apply_id

    text = answered(env, env.click(ACTION_APPROVE_ACCESS, apply_id, user=HOST, channel=HOST_DM))
    assert text.startswith("Approved: bob can now view")

    (call,) = approval_calls(env)
    assert call.status == 200 and call.meeting_record_id == mid
    assert call.body == {
        "operator_id": "alice",
        "operator_id_type": 1,
        "apply_id_list": [apply_id],
        "action": 1,
    }
    assert env.tencent.approvals.decided == {apply_id: 1}
    (dm,) = messages_in(env, HOST_DM)
    assert buttons(dm) == [] and f"Approved by <@{HOST}>" in shown(dm)
    assert dm["updated"] == 1
    row = env.services.store.access.get(apply_id)
    assert (row.decision, row.decided_by) == ("approved", HOST) and row.decided_at

    # A second click, and the same event again (a new trace id): nothing changes.
    again = answered(env, env.click(ACTION_IGNORE_ACCESS, apply_id, user=HOST, channel=HOST_DM))
    assert again.startswith("This request was already answered: :white_check_mark: Approved")
    assert env.webhook.wait_idle(5)
    env.tencent.webhooks.send_event({**event, "trace_id": str(uuid.uuid4())})
    assert env.webhook.wait_idle(5)
    assert len(approval_calls(env)) == 1
    assert len(messages_in(env, HOST_DM)) == 1
    assert env.services.store.access.get(apply_id).decision == "approved"


def test_without_a_host_in_slack_an_admin_ignores_it_in_the_admin_channel(env: SlackEnv) -> None:
    mid = recording(env, host="carol")  # nobody in Slack is carol
    apply_id, _ = ask(env, mid, requester="dave")

    assert messages_in(env, HOST_DM) == []
    (message,) = messages_in(env, ADMIN_CHANNEL)
    assert "host in Tencent Meeting: carol" in shown(message)

    text = answered(
        env, env.click(ACTION_IGNORE_ACCESS, apply_id, user=ADMIN, channel=ADMIN_CHANNEL)
    )
    assert text.startswith("Ignored: dave will not be given access")
    (call,) = approval_calls(env)
    assert call.body["action"] == 2 and call.body["operator_id"] == "carol"
    (message,) = messages_in(env, ADMIN_CHANNEL)
    assert f"Ignored by <@{ADMIN}>" in shown(message) and buttons(message) == []


def test_a_stranger_is_refused_politely_and_nothing_changes(env: SlackEnv) -> None:
    mid = recording(env)
    apply_id, _ = ask(env, mid)

    text = answered(env, env.click(ACTION_APPROVE_ACCESS, apply_id, user=MEMBER, channel=HOST_DM))

    assert text.startswith("Only the host of this recording or a bot admin")
    assert approval_calls(env) == []
    (dm,) = messages_in(env, HOST_DM)
    assert dm["updated"] == 0 and buttons(dm)
    assert env.services.store.access.get(apply_id).decision is None


def test_a_chinese_speaking_host_gets_the_request_in_chinese(env: SlackEnv) -> None:
    env.slack.add_user("UHOSTZH01", name="zhang", email="zhang@example.com", locale="zh-CN")
    env.services.store.users.link("UHOSTZH01", "zhangwei", set_by=ADMIN)
    ask(env, recording(env, host="zhangwei"), requester="bob")
    (dm,) = messages_in(env, "DUHOSTZH01")
    assert "*bob* 申请查看录制" in shown(dm)
    labels = [
        e["text"]["text"] for b in dm["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert labels == ["批准", "忽略"]


def test_the_host_is_found_by_e_mail_when_not_linked(env: SlackEnv) -> None:
    env.services.store.users.unlink(HOST)
    mid = recording(env, host="alice.w@example.com")
    ask(env, mid)
    assert len(messages_in(env, HOST_DM)) == 1
    assert messages_in(env, ADMIN_CHANNEL) == []


def test_tencent_refusing_leaves_the_request_open_for_another_click(env: SlackEnv) -> None:
    mid = recording(env)
    apply_id, _ = ask(env, mid)
    env.tencent.dataset.update(mid, userid="someone-else")  # alice no longer manages it

    text = answered(env, env.click(ACTION_APPROVE_ACCESS, apply_id, user=HOST, channel=HOST_DM))
    assert text.startswith("The request was not answered:")
    row = env.services.store.access.get(apply_id)
    assert row.decision is None
    (dm,) = messages_in(env, HOST_DM)
    assert dm["updated"] == 0 and buttons(dm)

    env.tencent.approvals.managers.add("alice")  # made a recording manager: it works now
    text = answered(env, env.click(ACTION_APPROVE_ACCESS, apply_id, user=HOST, channel=HOST_DM))
    assert text.startswith("Approved")
    assert [c.status for c in approval_calls(env)] == [400, 200]


def test_a_slack_outage_leaves_the_request_to_the_poll_cycle(env: SlackEnv) -> None:
    mid = recording(env)
    env.slack.fail("chat.postMessage", status=200, error="internal_error")
    apply_id, _ = ask(env, mid)
    assert messages_in(env, HOST_DM) == []
    assert env.services.store.access.get(apply_id).state == "failed"

    env.services.store.clock = lambda: time.time() + 3600  # its retry is due
    env.services.poller.run_cycle()

    assert len(messages_in(env, HOST_DM)) == 1
    assert env.services.store.access.get(apply_id).state == "posted"


def test_a_crash_after_posting_does_not_post_twice(env: SlackEnv, monkeypatch) -> None:
    mid = recording(env)
    store = env.services.store

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("the process died right after chat.postMessage")

    monkeypatch.setattr(store.access, "posted", crash)
    env.tencent.disable_webhooks()
    apply_id, event = env.tencent.request_access(mid, "bob", send=False)
    desk = env.services.access
    assert desk is not None
    with pytest.raises(KeyboardInterrupt):
        desk.receive(parse_event(json.dumps(event)))
    monkeypatch.undo()
    assert len(messages_in(env, HOST_DM)) == 1  # Slack has it; the ledger does not

    monkeypatch.setattr(access_ledger, "CLAIM_SECONDS", 0.0)  # the dead attempt's claim expired
    assert desk.post_due() == 0  # found in the DM's history: not posted again

    assert len(messages_in(env, HOST_DM)) == 1
    row = store.access.get(apply_id)
    assert row.state == "posted" and row.ts == messages_in(env, HOST_DM)[0]["ts"]


def test_a_malformed_request_event_is_refused_and_keeps_nothing(env: SlackEnv) -> None:
    mid = recording(env)
    _, event = env.tencent.request_access(mid, "bob", send=False)
    del event["payload"][0]["record_apply_info"]["apply_id"]
    answer = env.tencent.webhooks.send_event(event)
    assert answer is not None and answer.status_code == 400
    assert env.services.store.access.all() == []
