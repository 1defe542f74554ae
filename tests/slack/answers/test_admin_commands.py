"""bot.slack.answers.admin_commands: the admin forms of `/recordings` over the real stack (route
add/list/remove/default, link, status). An admin changes the store; anyone else is told it is
for admins and nothing changes."""

from __future__ import annotations

import json
import time

import pytest

from bot.models import RecordMeeting

ADMIN, MEMBER, GUEST = "UADMIN001", "UMEMBER01", "UGUEST001"  # as in conftest.py
CHANNEL = "CGENERAL1"


def ask(env, text: str, user: str = ADMIN) -> dict:
    response, url = env.slash(text, user=user)
    assert response.status_code == 200
    return env.wait_answer(url)[0]


def store_state(env) -> tuple:
    store = env.services.store
    routes = [(r.id, r.channel, r.is_default, r.match_host) for r in store.routes.list()]
    return routes, store.users.links()


@pytest.mark.parametrize(
    "text",
    [
        f"route add <#{CHANNEL}|general> host:alice",
        "route list",
        "route remove 1",
        f"route default <#{CHANNEL}>",
        f"link <@{MEMBER}> alice",
        "status",
    ],
)
@pytest.mark.parametrize("user", [MEMBER, GUEST])
def test_non_admins_change_nothing(slack_env, text, user):
    store = slack_env.services.store
    store.routes.set_default(CHANNEL)
    before = store_state(slack_env)
    answer = ask(slack_env, text, user=user)
    assert "for admins only" in answer["text"] or "guests" in answer["text"]
    assert answer["response_type"] == "ephemeral"
    assert store_state(slack_env) == before


def test_route_add_list_remove(slack_env):
    store = slack_env.services.store
    answer = ask(slack_env, f"route add <#{CHANNEL}|general> host:alice subject:周会 password:show")
    assert answer["text"].startswith("Route added: #")
    assert f"<#{CHANNEL}>" in answer["text"] and "host=alice" in answer["text"]
    (route,) = store.routes.list()
    assert (route.channel, route.match_host, route.match_subject) == (CHANNEL, "alice", "周会")
    assert route.password_policy == "show" and route.created_by == ADMIN

    listed = ask(slack_env, "route list")["text"]
    assert f"#{route.id}" in listed and "subject contains 周会" in listed

    removed = ask(slack_env, f"route remove {route.id}")["text"]
    assert removed.startswith("Route removed:")
    assert store.routes.list() == []
    assert "No routes yet" in ask(slack_env, "route list")["text"]
    assert "there is no route" in ask(slack_env, f"route remove {route.id}")["text"]


def test_route_conditions_are_escaped_in_the_reply(slack_env):
    answer = ask(slack_env, f"route add <#{CHANNEL}> subject:&lt;!channel&gt;")
    assert "&lt;!channel&gt;" in answer["text"]
    assert "<!channel>" not in json.dumps(answer["blocks"])
    assert f"<#{CHANNEL}>" in answer["text"]


def test_route_add_with_bad_input_changes_nothing(slack_env):
    store = slack_env.services.store
    bad_option = ask(slack_env, f"route add <#{CHANNEL}> colour:blue")
    assert bad_option["text"].startswith("Nothing changed:")
    unknown_channel = ask(slack_env, "route add <#CNOSUCH99>")
    assert "was not found" in unknown_channel["text"]
    assert store.routes.list() == []


@pytest.mark.parametrize(
    ("regex", "why"),
    [(r"(\w)\1", "backreferences"), ("(?&lt;!x)y", "lookbehinds"), ("^(?=.*a)", "lookaheads")],
)
def test_route_add_refuses_a_regex_re2_cannot_run(slack_env, regex, why):
    answer = ask(slack_env, f"route add <#{CHANNEL}> subject~{regex}")
    assert answer["text"].startswith("Nothing changed:")
    assert why in answer["text"] and "linear time" in answer["text"]
    assert slack_env.services.store.routes.list() == []


def test_an_identical_route_is_refused_as_a_duplicate(slack_env):
    store = slack_env.services.store
    ask(slack_env, f"route add <#{CHANNEL}|general> host:alice password:button")
    (route,) = store.routes.list()
    again = ask(slack_env, f"route add <#{CHANNEL}> password:button host:alice")
    assert again["text"].startswith("Nothing changed:")
    assert f"route #{route.id} is identical" in again["text"]
    assert store.routes.list() == [route]


def test_route_default(slack_env):
    answer = ask(slack_env, f"route default <#{CHANNEL}|general>")
    assert answer["text"].startswith("Default route set:")
    default = slack_env.services.store.routes.default()
    assert default is not None and default.channel == CHANNEL


def test_link(slack_env):
    answer = ask(slack_env, f"link <@{MEMBER}|mo> li.na")
    assert f"<@{MEMBER}>" in answer["text"] and "`li.na`" in answer["text"]
    assert slack_env.services.store.users.linked_userid(MEMBER) == "li.na"
    bad = ask(slack_env, f"link <@{MEMBER}> <script>")
    assert bad["text"].startswith("Nothing changed:")
    assert slack_env.services.store.users.linked_userid(MEMBER) == "li.na"


def test_workspace_admins_from_users_info_are_admins(slack_env):
    slack_env.slack.add_user("UOWNER001", name="olga", is_owner=True)
    ask(slack_env, f"link <@{MEMBER}> alice", user="UOWNER001")
    assert slack_env.services.store.users.linked_userid(MEMBER) == "alice"


def test_status_shows_poller_budget_stuck_and_errors(slack_env):
    store = slack_env.services.store
    now = time.time()
    store.state.set("poller.last_started_at", now - 30)
    store.state.set("poller.last_success_at", now - 20)
    store.state.set("poller.next_run_at", now + 100)
    store.state.set("poller.last_error", {"at": now - 500, "message": "Tencent <!here> down"})
    stuck = RecordMeeting(
        meeting_record_id="r-stuck",
        meeting_id="m1",
        meeting_code="1",
        userid="alice",
        media_start_time=int((now - 4 * 86400) * 1000),
        subject="Stuck <@U1> talk",
        state=2,
    )
    store.recordings.save_meetings([stuck])
    store.recordings.mark_stuck(["r-stuck"])
    for _ in range(3):
        store.budget.try_acquire("corp_records", limit=10, window=60.5, priority="background")
    answer = ask(slack_env, "status")
    shown = json.dumps(answer["blocks"], ensure_ascii=False)
    assert answer["text"].startswith("Recordings bot status: healthy")
    assert f"<!date^{int(now - 20)}^" in shown  # last poll as a date token
    assert f"<!date^{int(now + 100)}^" in shown  # next poll
    assert "Stuck &lt;@U1&gt; talk" in shown and "<@U1>" not in shown
    assert "3 in the last minute (limit 10 a minute)" in shown
    assert "Tencent &lt;!here&gt; down" in shown and "<!here>" not in shown
    assert "Undelivered posts:* 0" in shown and "Broken routes:* 0" in shown
