"""The admins' forms: App Home's Add route / Link a person buttons and each route's menu
(acknowledged, then a modal opened), and the forms' submissions (checked before the answer,
so an error shows in the form; App Home published again after it)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.delivery.slack_errors import error_code
from bot.i18n import _
from bot.slack import forms
from bot.slack.answers import forms as answers
from bot.slack.answers.deps import Deps
from bot.slack.answers.slash import speaking_to

log = logging.getLogger(__name__)


def register(app: App, deps: Deps) -> None:
    def acknowledge(ack: Ack) -> None:
        ack()

    def lazily(name: str, work: Any) -> Any:
        def run(body: dict[str, Any], client: WebClient) -> None:
            try:
                work(deps, client, body)
            except SlackApiError as exc:
                log.warning("%s: Slack said %s", name, error_code(exc))
            except Exception:
                log.exception("%s failed", name)

        run.__name__ = name  # Bolt tells lazy listeners apart by name
        return run

    app.action(forms.ACTION_ADD_ROUTE)(
        ack=acknowledge, lazy=[lazily("open_route_form", answers.open_route_form)]
    )
    app.action(forms.ACTION_LINK_PERSON)(
        ack=acknowledge, lazy=[lazily("open_link_form", answers.open_link_form)]
    )
    app.action(forms.ACTION_ROUTE_MENU)(
        ack=acknowledge, lazy=[lazily("route_menu", answers.route_menu)]
    )

    def submission(submit: Any) -> Any:
        def check(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
            try:
                with speaking_to(deps, answers.user_of(body)):  # errors in the admin's language
                    errors = submit(deps, client, body, view)
            except Exception:
                log.exception("a form submission failed")
                errors = {
                    next(iter(_block_ids(view)), "channel"): _("Something went wrong; try again.")
                }
            if errors:
                ack(response_action="errors", errors=errors)
            else:
                ack()

        return check

    refresh_home = lazily("refresh_home", answers.refresh_home)
    app.view(forms.ROUTE_FORM)(ack=submission(answers.submit_route), lazy=[refresh_home])
    app.view(forms.LINK_FORM)(ack=submission(answers.submit_link), lazy=[refresh_home])


def _block_ids(view: dict[str, Any]) -> list[str]:
    return [str(b.get("block_id")) for b in view.get("blocks") or [] if b.get("block_id")]
