"""The admins' forms, driven through the real Bolt app with signed requests: App Home's Add
route / Link a person and each route's menu open modals in the stand-in; a submission is
checked field by field (errors shown in the form), applied through the same functions as the
commands, told to the admin channel; a non-admin's forged click or submission changes nothing."""

from __future__ import annotations

import json
import logging

import pytest
from slack_sdk.models.views import View

from bot.models import RouteSpec
from bot.slack.forms import (
    ACTION_ADD_ROUTE,
    ACTION_LINK_PERSON,
    ACTION_ROUTE_MENU,
    LINK_FORM,
    ROUTE_FORM,
)
from tests.slack_env import ADMIN, ADMIN_CHANNEL, CHANNEL, MEMBER, SlackEnv

ARCHIVED = "CARCHIVE1"


def text(value: str) -> dict:
    return {"type": "plain_text_input", "value": value}


def choice(value: str) -> dict:
    return {"type": "static_select", "selected_option": {"value": value}}


def channel(value: str) -> dict:
    return {"type": "conversations_select", "selected_conversation": value}


def opened(env: SlackEnv, callback_id: str) -> dict:
    env.settle()
    modals = [m for m in env.slack.modals if m["callback_id"] == callback_id]
    assert modals, f"no {callback_id} modal was opened"
    View(**modals[-1]).validate_json()  # slack_sdk's own block models accept it
    return modals[-1]


def route_values(**fields: dict) -> dict[str, dict]:
    values = {
        "channel": channel(CHANNEL),
        "password": choice("button"),
        "download": choice("off"),
        "summary": choice("thread"),
        "lang": choice("default"),
    }
    values.update(fields)
    return values


def errors_of(answer) -> dict:
    assert answer.status_code == 200
    body = json.loads(answer.text)
    assert body["response_action"] == "errors"
    return body["errors"]


def admin_notices(env: SlackEnv) -> list[str]:
    return [m["text"] for m in env.slack.messages(ADMIN_CHANNEL)]


def test_app_home_gives_admins_the_forms_and_members_none(slack_env: SlackEnv) -> None:
    store = slack_env.services.store
    store.routes.add(CHANNEL, RouteSpec(match_host="alice"))
    from bot.slack.answers.home_tab import publish_home

    admin_view = publish_home(slack_env.deps, slack_env.services.slack, ADMIN)
    member_view = publish_home(slack_env.deps, slack_env.services.slack, MEMBER)

    View(**admin_view).validate_json()
    View(**member_view).validate_json()
    shown = json.dumps(admin_view)
    assert ACTION_ADD_ROUTE in shown and ACTION_LINK_PERSON in shown
    assert ACTION_ROUTE_MENU in shown
    assert not {ACTION_ADD_ROUTE, ACTION_LINK_PERSON, ACTION_ROUTE_MENU} & set(
        json.dumps(member_view).replace('"', " ").split()
    )


def test_an_admin_adds_a_route_through_the_form(slack_env: SlackEnv) -> None:
    slack_env.home_click(ACTION_ADD_ROUTE, ADMIN)
    form = opened(slack_env, ROUTE_FORM)
    assert form["private_metadata"] == ""

    answer = slack_env.submit(
        form,
        route_values(host=text("alice"), subject=text("周会"), password=choice("hide")),
        ADMIN,
    )

    assert answer.status_code == 200 and answer.text == ""  # the modal closes
    (route,) = slack_env.services.store.routes.list()
    assert (route.channel, route.match_host, route.match_subject) == (CHANNEL, "alice", "周会")
    assert route.password_policy == "hide" and route.created_by == ADMIN
    slack_env.settle()
    (notice,) = admin_notices(slack_env)
    assert notice.startswith(f"<@{ADMIN}> added route") and "alice" in notice
    assert "周会" in json.dumps(slack_env.slack.views[ADMIN], ensure_ascii=False)


@pytest.mark.parametrize(
    ("fields", "block", "says"),
    [
        ({"subject_regex": text("(unclosed")}, "subject_regex", "regex"),
        ({"subject_regex": text(r"(a)\1")}, "subject_regex", ""),  # RE2 has no backreferences
        ({"code": text("abc")}, "code", "not a meeting code"),
        ({"subject": text("周会"), "subject_regex": text("^周会")}, "subject_regex", "not both"),
        ({"channel": channel(ARCHIVED)}, "channel", "archived"),
        ({"channel": channel("CNOSUCH01")}, "channel", "not found"),
    ],
)
def test_invalid_input_shows_inline_and_changes_nothing(
    slack_env: SlackEnv, fields: dict, block: str, says: str
) -> None:
    slack_env.slack.workspace.add_channel(ARCHIVED, "old", is_archived=True)
    slack_env.home_click(ACTION_ADD_ROUTE, ADMIN)
    form = opened(slack_env, ROUTE_FORM)

    errors = errors_of(slack_env.submit(form, route_values(**fields), ADMIN))

    assert list(errors) == [block]
    assert says.lower() in errors[block].lower() and len(errors[block]) <= 150
    assert slack_env.services.store.routes.list() == []
    slack_env.settle()
    assert admin_notices(slack_env) == []


def test_a_duplicate_route_is_refused_in_the_form(slack_env: SlackEnv) -> None:
    slack_env.services.store.routes.add(CHANNEL, RouteSpec(match_host="alice"))
    slack_env.home_click(ACTION_ADD_ROUTE, ADMIN)
    form = opened(slack_env, ROUTE_FORM)

    errors = errors_of(slack_env.submit(form, route_values(host=text("alice")), ADMIN))

    assert "identical" in errors["channel"]
    assert len(slack_env.services.store.routes.list()) == 1


def test_an_admin_edits_and_removes_a_route_from_its_menu(slack_env: SlackEnv) -> None:
    store = slack_env.services.store
    old = store.routes.add(CHANNEL, RouteSpec(match_host="alice", download=True))
    slack_env.home_click(ACTION_ROUTE_MENU, ADMIN, selected=f"edit:{old.id}")
    form = opened(slack_env, ROUTE_FORM)
    assert form["private_metadata"] == str(old.id)
    shown = json.dumps(form["blocks"])
    assert '"initial_value": "alice"' in shown and f'"initial_conversation": "{CHANNEL}"' in shown

    answer = slack_env.submit(form, route_values(host=text("bob.smith")), ADMIN)

    assert answer.text == ""
    (route,) = store.routes.list()
    assert route.match_host == "bob.smith" and not route.download
    slack_env.settle()
    assert admin_notices(slack_env)[-1].startswith(f"<@{ADMIN}> edited route #{old.id}")

    slack_env.home_click(ACTION_ROUTE_MENU, ADMIN, selected=f"remove:{route.id}")
    slack_env.settle()
    assert store.routes.list() == []
    assert admin_notices(slack_env)[-1].startswith(f"<@{ADMIN}> removed route")


def test_an_admin_links_a_person_through_the_form(slack_env: SlackEnv) -> None:
    slack_env.home_click(ACTION_LINK_PERSON, ADMIN)
    form = opened(slack_env, LINK_FORM)

    bad = errors_of(
        slack_env.submit(
            form, {"user": {"selected_user": MEMBER}, "userid": text("no spaces allowed")}, ADMIN
        )
    )
    assert "userid" in bad
    answer = slack_env.submit(
        form, {"user": {"selected_user": MEMBER}, "userid": text("mo.tencent")}, ADMIN
    )

    assert answer.text == ""
    assert slack_env.services.store.users.linked_userid(MEMBER) == "mo.tencent"
    slack_env.settle()
    assert admin_notices(slack_env) == [f"<@{ADMIN}> linked <@{MEMBER}> to `mo.tencent`"]


def test_a_members_forged_clicks_and_submissions_change_nothing(
    slack_env: SlackEnv, caplog
) -> None:
    store = slack_env.services.store
    route = store.routes.add(CHANNEL, RouteSpec(match_host="alice"))
    caplog.set_level(logging.WARNING, logger="bot.slack.answers.forms")

    slack_env.home_click(ACTION_ADD_ROUTE, MEMBER)
    slack_env.home_click(ACTION_ROUTE_MENU, MEMBER, selected=f"remove:{route.id}")
    slack_env.settle()
    forged_route = {
        "type": "modal",
        "callback_id": ROUTE_FORM,
        "private_metadata": "",
        "blocks": [],
    }
    forged_link = {"type": "modal", "callback_id": LINK_FORM, "private_metadata": "", "blocks": []}
    route_errors = errors_of(slack_env.submit(forged_route, route_values(), MEMBER))
    link_errors = errors_of(
        slack_env.submit(
            forged_link, {"user": {"selected_user": MEMBER}, "userid": text("boss")}, MEMBER
        )
    )

    assert slack_env.slack.modals == []
    assert [r.id for r in store.routes.list()] == [route.id]
    assert store.users.linked_userid(MEMBER) is None
    assert "Only admins" in route_errors["channel"] and "Only admins" in link_errors["user"]
    refused = [r.getMessage() for r in caplog.records if "not an admin" in r.getMessage()]
    assert len(refused) == 4
    slack_env.settle()
    assert admin_notices(slack_env) == []
