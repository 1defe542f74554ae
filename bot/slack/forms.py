"""The admins' forms (Block Kit modals): a route (add or edit) and a person's link.

Pure rendering and reading: `route_form` / `link_form` build the views, `route_form_fields`
reads a submitted route form into option tokens (`host:alice`, `password:hide`, ...), the same
tokens `/recordings route add` and `recordings-bot routes add` take, so all three are checked
by one function (bot.admin).
"""

from __future__ import annotations

from typing import Any

from bot.i18n import N_, _
from bot.models import CONTENT_LANGS, PASSWORD_POLICIES, SUMMARY_POLICIES, Route
from bot.slack.blocks import BlockDict, plain

ROUTE_FORM = "route_form"  # callback_id; private_metadata: the edited route's id, or ""
LINK_FORM = "link_form"
ACTION_ADD_ROUTE = "route_add"
ACTION_ROUTE_MENU = "route_menu"  # a route's overflow menu: edit:ID / remove:ID
ACTION_LINK_PERSON = "link_person"
VALUE = "value"  # every input's action_id

# The route form's blocks, in order: (block_id, the option it sets)
CHANNEL, HOST, SUBJECT, SUBJECT_REGEX, CODE = "channel", "host", "subject", "subject_regex", "code"
PASSWORD, DOWNLOAD, LANG, SUMMARY = "password", "download", "lang", "summary"
TEXT_OPTIONS = {HOST: "host:", SUBJECT: "subject:", SUBJECT_REGEX: "subject~", CODE: "code:"}
CHOICE_OPTIONS = {
    PASSWORD: "password:",
    DOWNLOAD: "download:",
    LANG: "lang:",
    SUMMARY: "summary:",
}
LINK_USER, LINK_USERID = "user", "userid"

_PASSWORD_LABELS = {
    "show": N_("Show it in the message"),
    "button": N_("A button shows it to whoever clicks"),
    "hide": N_("Never in Slack"),
}
_SUMMARY_LABELS = {
    "thread": N_("In the thread, when shared company-wide"),
    "always": N_("In the thread, always"),
    "off": N_("Never"),
}
_LANG_LABELS = {"default": N_("The meeting's own"), "zh": "中文", "en": "English", "ja": "日本語"}


def _option(value: str, label: str) -> dict[str, Any]:
    return {"text": plain(_(label), 75), "value": value}


def _text_input(
    block_id: str, label: str, initial: str | None, hint: str, *, placeholder: str = ""
) -> BlockDict:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": VALUE, "max_length": 300}
    if initial:
        element["initial_value"] = initial
    if placeholder:
        element["placeholder"] = plain(placeholder, 150)
    return {
        "type": "input",
        "block_id": block_id,
        "optional": True,
        "label": plain(_(label), 2000),
        "hint": plain(_(hint), 2000),
        "element": element,
    }


def _select(block_id: str, label: str, choices: dict[str, str], initial: str) -> BlockDict:
    options = [_option(value, text) for value, text in choices.items()]
    chosen = next(o for o in options if o["value"] == initial)
    return {
        "type": "input",
        "block_id": block_id,
        "label": plain(_(label), 2000),
        "element": {
            "type": "static_select",
            "action_id": VALUE,
            "options": options,
            "initial_option": chosen,
        },
    }


def route_form(route: Route | None = None) -> dict[str, Any]:
    """The modal that adds a route, or edits `route`."""
    channel: dict[str, Any] = {
        "type": "conversations_select",
        "action_id": VALUE,
        "filter": {
            "include": ["public", "private"],
            "exclude_bot_users": True,
            "exclude_external_shared_channels": True,
        },
    }
    if route is not None:
        channel["initial_conversation"] = route.channel
    password = route.password_policy if route else "button"
    blocks: list[BlockDict] = [
        {
            "type": "input",
            "block_id": CHANNEL,
            "label": plain(_("Channel"), 2000),
            "hint": plain(_("A private channel needs the bot invited first (/invite)."), 2000),
            "element": channel,
        },
        _text_input(
            HOST,
            N_("Host"),
            route.match_host if route else None,
            N_("Only recordings of this Tencent Meeting userid. Empty: any host."),
        ),
        _text_input(
            SUBJECT,
            N_("Subject words"),
            route.match_subject if route else None,
            N_("Only subjects containing these words. Empty: any subject."),
            placeholder="周会",
        ),
        _text_input(
            SUBJECT_REGEX,
            N_("Subject pattern"),
            route.match_subject_regex if route else None,
            N_("A regular expression the subject must match (instead of words)."),
            placeholder="^(周会|例会)",
        ),
        _text_input(
            CODE,
            N_("Meeting code"),
            route.match_code if route else None,
            N_("Only recordings of this meeting code (its digits)."),
            placeholder="123456789",
        ),
        _select(
            PASSWORD,
            N_("Password"),
            {p: _PASSWORD_LABELS[p] for p in PASSWORD_POLICIES},
            password,
        ),
        _select(
            DOWNLOAD,
            N_("Download button"),
            {"off": N_("Off"), "on": N_("On")},
            "on" if route and route.download else "off",
        ),
        _select(
            SUMMARY,
            N_("AI minutes"),
            {s: _SUMMARY_LABELS[s] for s in SUMMARY_POLICIES},
            route.summary if route else "thread",
        ),
        _select(
            LANG,
            N_("Language of the messages and minutes"),
            {c: _LANG_LABELS.get(c, c) for c in CONTENT_LANGS},
            route.lang if route else "default",
        ),
    ]
    editing = route is not None and route.id is not None
    return {
        "type": "modal",
        "callback_id": ROUTE_FORM,
        "private_metadata": str(route.id) if editing and route else "",
        "title": plain(
            _("Edit route #{id}").format(id=route.id) if editing and route else _("Add a route"),
            24,
        ),
        "submit": plain(_("Save"), 24),
        "close": plain(_("Cancel"), 24),
        "blocks": blocks,
    }


def link_form() -> dict[str, Any]:
    """The modal that links a Slack user to a Tencent Meeting userid."""
    return {
        "type": "modal",
        "callback_id": LINK_FORM,
        "title": plain(_("Link a person"), 24),
        "submit": plain(_("Link"), 24),
        "close": plain(_("Cancel"), 24),
        "blocks": [
            {
                "type": "input",
                "block_id": LINK_USER,
                "label": plain(_("Slack user"), 2000),
                "element": {"type": "users_select", "action_id": VALUE},
            },
            {
                "type": "input",
                "block_id": LINK_USERID,
                "label": plain(_("Tencent Meeting userid"), 2000),
                "hint": plain(_("As the Tencent Meeting admin console shows it."), 2000),
                "element": {"type": "plain_text_input", "action_id": VALUE, "max_length": 128},
            },
        ],
    }


def submitted(view: dict[str, Any]) -> dict[str, str]:
    """A submitted view's values by block_id (text, chosen option, channel or user)."""
    values: dict[str, str] = {}
    for block_id, actions in ((view.get("state") or {}).get("values") or {}).items():
        element = (actions or {}).get(VALUE) or {}
        value = (
            element.get("value")
            or (element.get("selected_option") or {}).get("value")
            or element.get("selected_conversation")
            or element.get("selected_user")
        )
        if isinstance(value, str) and value.strip():
            values[block_id] = value.strip()
    return values


def route_form_fields(values: dict[str, str]) -> list[tuple[str, str]]:
    """(block_id, option token) for each filled option field of a route form."""
    fields = [
        (block, name + values[block]) for block, name in TEXT_OPTIONS.items() if block in values
    ]
    fields += [
        (block, name + values[block]) for block, name in CHOICE_OPTIONS.items() if block in values
    ]
    return fields
