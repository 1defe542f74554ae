"""The two languages the bot speaks in Slack: English (the source strings) and Simplified Chinese.

Strings are marked in the code with `_()` (translated where they are used), `N_()` (a constant
defined once, translated where it is shown: `_(CONSTANT)`) and `ngettext()`; the catalogs are
gettext catalogs managed with Babel (`bot/locale/zh/LC_MESSAGES/messages.po`; see the README's
*Translations*). A wheel ships them compiled (`messages.mo`, built by setup.py); a checkout
compiles the `.po` in memory on first use, so nobody has a build step.

Which language is spoken is the context's (`use_language`): an answer to a person sets theirs
(their Slack locale), a channel message its route's (`lang:zh|en`, else BOT_LANGUAGE). Nothing
set means English: the command line and the logs stay English.
"""

from __future__ import annotations

import gettext
import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LANGUAGES = ("en", "zh")
DEFAULT_LANGUAGE = "en"
DOMAIN = "messages"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
# Babel's locale for each language (dates, numbers).
_BABEL_LOCALES = {"en": Locale.parse("en_US"), "zh": Locale.parse("zh_Hans_CN")}
# "Wed, Dec 2 21:08" and "12月2日 周三 21:08": a day and time as people read them.
_WHEN_PATTERNS = {"en": "EEE, MMM d HH:mm", "zh": "M月d日 EEE HH:mm"}
_DATE_PATTERNS = {"en": "EEE, MMM d, y", "zh": "y年M月d日 EEE"}

_current: ContextVar[str] = ContextVar("language", default=DEFAULT_LANGUAGE)
_catalogs: dict[str, gettext.NullTranslations] = {}
_lock = threading.Lock()


def normalize(value: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """ "zh", "zh-CN", "zh_TW" -> "zh"; "en-US" -> "en"; anything else -> `default`."""
    code = (value or "").strip().lower().replace("_", "-").split("-", 1)[0]
    return code if code in LANGUAGES else default


def language() -> str:
    """The language of the current context."""
    return _current.get()


@contextmanager
def use_language(value: str | None) -> Iterator[str]:
    """Speak `value` (a language or a Slack locale) inside the block."""
    token = _current.set(normalize(value))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def catalog(lang: str) -> gettext.NullTranslations:
    """The translations of `lang` (English: none, the source strings are English)."""
    lang = normalize(lang)
    found = _catalogs.get(lang)
    if found is not None:
        return found
    with _lock:
        if lang not in _catalogs:
            _catalogs[lang] = _load(lang)
        return _catalogs[lang]


def _load(lang: str) -> gettext.NullTranslations:
    if lang == DEFAULT_LANGUAGE:
        return gettext.NullTranslations()
    folder = LOCALE_DIR / lang / "LC_MESSAGES"
    compiled = folder / f"{DOMAIN}.mo"
    if compiled.exists():
        with compiled.open("rb") as f:
            return gettext.GNUTranslations(f)
    with (folder / f"{DOMAIN}.po").open("rb") as f:
        po = read_po(f, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, po)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def _(message: str) -> str:
    """`message` in the context's language."""
    return catalog(_current.get()).gettext(message)


def N_(message: str) -> str:  # noqa: N802 (gettext's name)
    """Marks a constant for translation; it is translated where shown, with `_()`."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    return catalog(_current.get()).ngettext(singular, plural, n)


def babel_locale(lang: str | None = None) -> Locale:
    return _BABEL_LOCALES[normalize(lang or _current.get())]


def format_when(unix_seconds: float, tz_name: str, lang: str | None = None) -> str:
    """A day and time in `tz_name`, as the language reads it ("Wed, Dec 2 21:08")."""
    lang = normalize(lang or _current.get())
    moment = datetime.fromtimestamp(int(unix_seconds), ZoneInfo(tz_name))
    return format_datetime(moment, _WHEN_PATTERNS[lang], locale=_BABEL_LOCALES[lang])


def format_day(unix_seconds: float, tz_name: str, lang: str | None = None) -> str:
    """A day in `tz_name` ("Wed, Dec 2, 2026"; "2026年12月2日 周三")."""
    lang = normalize(lang or _current.get())
    moment = datetime.fromtimestamp(int(unix_seconds), ZoneInfo(tz_name))
    return format_datetime(moment, _DATE_PATTERNS[lang], locale=_BABEL_LOCALES[lang])


def format_number(value: float, lang: str | None = None) -> str:
    return format_decimal(value, locale=babel_locale(lang))
