"""Each person in their own language, through the real Bolt app with signed requests: every form
of `/recordings` answered in English to an en-US user and in Chinese to a zh-CN user (Chinese
command words included), App Home and the forms in the admin's language, and one recording's
channel messages in Chinese and English for routes with `lang:zh` and `lang:en`."""

from __future__ import annotations

import json
import re
import time

import pytest

from bot.models import RouteSpec
from bot.slack.answers.home_tab import publish_home
from bot.slack.forms import ACTION_ADD_ROUTE, ROUTE_FORM
from tests.slack_env import SlackEnv

ZH = "UZHONG001"
EN = "UENGLI001"
ZH_CHANNEL, EN_CHANNEL = "CZHONG001", "CENGLI001"
CJK = re.compile(r"[\u4e00-\u9fff]")

# (English form, Chinese form, in the English answer, in the Chinese answer)
FORMS = [
    ("today", "今天", "Recordings · today", "录制 · 今天"),
    ("yesterday", "昨天", "Recordings · yesterday", "录制 · 昨天"),
    ("week", "本周", "Recordings · this week", "录制 · 本周"),
    ("last week", "上周", "Recordings · last week", "录制 · 上周"),
    ("7d", "最近7天", "Recordings · last 7 days", "录制 · 最近 7 天"),
    ("month", "本月", "Recordings · this month", "录制 · 本月"),
    ("2026-11-20", "2026-11-20", "No recordings found.", "没有找到录制。"),
    ("2026-11-01..2026-11-20", "2026-11-01 到 2026-11-20", "No recordings", "没有找到录制"),
    ("search 周会", "搜索 周会", "In what was said", "在说过的内容中"),
    ("host zhangwei", "主持人 zhangwei", "Recordings by zhangwei", "zhangwei 主持的录制"),
    ("mine", "我的", "I don't know your Tencent Meeting user id", "我还不知道你的腾讯会议用户 ID"),
    ("summary 123456789", "纪要 123456789", "I have no recording with", "我没有会议号"),
    ("help", "帮助", "Find recordings", "查找录制"),
    ("status", "状态", "Recordings bot status", "录制机器人状态"),
    ("route list", "路由 列表", "No routes yet", "还没有路由"),
    ("route add #nowhere", "路由 添加 #nowhere", "no channel named #nowhere", "没有名为 #nowhere"),
    ("route remove 99", "路由 删除 99", "there is no route #99", "没有路由 #99"),
    ("route default C0NOSUCH1", "路由 默认 C0NOSUCH1", "was not found", "找不到频道"),
    ("link someone bob", "关联 某人 bob", "is not a Slack user", "不是 Slack 用户"),
    ("frobnicate", "随便说说", "Sorry, I didn't understand that", "抱歉，我没看懂"),
    ("2026-02-30", "2026-02-30", "is not a date on the calendar", "不是日历上的日期"),
]


@pytest.fixture
def env(slack_env: SlackEnv) -> SlackEnv:
    slack = slack_env.slack
    slack.add_user(ZH, name="张伟", is_admin=True, locale="zh-CN")
    slack.add_user(EN, name="Erin", is_admin=True, locale="en-US")
    return slack_env


def answer_with(env: SlackEnv, text: str, user: str, fragment: str) -> str:
    """Send `/recordings TEXT` as USER and wait for an answer holding `fragment`."""
    _response, url = env.slash(text, user=user)

    def has(payloads: list[dict]) -> bool:
        return any(fragment in json.dumps(p, ensure_ascii=False) for p in payloads)

    payloads = env.wait_answer(url, has, timeout=15)
    return json.dumps(payloads[-1], ensure_ascii=False)


@pytest.mark.parametrize(("english", "chinese", "said_en", "said_zh"), FORMS)
def test_every_form_answers_in_the_askers_language(
    env: SlackEnv, english: str, chinese: str, said_en: str, said_zh: str
) -> None:
    in_english = answer_with(env, english, EN, said_en)
    in_chinese = answer_with(env, chinese, ZH, said_zh)
    # The data (subjects) may be Chinese in either; our words are not.
    assert not any(ours in in_english for ours in ("录制 ·", "观看", "显示密码", "下载", "主持人 "))
    assert not any(ours in in_chinese for ours in ("Recordings ·", "Watch", "Show password"))
    assert CJK.search(in_chinese)


def test_english_words_from_a_chinese_reader_are_answered_in_chinese(env: SlackEnv) -> None:
    answer_with(env, "today", ZH, "录制 · 今天")
    answer_with(env, "今天", EN, "Recordings · today")


def test_app_home_and_the_forms_follow_the_admins_language(env: SlackEnv) -> None:
    zh_home = json.dumps(publish_home(env.deps, env.services.slack, ZH), ensure_ascii=False)
    en_home = json.dumps(publish_home(env.deps, env.services.slack, EN), ensure_ascii=False)
    assert "腾讯会议录制" in zh_home and "添加路由" in zh_home
    assert "Tencent Meeting recordings" in en_home and "Add route" in en_home

    env.home_click(ACTION_ADD_ROUTE, ZH)
    env.settle()
    (form,) = [m for m in env.slack.modals if m["callback_id"] == ROUTE_FORM]
    assert form["title"]["text"] == "添加路由"
    errors = json.loads(
        env.submit(
            form,
            {
                "channel": {"type": "conversations_select", "selected_conversation": "CGENERAL1"},
                "code": {"type": "plain_text_input", "value": "abc"},
                "subject_regex": {"type": "plain_text_input", "value": r"(a)\1"},
            },
            ZH,
        ).text
    )["errors"]
    assert "不是会议号" in errors["code"]
    assert "不支持" in errors["subject_regex"] and "反向引用" in errors["subject_regex"]


def test_one_recording_is_posted_in_chinese_and_english(env: SlackEnv) -> None:
    env.slack.add_channel(ZH_CHANNEL, "zhongwen")
    env.slack.add_channel(EN_CHANNEL, "english")
    store = env.services.store
    store.routes.add(ZH_CHANNEL, RouteSpec(match_host="wei.test", lang="zh"))
    store.routes.add(EN_CHANNEL, RouteSpec(match_host="wei.test", lang="en"))
    env.tencent.dataset.add_meeting(
        start=time.time() - 3 * 3600,
        duration=600,
        transcode_seconds=60,
        userid="wei.test",
        subject="产品周会",
    )
    assert env.services.deliverer is not None
    env.services.deliverer.min_interval = 0

    assert env.services.poller.run_cycle().ok

    (zh,) = env.slack.messages(ZH_CHANNEL)
    (en,) = env.slack.messages(EN_CHANNEL)
    zh_shown = json.dumps(zh["blocks"], ensure_ascii=False)
    en_shown = json.dumps(en["blocks"], ensure_ascii=False)
    assert "录制：产品周会" in zh_shown and "观看" in zh_shown and "主持人" in zh_shown
    assert zh["text"].startswith("录制已就绪：产品周会")
    assert "Recording: 产品周会" in en_shown and "Watch" in en_shown and "*Host*" in en_shown
    assert en["text"].startswith("Recording ready: 产品周会")
