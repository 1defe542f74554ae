"""Routing recordings held by a quarantined route again once the routes change.

A completed recording that a quarantined route might have matched is posted nowhere and
remembered (bot/store/held.py). When an admin changes the routes (bot/admin.py), and at the
next poll cycle after any change, the held recordings are routed again on the routes stored
now: each that no quarantined route holds any more gets its deliveries planned (pending, so
the deliverer posts it; the ledger's key (recording, channel) posts nothing twice), and one
still held stays held. An admin's change posts at once only what now matches a route: one
that would fall back to the default channel waits until the routes have stayed unchanged for
SETTLE_SECONDS (the poller checks), so removing a quarantined route before adding its
replacement does not send what it held to the default channel.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.routing import routes_key
from bot.store import Store
from bot.store.held import held_list, settle
from bot.sync import plan_deliveries, route_fetched

log = logging.getLogger(__name__)

SETTLE_SECONDS = 300.0
SEEN_KEY = "routing.held_routes_seen"  # the routes as the poller last saw them, and since when


@dataclass(frozen=True)
class Released:
    """What routing the held recordings again did."""

    released: int = 0  # no longer held (planned, or matching no route and no default)
    still_held: int = 0
    planned: int = 0  # deliveries added to the ledger


def held_stale(store: Store) -> bool:
    """True when recordings are held and the routes changed since they were last routed."""
    held = held_list(store)
    return bool(held.ids) and held.routes_key != routes_key(store.routes.list())


def routes_settled(store: Store, seconds: float = SETTLE_SECONDS) -> bool:
    """True once the routes have stayed as they are for `seconds` (first call after a change:
    False, and the clock starts)."""
    key, now = routes_key(store.routes.list()), store.now()
    seen = store.state.get(SEEN_KEY)
    if not isinstance(seen, dict) or seen.get("routes") != key:
        store.state.set(SEEN_KEY, {"routes": key, "since": now})
        return False
    return now - float(seen.get("since") or now) >= seconds


def route_held_again(store: Store, default_channel: str, *, to_default: bool = True) -> Released:
    """Route the held recordings on the routes stored now and plan the deliveries of those no
    longer held; without `to_default`, one that would go only to the default channel stays
    held for now. Call it outside any transaction: the matching runs before the write."""
    if store.in_transaction:
        raise RuntimeError("route_held_again runs outside any transaction")
    ids = held_list(store).ids
    if not ids:
        return Released()
    meetings = store.recordings.get_many(ids)
    routed = route_fetched(store, meetings, default_channel)
    default = store.routes.default()
    defaults = {None, default.id if default is not None else None}
    waiting = {
        m.meeting_record_id
        for m in meetings
        if not to_default
        and routed.targets.get(m.meeting_record_id)
        and all(rid in defaults for _, rid in routed.targets[m.meeting_record_id])
    }
    kept = routed.held | waiting
    free = [m for m in meetings if m.meeting_record_id not in kept]
    with store.transaction():
        if routes_key(store.routes.list()) != routed.routes_key:
            return Released(still_held=len(ids))  # changed again: the next call routes them
        planned = plan_deliveries(store, free, routed.targets, notify=True)
        settle(store, ids, kept, None if waiting else routed.routes_key)
    if free:
        log.info(
            "%d held recording(s) routed again (%d deliveries planned), %d still held",
            len(ids) - len(kept),
            planned,
            len(kept),
        )
    return Released(len(ids) - len(kept), len(kept), planned)
