"""Recordings held by a quarantined route (bot/routing.py): completed, routed nowhere, and
waiting for the routes to change. A short list in bot_state, with the routes it was last
routed on (`routes_key`; None when that is not known, so the next poll cycle routes it again).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from bot.store import Store

KEY = "routing.held"


@dataclass(frozen=True)
class HeldList:
    ids: list[str]
    routes_key: str | None


def held_list(store: Store) -> HeldList:
    """The recordings held now (oldest first) and the routes they were last routed on."""
    value = store.state.get(KEY)
    if not isinstance(value, dict) or not isinstance(value.get("ids"), list):
        return HeldList([], None)
    key = value.get("routes")
    ids = [str(i) for i in value["ids"]]
    return HeldList(ids, key if isinstance(key, str) else None)


def _save(store: Store, ids: list[str], routes_key: str | None) -> None:
    if ids:
        store.state.set(KEY, {"ids": ids, "routes": routes_key})
    else:
        store.state.delete(KEY)


def hold(store: Store, ids: Iterable[str], routes_key: str) -> None:
    """Remember these recordings as held, routed on `routes_key` (joins the caller's
    transaction)."""
    new = list(ids)
    if not new:
        return
    with store.transaction():
        now = held_list(store)
        same = not now.ids or now.routes_key == routes_key
        _save(store, list(dict.fromkeys(now.ids + new)), routes_key if same else None)


def settle(store: Store, routed: Iterable[str], still_held: Iterable[str], routes_key: str) -> None:
    """Recordings `routed` on `routes_key` again: those not `still_held` are no longer held.
    Ones held meanwhile on other routes keep the list due for another routing."""
    done, kept = set(routed), set(still_held)
    with store.transaction():
        now = held_list(store)
        ids = [i for i in now.ids if i not in done or i in kept]
        others = [i for i in now.ids if i not in done]
        same = not others or now.routes_key == routes_key
        _save(store, ids, routes_key if same else None)
