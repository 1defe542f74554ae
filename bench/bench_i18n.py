"""What speaking two languages costs: rendering a recording's channel message, a /recordings
list of 20 and App Home for an admin, in English and in Chinese (p50 / p99 over many renders),
and loading the Chinese catalog from its .po (a checkout) or its .mo (an installed wheel).

    python bench/bench_i18n.py [--renders 2000]
"""

from __future__ import annotations

import argparse
import gettext
import io
import statistics
import time
from collections.abc import Callable

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot import i18n
from bot.health import Health
from bot.models import Route
from bot.slack import blocks as kit
from bot.slack.home import AdminPart, HomeData, home_view
from bot.tencent.records import parse_meeting

START_MS = 1_790_000_000_000


def meeting(i: int):
    return parse_meeting(
        {
            "meeting_record_id": f"rec-{i}",
            "meeting_id": f"m-{i}",
            "meeting_code": "123456789",
            "userid": "zhangwei",
            "media_start_time": START_MS + i * 3_600_000,
            "subject": f"产品周会 第{i}期",
            "state": 3,
            "record_files": [
                {
                    "record_file_id": f"f-{i}-{n}",
                    "record_start_time": START_MS,
                    "record_end_time": START_MS + 3_600_000,
                    "record_size": 480_000_000,
                    "sharing_state": 1,
                    "sharing_url": "https://meeting.tencent.com/crm/share?id=x",
                    "password": "pw42",
                    "allow_download": True,
                }
                for n in range(2)
            ],
        }
    )


def percentiles(run: Callable[[], object], renders: int) -> tuple[float, float]:
    times = []
    for _ in range(renders):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99) - 1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--renders", type=int, default=2000)
    args = parser.parse_args()
    meetings = [meeting(i) for i in range(20)]
    health = Health(True, "ok", None, None, None, 0, None, None)
    routes = [Route(id=i, channel="C1", match_host=f"host{i}") for i in range(30)]
    views: dict[str, Callable[[], object]] = {
        "channel message": lambda: kit.recording_message(meetings[0], password_policy="show"),
        "list of 20": lambda: kit.recordings_list(
            meetings, title="t", tz_name="Asia/Shanghai", page_size=20
        ),
        "App Home (admin)": lambda: home_view(
            HomeData("Asia/Shanghai", userid="zhangwei", mine=meetings[:10],
                     admin=AdminPart(health, routes))
        ),
    }  # fmt: skip
    print(f"renders per figure: {args.renders}")
    for name, run in views.items():
        figures = []
        for lang in ("en", "zh"):
            with i18n.use_language(lang):
                run()  # the catalog is loaded once, before timing
                p50, p99 = percentiles(run, args.renders)
            figures.append(f"{lang} p50 {p50:.3f} ms p99 {p99:.3f} ms")
        print(f"  {name:18} " + " · ".join(figures))
    po = i18n.LOCALE_DIR / "zh" / "LC_MESSAGES" / "messages.po"
    started = time.perf_counter()
    with po.open("rb") as f:
        catalog = read_po(f, locale="zh")
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    from_po = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    gettext.GNUTranslations(io.BytesIO(buffer.getvalue()))
    from_mo = (time.perf_counter() - started) * 1000
    print(
        f"zh catalog ({len(catalog)} entries): from .po {from_po:.1f} ms, from .mo {from_mo:.2f} ms"
    )


if __name__ == "__main__":
    main()
