"""The Web API methods the bot calls, each a function of the workspace and the call's parameters.

A method returns the fields of an `{"ok": true, ...}` answer or raises `ApiError`; `METHODS`
names them as Slack does. Form-encoded calls carry blocks, metadata and views as JSON strings.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.emulator.slack.workspace import (
    BOT_ID,
    BOT_USER_ID,
    TEAM_ID,
    TEAM_NAME,
    ApiError,
    Workspace,
)

Params = dict[str, Any]


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def _maybe_json(value: Any) -> Any:
    """Form-encoded bodies carry blocks/metadata/view as JSON strings."""
    if isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def valid_blocks(blocks: Any, most: int = 50) -> bool:
    """Blocks Slack would take: a list of at most `most`, each one slack_sdk's own block
    models accept within Block Kit's limits (a block they drop or reject is refused)."""
    if not isinstance(blocks, list) or len(blocks) > most:
        return False
    for block in blocks:
        if not isinstance(block, dict) or not block.get("type"):
            return False
        try:
            parsed = Block.parse(block)
            if parsed is None:
                return False
            parsed.validate_json()
        except (SlackObjectFormationError, KeyError, TypeError, ValueError):
            return False
    return True


def _content(params: Params) -> tuple[str, list[dict[str, Any]] | None]:
    text = str(params.get("text") or "")
    blocks = _maybe_json(params.get("blocks"))
    if blocks is not None and not valid_blocks(blocks):
        raise ApiError("invalid_blocks")
    if not text and not blocks:
        raise ApiError("no_text")
    return text, blocks


def _api_message(message: dict[str, Any], with_metadata: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "message",
        "user": BOT_USER_ID,
        "bot_id": BOT_ID,
        "team": TEAM_ID,
        "text": message["text"],
        "ts": message["ts"],
    }
    if message["blocks"]:
        out["blocks"] = copy.deepcopy(message["blocks"])
    if message["thread_ts"]:
        out["thread_ts"] = message["thread_ts"]
    if message["updated"]:
        out["edited"] = {"user": BOT_USER_ID, "ts": message["edited_ts"]}
    if with_metadata and message["metadata"]:
        out["metadata"] = copy.deepcopy(message["metadata"])
    return out


def auth_test(ws: Workspace, params: Params) -> dict[str, Any]:
    return {
        "url": ws.url + "/",
        "team": TEAM_NAME,
        "user": "recordings-bot",
        "team_id": TEAM_ID,
        "user_id": BOT_USER_ID,
        "bot_id": BOT_ID,
        "is_enterprise_install": False,
    }


def chat_post_message(ws: Workspace, params: Params) -> dict[str, Any]:
    channel = ws.writable_channel(params.get("channel"))
    text, blocks = _content(params)
    metadata = _maybe_json(params.get("metadata"))
    message = {
        "channel": channel.id,
        "ts": ws.next_ts(),
        "text": text,
        "blocks": blocks,
        "metadata": metadata if isinstance(metadata, dict) else None,
        "thread_ts": str(params["thread_ts"]) if params.get("thread_ts") else None,
        "updated": 0,
        "edited_ts": None,
    }
    ws.messages.append(message)
    return {
        "channel": channel.id,
        "ts": message["ts"],
        "message": _api_message(message, with_metadata=True),
    }


def chat_update(ws: Workspace, params: Params) -> dict[str, Any]:
    channel = ws.resolve_channel(params.get("channel"))
    message = ws.find_message(channel, params.get("ts"))
    if channel.is_archived:
        raise ApiError("is_archived")
    text, blocks = _content({**message, **{k: v for k, v in params.items() if v}})
    message["text"], message["blocks"] = text, blocks
    metadata = _maybe_json(params.get("metadata"))
    if isinstance(metadata, dict):
        message["metadata"] = metadata
    message["updated"] += 1
    message["edited_ts"] = ws.next_ts()
    return {
        "channel": channel.id,
        "ts": message["ts"],
        "text": text,
        "message": _api_message(message, with_metadata=True),
    }


def chat_delete(ws: Workspace, params: Params) -> dict[str, Any]:
    channel = ws.resolve_channel(params.get("channel"))
    message = ws.find_message(channel, params.get("ts"))
    ws.messages.remove(message)
    return {"channel": channel.id, "ts": message["ts"]}


def chat_unfurl(ws: Workspace, params: Params) -> dict[str, Any]:
    """Cards under links in a sent message (`channel` + `ts`) or in the composer (`unfurl_id`
    + `source`), kept as sent: `{"channel", "ts", "unfurl_id", "unfurls"}`."""
    unfurls = _maybe_json(params.get("unfurls"))
    if not isinstance(unfurls, dict) or not unfurls:
        raise ApiError("invalid_unfurls_format")
    for card in unfurls.values():
        if not isinstance(card, dict) or len(card.get("blocks") or []) > 50:
            raise ApiError("invalid_blocks")
    entry: dict[str, Any] = {"unfurls": copy.deepcopy(unfurls), "unfurl_id": None}
    if params.get("unfurl_id") and params.get("source"):
        entry.update(channel=None, ts=None, unfurl_id=str(params["unfurl_id"]))
    else:
        channel = ws.resolve_channel(params.get("channel"))
        message = ws.find_message(channel, params.get("ts"))
        entry.update(channel=channel.id, ts=message["ts"])
    ws.unfurls.append(entry)
    return {}


def chat_post_ephemeral(ws: Workspace, params: Params) -> dict[str, Any]:
    channel = ws.writable_channel(params.get("channel"))
    user = str(params.get("user") or "")
    if user not in ws.users:
        raise ApiError("user_not_found")
    text, blocks = _content(params)
    ts = ws.next_ts()
    ws.ephemerals.append(
        {"channel": channel.id, "user": user, "ts": ts, "text": text, "blocks": blocks}
    )
    return {"message_ts": ts}


def chat_get_permalink(ws: Workspace, params: Params) -> dict[str, Any]:
    channel = ws.resolve_channel(params.get("channel"))
    message = ws.find_message(channel, params.get("message_ts"))
    link = f"{ws.url}/archives/{channel.id}/p{message['ts'].replace('.', '')}"
    return {"channel": channel.id, "permalink": link}


def conversations_history(ws: Workspace, params: Params) -> dict[str, Any]:
    channel = ws.resolve_channel(params.get("channel"))
    if not channel.bot_member:
        raise ApiError("not_in_channel")
    inclusive = _truthy(params.get("inclusive", False))
    oldest = float(params.get("oldest") or 0)
    latest = float(params["latest"]) if params.get("latest") else float("inf")

    def in_range(ts: float) -> bool:
        if inclusive:
            return oldest <= ts <= latest
        return oldest < ts < latest

    found = [  # like Slack: a thread's replies are not in the channel's history
        m
        for m in reversed(ws.messages)
        if m["channel"] == channel.id
        and in_range(float(m["ts"]))
        and m["thread_ts"] in (None, m["ts"])
    ]
    return {**_message_page(found, params), "pin_count": 0}


def conversations_replies(ws: Workspace, params: Params) -> dict[str, Any]:
    """A thread: its parent, then its replies, oldest first (cursor-paged like history)."""
    channel = ws.resolve_channel(params.get("channel"))
    if not channel.bot_member:
        raise ApiError("not_in_channel")
    parent = ws.find_message(channel, params.get("ts"))
    thread = [parent] + [
        m
        for m in ws.messages
        if m["channel"] == channel.id and m["thread_ts"] == parent["ts"] and m is not parent
    ]
    return _message_page(thread, params)


def _message_page(messages: list[dict[str, Any]], params: Params) -> dict[str, Any]:
    """One cursor-paged page of `messages`, as history and replies answer it."""
    try:
        limit = max(1, min(int(params.get("limit") or 100), 999))
        cursor = params.get("cursor")
        start = int(base64.urlsafe_b64decode(str(cursor)).decode()) if cursor else 0
    except (ValueError, UnicodeDecodeError) as e:
        raise ApiError("invalid_cursor") from e
    page = messages[start : start + limit]
    has_more = start + limit < len(messages)
    next_cursor = base64.urlsafe_b64encode(str(start + limit).encode()).decode() if has_more else ""
    with_metadata = _truthy(params.get("include_all_metadata", False))
    return {
        "messages": [_api_message(m, with_metadata) for m in page],
        "has_more": has_more,
        "response_metadata": {"next_cursor": next_cursor},
    }


def conversations_join(ws: Workspace, params: Params) -> dict[str, Any]:
    channel = ws.resolve_channel(params.get("channel"))
    if channel.is_private or channel.is_im:
        raise ApiError("method_not_supported_for_channel_type")
    if channel.is_archived:
        raise ApiError("is_archived")
    already = channel.bot_member
    channel.bot_member = True
    result: dict[str, Any] = {"channel": channel.to_api()}
    if already:
        result["warning"] = "already_in_channel"
    return result


def conversations_info(ws: Workspace, params: Params) -> dict[str, Any]:
    channel = ws.resolve_channel(params.get("channel"))
    if channel.is_private and not channel.bot_member:
        raise ApiError("channel_not_found")
    return {"channel": channel.to_api()}


def conversations_list(ws: Workspace, params: Params) -> dict[str, Any]:
    """Channels the bot can see (public ones, and private ones it is in), paged."""
    kinds = str(params.get("types") or "public_channel").split(",")
    exclude_archived = str(params.get("exclude_archived", "")).lower() in ("1", "true")
    visible = [
        c
        for c in ws.channels.values()
        if ("private_channel" if c.is_private else "public_channel") in kinds
        and (c.bot_member or not c.is_private)
        and not (exclude_archived and c.is_archived)
    ]
    limit = max(1, min(1000, int(params.get("limit") or 100)))
    start = int(params.get("cursor") or 0)
    page = visible[start : start + limit]
    more = start + limit < len(visible)
    return {
        "channels": [c.to_api() for c in page],
        "response_metadata": {"next_cursor": str(start + limit) if more else ""},
    }


def conversations_open(ws: Workspace, params: Params) -> dict[str, Any]:
    """The app's DM with one user (opened if need be); several users (a group DM) are not
    emulated."""
    users = [u for u in str(params.get("users") or "").split(",") if u]
    if len(users) != 1:
        raise ApiError("invalid_arguments" if users else "users_list_not_supplied")
    if users[0] not in ws.users:
        raise ApiError("user_not_found")
    return {"channel": ws.resolve_channel(users[0]).to_api()}


def users_lookup_by_email(ws: Workspace, params: Params) -> dict[str, Any]:
    email = str(params.get("email") or "").strip().lower()
    for user in ws.users.values():
        if user.email and user.email.lower() == email:
            return {"user": user.to_api()}
    raise ApiError("users_not_found")


def users_info(ws: Workspace, params: Params) -> dict[str, Any]:
    user = ws.users.get(str(params.get("user") or ""))
    if user is None:
        raise ApiError("user_not_found")
    return {"user": user.to_api(include_locale=_truthy(params.get("include_locale")))}


def views_publish(ws: Workspace, params: Params) -> dict[str, Any]:
    user_id = str(params.get("user_id") or "")
    if user_id not in ws.users:
        raise ApiError("user_not_found")
    view = _maybe_json(params.get("view"))
    if not isinstance(view, dict) or view.get("type") != "home":
        raise ApiError("invalid_arguments")
    if not valid_blocks(view.get("blocks") or [], 100):
        raise ApiError("invalid_blocks")
    stored = {**copy.deepcopy(view), "id": f"V{user_id}"}
    ws.views[user_id] = stored
    return {"view": stored}


def views_open(ws: Workspace, params: Params) -> dict[str, Any]:
    """Open a modal: it needs a trigger_id (Slack's expire in 3 s; any non-empty one here)."""
    if not str(params.get("trigger_id") or ""):
        raise ApiError("invalid_trigger_id")
    view = _modal(params)
    stored = {**view, "id": f"VM{len(ws.modals) + 1:08d}"}
    ws.modals.append(stored)
    return {"view": stored}


def views_update(ws: Workspace, params: Params) -> dict[str, Any]:
    view_id = str(params.get("view_id") or "")
    for index, open_view in enumerate(ws.modals):
        if open_view["id"] == view_id:
            stored = {**_modal(params), "id": view_id}
            ws.modals[index] = stored
            return {"view": stored}
    raise ApiError("not_found")


def _modal(params: Params) -> dict[str, Any]:
    view = _maybe_json(params.get("view"))
    if not isinstance(view, dict) or view.get("type") != "modal":
        raise ApiError("invalid_arguments")
    if not view.get("title"):
        raise ApiError("invalid_arguments")
    try:
        View(**view).validate_json()  # slack_sdk's model of a modal and its blocks
    except (SlackObjectFormationError, KeyError, TypeError, ValueError):
        raise ApiError("invalid_blocks") from None
    return copy.deepcopy(view)


Method = Callable[[Workspace, Params], dict[str, Any]]

METHODS: dict[str, Method] = {
    "auth.test": auth_test,
    "chat.postMessage": chat_post_message,
    "chat.update": chat_update,
    "chat.delete": chat_delete,
    "chat.postEphemeral": chat_post_ephemeral,
    "chat.unfurl": chat_unfurl,
    "chat.getPermalink": chat_get_permalink,
    "conversations.history": conversations_history,
    "conversations.replies": conversations_replies,
    "conversations.join": conversations_join,
    "conversations.info": conversations_info,
    "conversations.list": conversations_list,
    "conversations.open": conversations_open,
    "users.info": users_info,
    "users.lookupByEmail": users_lookup_by_email,
    "views.publish": views_publish,
    "views.open": views_open,
    "views.update": views_update,
}
