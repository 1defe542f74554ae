"""The terminal commands (`routes`, `poll --once`, `backfill`, `sync`), run through click
against the Tencent emulator and the Slack stand-in."""

from __future__ import annotations

import time

import pytest
from click.testing import CliRunner

from bot.cli import cli
from tests.conftest import PRODUCT_CHANNEL, REC_CHANNEL, BotEnv


@pytest.fixture
def run(bot_env: BotEnv, monkeypatch):
    env = {**bot_env.cli_env(), "DEFAULT_CHANNEL": REC_CHANNEL}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke


def test_routes_add_list_remove(run, bot_env: BotEnv) -> None:
    added = run("routes", "add", PRODUCT_CHANNEL, "subject:周会", "password:hide")
    assert added.exit_code == 0, added.output
    assert "周会" in added.output and "password: hide" in added.output
    by_name = run("routes", "add", "#recordings", "host:alice")
    assert by_name.exit_code == 0, by_name.output
    listed = run("routes", "list")
    assert listed.output.count("\n") == 2 and "alice" in listed.output
    route_id = bot_env.services.store.routes.list()[0].id
    removed = run("routes", "remove", str(route_id))
    assert removed.exit_code == 0 and "Removed" in removed.output
    assert len(bot_env.services.store.routes.list()) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["CNOSUCH01"], "not found"),
        (["#no-such-channel"], "no channel named"),
        ([PRODUCT_CHANNEL, "colour:blue"], "colour"),
        ([PRODUCT_CHANNEL, "password:maybe"], "maybe"),
        ([PRODUCT_CHANNEL, "subject~(unclosed"], "not a valid regex"),
        ([PRODUCT_CHANNEL, r"subject~(\w)\1"], "backreferences such as `\\1` are not supported"),
        ([PRODUCT_CHANNEL, "subject~^(?=.*周会)"], "lookaheads"),
    ],
)
def test_routes_add_refuses_bad_channels_and_options(run, bot_env: BotEnv, args, message) -> None:
    result = run("routes", "add", *args)
    assert result.exit_code == 2
    assert message in result.output.lower() or message in result.output
    assert bot_env.services.store.routes.list() == []


def test_routes_add_refuses_an_identical_route(run, bot_env: BotEnv) -> None:
    first = run("routes", "add", PRODUCT_CHANNEL, "subject:周会", "password:hide")
    assert first.exit_code == 0, first.output
    (route,) = bot_env.services.store.routes.list()
    again = run("routes", "add", PRODUCT_CHANNEL, "password:hide", "subject:周会")
    assert again.exit_code == 2
    assert f"route #{route.id} is identical" in again.output
    assert bot_env.services.store.routes.list() == [route]


def test_routes_remove_of_an_unknown_route_is_refused(run) -> None:
    result = run("routes", "remove", "42")
    assert result.exit_code == 2 and "no route #42" in result.output


def test_poll_once_posts_what_completed(run, bot_env: BotEnv) -> None:
    bot_env.dataset.add_meeting(start=time.time() - 3600, duration=600, subject="CLI sync")
    result = run("poll", "--once")
    assert result.exit_code == 0, result.output
    assert "1 recording(s) fetched with 1 API call(s)" in result.output
    assert len(bot_env.posts(REC_CHANNEL)) == 1


def test_backfill_reports_its_progress_and_posts_nothing_without_notify(
    run, bot_env: BotEnv
) -> None:
    for day in range(2, 60, 4):
        bot_env.dataset.add_meeting(
            start=time.time() - day * 86400, duration=600, subject=f"Old {day}"
        )
    since = time.strftime("%Y-%m-%d", time.localtime(time.time() - 61 * 86400))
    result = run("backfill", "--since", since)
    assert result.exit_code == 0, result.output
    assert "about" in result.output and "calls/min" in result.output
    assert "15 recording(s)" in result.output
    assert "Content: 45 transcript/minutes/chapters call(s) for 15 file(s)" in result.output
    assert bot_env.posts() == []


def test_backfill_without_content_asks_for_none(run, bot_env: BotEnv) -> None:
    bot_env.dataset.add_meeting(start=time.time() - 3 * 86400, duration=600, subject="Old")
    since = time.strftime("%Y-%m-%d", time.localtime(time.time() - 5 * 86400))
    result = run("backfill", "--since", since, "--no-content")
    assert result.exit_code == 0, result.output
    assert "1 recording(s)" in result.output and "Content:" not in result.output
    store = bot_env.services.store
    assert store.content.status_counts() == {}


def test_backfill_rejects_a_malformed_date(run) -> None:
    result = run("backfill", "--since", "last tuesday")
    assert result.exit_code == 2 and "not a date" in result.output
