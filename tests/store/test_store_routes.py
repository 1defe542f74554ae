from __future__ import annotations

import pytest

from bot.models import Route, RouteSpec
from bot.store import Store, open_store
from bot.store.routes import DuplicateRouteError

T0 = 1_700_000_000.0


@pytest.fixture
def store(tmp_path) -> Store:
    s = open_store(tmp_path / "routes.db", clock=lambda: T0)
    yield s
    s.close()


def test_add_get_list(store):
    spec = RouteSpec(
        match_host="alice", match_subject="周会", password_policy="hide", download=True
    )
    added = store.routes.add("C1", spec, channel_name="eng", created_by="U1")
    assert added == Route(
        id=1,
        channel="C1",
        channel_name="eng",
        match_host="alice",
        match_subject="周会",
        password_policy="hide",
        download=True,
        created_by="U1",
        created_at=T0,
    )
    second = store.routes.add("C2", RouteSpec(match_subject_regex="^Weekly", match_code="123"))
    assert [r.id for r in store.routes.list()] == [1, 2]
    assert store.routes.get(2) == second
    assert (second.password_policy, second.download, second.is_default) == ("button", False, False)
    assert store.routes.get(99) is None


def test_remove_cancels_undelivered_in_one_step(store):
    route = store.routes.add("C1", RouteSpec(match_host="alice"))
    store.deliveries.plan("r1", [("C1", route.id)])
    store.deliveries.plan("r2", [("C1", route.id)])
    store.deliveries.claim("r2", "C1", "w")
    store.deliveries.mark_sent("r2", "C1", "1.1", "sig")
    assert store.routes.remove(route.id) == route
    assert store.routes.list() == []
    assert store.deliveries.get("r1", "C1").state == "cancelled"
    assert store.deliveries.get("r2", "C1").state == "sent"
    assert store.routes.remove(route.id) is None


def test_set_default_replaces_previous(store):
    assert store.routes.default() is None
    first = store.routes.set_default("C1", channel_name="general", created_by="U1")
    assert (first.is_default, first.channel, first.channel_name) == (True, "C1", "general")
    store.deliveries.plan("r1", [("C1", first.id)])
    second = store.routes.set_default("C2", password_policy="show")
    assert store.routes.default() == second
    assert [r.channel for r in store.routes.list() if r.is_default] == ["C2"]
    assert second.password_policy == "show"
    assert store.deliveries.get("r1", "C1").state == "cancelled"


def test_broken_routes(store):
    a = store.routes.add("C1", RouteSpec(match_host="a"))
    b = store.routes.add("C1", RouteSpec(match_host="b"))
    c = store.routes.add("C2", RouteSpec())
    store.routes.mark_broken(c.id, "channel_not_found")
    assert [(r.id, r.broken_reason) for r in store.routes.broken()] == [(c.id, "channel_not_found")]
    marked = store.routes.mark_broken_channel("C1", "not_in_channel")
    assert [(r.id, r.broken_reason) for r in marked] == [
        (a.id, "not_in_channel"),
        (b.id, "not_in_channel"),
    ]
    assert (
        store.conn.execute("SELECT COUNT(*) FROM routes WHERE broken_at = ?", (T0,)).fetchone()[0]
        == 3
    )
    assert store.routes.clear_broken("C1") == 2
    assert [r.id for r in store.routes.broken()] == [c.id]
    assert "broken: channel_not_found" in store.routes.get(c.id).describe()


def test_an_identical_route_is_refused_as_a_duplicate(store):
    first = store.routes.add("C1", RouteSpec(match_host="alice", password_policy="hide"))
    with pytest.raises(DuplicateRouteError) as info:
        store.routes.add("C1", RouteSpec(match_host="alice", password_policy="hide"))
    assert info.value.existing == first
    # Any difference in channel, match fields or policies makes another route.
    store.routes.add("C2", RouteSpec(match_host="alice", password_policy="hide"))
    store.routes.add("C1", RouteSpec(match_host="alice", password_policy="show"))
    store.routes.add("C1", RouteSpec(match_host="alice", password_policy="hide", download=True))
    store.routes.add("C1", RouteSpec(match_host="alice", match_code="123", password_policy="hide"))
    assert len(store.routes.list()) == 5
    store.routes.set_default("C1")
    store.routes.set_default("C1")  # the default route is replaced, never a duplicate
