"""bot.slack.answers.deps: the user directory the answers share follows the settings."""

from __future__ import annotations

from bot.slack.answers.deps import Deps

ADMIN = "UADMIN001"  # in ADMIN_USER_IDS (tests/slack_env.py)


def test_the_directory_knows_the_configured_admins_and_zone(slack_env) -> None:
    services = slack_env.services
    deps = Deps.build(slack_env.settings, services.store, services.tencent, None)
    assert deps.users.get(ADMIN).is_admin  # ADMIN_USER_IDS needs no Slack
    stranger = deps.users.get("UNOBODY01")  # no Slack client: not verified, the bot's zone
    assert not stranger.verified and stranger.tz == slack_env.settings.bot_timezone
