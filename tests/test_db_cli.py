"""`recordings-bot db migrate | check | copy` through the command line, on a SQLite file and a
throwaway PostgreSQL: what they say, what they change, and bad input refused with one line and
nothing changed (a password in a URL is never printed)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner, Result

from bot.cli import cli
from bot.models import RouteSpec
from bot.store import Store, open_store
from bot.store.schema import SCHEMA_VERSION
from tests.store.test_store_content import transcript
from tests.store.test_store_recordings import meeting

PASSWORD = "s3cret-pw"  # noqa: S105 (the throwaway server's made-up user's password)


def run(*args: str, db: str) -> Result:
    """The CLI with its database at `db` (a path: RECORDINGS_DB; a URL: DATABASE_URL)."""
    env = {"DATABASE_URL": db} if "://" in db else {"DATABASE_URL": "", "RECORDINGS_DB": db}
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def installed(path: str) -> None:
    """A SQLite install in use: routes, a link, deliveries, an audit row, recordings with files
    and a transcript."""
    with closing(open_store(path)) as store:
        store.recordings.save_meetings(
            [
                meeting("r1", subject="产品周会", files=("r1-f",)),
                meeting("r2", subject="Budget review", start=2000, files=("r2-f", "r2-g")),
            ]
        )
        assert store.content.save_transcript(transcript("r1-f", "我们先看一下预算的进展"))
        route = store.routes.add("CPRODUCT", RouteSpec(match_subject="周会"), channel_name="p")
        store.routes.set_default("CRECORDS", channel_name="recordings")
        store.users.link("UMEI", "mei", set_by="UADMIN")
        store.users.audit_password("UMEI", "r1", "r1-f", "CPRODUCT")
        store.deliveries.plan("r1", [("CPRODUCT", route.id)])
        store.deliveries.plan("r2", [("CRECORDS", None)])
        store.deliveries.claim("r1", "CPRODUCT", "host:1:x")
        store.deliveries.mark_sent("r1", "CPRODUCT", "1700000000.000100", "sig")


def counts(store: Store) -> dict[str, int]:
    tables = (
        "record_meetings",
        "record_files",
        "routes",
        "user_links",
        "password_audit",
        "deliveries",
        "transcripts",
        "transcript_paragraphs",
    )
    return {t: store.conn.execute(f"SELECT COUNT(*) FROM {t}").scalar() for t in tables}  # noqa: S608


# -- migrate and check -------------------------------------------------------------------------
def test_migrate_then_check_say_what_they_found(db_location: str) -> None:
    migrated = run("db", "migrate", db=db_location)
    assert migrated.exit_code == 0, migrated.output
    assert f"schema version {SCHEMA_VERSION}, up to date" in migrated.output

    checked = run("db", "check", db=db_location)
    assert checked.exit_code == 0, checked.output
    assert f"{SCHEMA_VERSION}" in checked.output and "ok" in checked.output.splitlines()[-1]
    if "://" in db_location:
        assert "pg_trgm" in checked.output
        assert PASSWORD not in checked.output


def test_check_changes_nothing_and_refuses_a_database_from_a_newer_release(tmp_path) -> None:
    path = str(tmp_path / "bot.db")
    open_store(path).close()
    with closing(sqlite3.connect(path)) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    before = Path(path).read_bytes()

    checked = run("db", "check", db=path)
    assert checked.exit_code == 1
    assert "newer" in checked.output

    migrated = run("db", "migrate", db=path)
    assert migrated.exit_code == 2
    assert "newer than this release" in migrated.output and "upgrade the bot" in migrated.output
    assert Path(path).read_bytes() == before


def test_check_of_a_missing_file_creates_nothing(tmp_path) -> None:
    path = tmp_path / "nothing-here.db"
    checked = run("db", "check", db=str(path))
    assert checked.exit_code == 2 and "there is no database" in checked.output
    assert not path.exists()


# -- bad DATABASE_URLs -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("mysql://u:pw@localhost/bot", "must start with postgresql://"),
        ("postgresql://u:pw@localhost", "names no database"),
        ("postgresql+asyncpg://u:pw@localhost/bot", "uses the driver"),
        ("postgresql://u:pw@127.0.0.1:1/bot", "cannot reach"),
    ],
)
def test_a_wrong_url_is_one_line_and_exit_2(url: str, said: str) -> None:
    for command in (("db", "migrate"), ("db", "check")):
        result = run(*command, db=url)
        assert result.exit_code == 2, result.output
        assert said in result.output
        assert "Traceback" not in result.output and ":pw@" not in result.output


def test_a_refused_password_is_one_line_and_exit_2(postgres_server: str, pg_url: str) -> None:
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE tester LOGIN PASSWORD '{PASSWORD}'")
    try:
        base = pg_url.split("://", 1)[1].split("@")[-1]  # host:port/database
        wrong = f"postgresql://tester:not-the-password@{base}"
        result = run("db", "migrate", db=wrong)
        assert result.exit_code == 2, result.output
        assert "not-the-password" not in result.output and "Traceback" not in result.output
        assert "DATABASE_URL" in result.output
    finally:
        with psycopg.connect(postgres_server, autocommit=True) as admin:
            admin.execute("DROP ROLE tester")


# -- copy --------------------------------------------------------------------------------------
def test_copy_moves_everything_and_twice_is_safe(tmp_path, pg_url: str) -> None:
    path = str(tmp_path / "bot.db")
    installed(path)

    first = run("db", "copy", "--to", pg_url, db=path)
    assert first.exit_code == 0, first.output
    assert "Copied" in first.output

    with closing(open_store(path)) as source, closing(open_store(pg_url)) as copy:
        expected = counts(source)
        assert counts(copy) == expected
        assert [m.meeting_record_id for m in copy.recordings.search("周会")] == ["r1"]
        hits = copy.content.search_transcripts(["预算"])
        assert [h.meeting_record_id for h in hits] == ["r1"]
        assert copy.deliveries.get("r1", "CPRODUCT").state == "sent"
        assert copy.users.linked_userid("UMEI") == "mei"
        assert copy.routes.default().channel == "CRECORDS"
        # A route added later gets a new id, not one the copy already used.
        added = copy.routes.add("CNEW", RouteSpec(match_host="zhangwei"))
        assert added.id > max(r.id for r in source.routes.list())
        used = counts(copy)

    # The route above was a use of the copy: a second copy must refuse, changing nothing.
    again = run("db", "copy", "--to", pg_url, db=path)
    assert again.exit_code == 2
    assert "was used by a bot after the last copy" in again.output
    with closing(open_store(pg_url)) as copy:
        assert counts(copy) == used


def test_a_second_copy_of_an_unused_destination_adds_nothing_twice(tmp_path, pg_url) -> None:
    path = str(tmp_path / "bot.db")
    installed(path)
    assert run("db", "copy", "--to", pg_url, db=path).exit_code == 0
    with closing(open_store(path)) as source:  # the old install went on a little
        source.recordings.save_meetings([meeting("r3", subject="Retro", start=3000)])

    again = run("db", "copy", "--to", pg_url, db=path)
    assert again.exit_code == 0, again.output
    with closing(open_store(path)) as source, closing(open_store(pg_url)) as copy:
        assert counts(copy) == counts(source)
        assert counts(copy)["record_meetings"] == 3


def test_copy_into_another_bots_database_is_refused(tmp_path, pg_url) -> None:
    path = str(tmp_path / "bot.db")
    installed(path)
    with closing(open_store(pg_url)) as other:
        other.routes.add("COTHER", RouteSpec(match_host="someone"))
    result = run("db", "copy", "--to", pg_url, db=path)
    assert result.exit_code == 2
    assert "did not come from" in result.output
    with closing(open_store(pg_url)) as other:
        assert counts(other)["record_meetings"] == 0 and counts(other)["routes"] == 1


def test_copy_to_an_unreachable_database_is_one_line(tmp_path) -> None:
    path = str(tmp_path / "bot.db")
    installed(path)
    result = run("db", "copy", "--to", "postgresql://u:pw@127.0.0.1:1/bot", db=path)
    assert result.exit_code == 2
    assert "cannot reach" in result.output and "--to" in result.output
    assert ":pw@" not in result.output
