"""bot.slack.app: the Bolt app acks on the request's thread and answers on its AfterAck pool,
which the caller drains when it stops."""

from __future__ import annotations

from concurrent.futures import Executor

from bot.slack.app import build_app
from bot.slack.listeners.after_ack import AfterAck


def test_the_app_answers_on_an_after_ack_pool_the_caller_drains(slack_env) -> None:
    services = slack_env.services
    executors: list[Executor] = []
    app = build_app(
        slack_env.settings,
        services.store,
        services.tencent,
        executors=executors,
        token_verification_enabled=False,
    )
    [pool] = executors
    assert isinstance(pool, AfterAck)
    assert app.listener_runner.listener_executor is pool  # Bolt runs lazy listeners there
    assert app.process_before_response  # each listener only acks, on the request's thread
    pool.shutdown(wait=True)


def test_the_test_environment_answers_on_the_pool_services_stop_drains(slack_env) -> None:
    assert slack_env.after_ack in slack_env.services.executors
