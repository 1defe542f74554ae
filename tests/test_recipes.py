"""The README's deployment recipes are real: the Procfile's commands exist, docker-compose.yml
and the Dockerfile set only settings the bot knows, and the backup and restore commands given
for each engine give back a database the bot opens with its routes."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from bot.cli import cli
from bot.config import Settings
from bot.models import RouteSpec
from bot.store import open_store
from bot.store.engine import target_for
from tests.postgres_server import NoPostgres, scratch_database, server_binaries

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def setting_names() -> set[str]:
    return {field.validation_alias for field in Settings.model_fields.values()}


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text(encoding="utf-8").splitlines()
    return dict(line.split(":", 1) for line in lines if line.strip() and not line.startswith("#"))


def test_the_procfile_runs_commands_that_exist() -> None:
    processes = {name: command.strip() for name, command in procfile().items()}
    assert processes == {
        "release": "recordings-bot db migrate",
        "web": "recordings-bot run --mode http",
        "worker": "recordings-bot run --mode socket",
    }
    for command in processes.values():
        args = command.split()[1:]
        words = [a for a in args if not a.startswith("-")][:2]
        shown = CliRunner().invoke(cli, [*words, "--help"])
        assert shown.exit_code == 0, shown.output
        for flag in (a for a in args if a.startswith("--")):
            assert flag in shown.output
    # The README shows the same processes.
    for name, command in processes.items():
        assert re.search(rf"^{name}: {re.escape(command)}\b", README, re.MULTILINE), name


def test_compose_runs_the_bot_on_postgresql_with_known_settings() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    bot, db = compose["services"]["bot"], compose["services"]["db"]
    assert set(bot["environment"]) <= setting_names()
    url = bot["environment"]["DATABASE_URL"].replace("${POSTGRES_PASSWORD:-change-me}", "pw")
    target = target_for(url)
    assert target.is_postgresql and "pw" not in target.describe()
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    assert db["image"].startswith("postgres:") and "healthcheck" in db
    assert db["environment"]["POSTGRES_DB"] == url.rsplit("/", 1)[1]


def test_the_dockerfile_keeps_sqlite_on_a_volume_and_runs_the_bot() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    env = dict(re.findall(r"(\b[A-Z_]+)=(\S+)", text.split("USER", 1)[1]))
    assert {"RECORDINGS_DB", "PORT"} <= env.keys() <= setting_names() | {"PYTHONDONTWRITEBYTECODE"}
    assert env["RECORDINGS_DB"].startswith("/data/") and "VOLUME /data" in text
    assert 'CMD ["recordings-bot", "run"]' in text and "USER recordings" in text
    assert "/healthz" in text


def test_heroku_style_postgres_urls_are_accepted() -> None:
    target = target_for("postgres://user:secret@db.example.com:5432/d8abc")
    assert target.is_postgresql
    assert target.describe() == "postgresql://user:***@db.example.com:5432/d8abc"


def _with_a_route(location: str) -> None:
    with closing(open_store(location)) as store:
        store.routes.add("CBACKUP01", RouteSpec(match_subject="周会"), channel_name="backup")


def _routes(location: str) -> list[str]:
    with closing(open_store(location)) as store:
        return [r.channel for r in store.routes.list()]


def test_sqlite_backup_while_running_then_restore(tmp_path) -> None:
    live = str(tmp_path / "recordings.db")
    _with_a_route(live)
    running = open_store(live)  # the bot keeps running while the backup is taken
    try:
        backup = tmp_path / "backup.db"
        with closing(sqlite3.connect(live)) as source, closing(sqlite3.connect(backup)) as target:
            source.backup(target)  # what `sqlite3 recordings.db ".backup backup.db"` does
    finally:
        running.close()
    restored = tmp_path / "restored" / "recordings.db"
    restored.parent.mkdir()
    restored.write_bytes(backup.read_bytes())
    assert _routes(str(restored)) == ["CBACKUP01"]


def _pg_tool(name: str) -> str:
    try:
        tool = server_binaries() / name
    except NoPostgres as exc:
        pytest.skip(str(exc))
    if not tool.exists():
        pytest.skip(f"{name} is not beside initdb")
    return str(tool)


@pytest.fixture
def empty_pg_url(postgres_server: str) -> Iterator[str]:
    """Another PostgreSQL database, created bare (no extension), as a restore target is."""
    with scratch_database(postgres_server, f"restore_{os.getpid()}", template=None) as url:
        yield url


def test_postgresql_dump_and_restore_into_an_empty_database(
    tmp_path, pg_url: str, empty_pg_url: str
) -> None:
    _with_a_route(pg_url)
    dump = tmp_path / "bot.dump"
    done = subprocess.run(
        [_pg_tool("pg_dump"), "--format=custom", f"--file={dump}", pg_url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    empty = empty_pg_url
    restored = subprocess.run(
        [_pg_tool("pg_restore"), "--no-owner", f"--dbname={empty}", str(dump)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert restored.returncode == 0, restored.stderr
    assert _routes(empty) == ["CBACKUP01"]
    with closing(open_store(empty)) as store:  # search works on the restored database
        assert store.routes.list()[0].match_subject == "周会"
