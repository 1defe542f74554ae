from __future__ import annotations

from bot.store.users import CachedUser
from tests.store.conftest import T0


def test_user_cache_expires(store, clock):
    users = store.users
    users.cache_user("U1", tz="Asia/Shanghai", is_admin=True, is_guest=False, email_local="li")
    expected = CachedUser("U1", "Asia/Shanghai", True, False, "li", T0)
    assert users.cached_user("U1", max_age=60) == expected
    clock.now = T0 + 61
    assert users.cached_user("U1", max_age=60) is None
    users.cache_user("U1", tz=None, is_admin=False, is_guest=True, email_local=None)
    assert users.cached_user("U1", max_age=60) == CachedUser("U1", None, False, True, None, T0 + 61)
    assert store.conn.execute("SELECT COUNT(*) FROM slack_users").fetchone()[0] == 1
    assert users.cached_user("U2", max_age=60) is None


def test_links(store):
    users = store.users
    assert users.linked_userid("U1") is None
    users.link("U1", "alice", set_by="UADMIN")
    users.link("U1", "alice2", set_by="UADMIN")
    assert users.linked_userid("U1") == "alice2"
    assert users.links() == [
        {"slack_user_id": "U1", "tencent_userid": "alice2", "set_by": "UADMIN", "set_at": T0}
    ]
    assert users.unlink("U1")
    assert not users.unlink("U1")
    assert users.linked_userid("U1") is None


def test_password_audit(store, clock):
    users = store.users
    users.audit_password("U1", "r1", "f1", "C1")
    clock.now = T0 + 5
    users.audit_password("U2", "r2", None, None)
    users.audit_password("U3", "r1", "f2", "C2")
    assert [
        (a["slack_user_id"], a["record_file_id"], a["at"]) for a in users.password_audit("r1")
    ] == [
        ("U1", "f1", T0),
        ("U3", "f2", T0 + 5),
    ]
    assert [a["slack_user_id"] for a in users.password_audit()] == ["U1", "U2", "U3"]
    assert set(users.password_audit()[0]) == {
        "id",
        "slack_user_id",
        "meeting_record_id",
        "record_file_id",
        "channel",
        "at",
    }
