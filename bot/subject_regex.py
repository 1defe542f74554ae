"""Subject regexes (`subject~REGEX` routes) on RE2: matching takes time linear in the subject,
whatever the pattern, so no route can make the bot spin (Python's `re` backtracks, and
`(a+)+$` against 'aaaa…!' takes hours).

RE2 refuses what it cannot run in linear time (backreferences, lookarounds); `regex_problem`
says why in words an admin can act on. No I/O here.
"""

from __future__ import annotations

from functools import lru_cache

import re2

MAX_REGEX_LENGTH = 200  # characters of pattern
MAX_MEM = 1 << 20  # bytes RE2 may use for one compiled pattern (its default is 8 MiB)

_HINT = (
    "subject regexes use RE2 syntax, which runs in linear time: backreferences and "
    "lookarounds are not supported"
)


def _options() -> re2.Options:
    options = re2.Options()
    options.max_mem = MAX_MEM
    options.log_errors = False  # refusals are reported to the admin, not written to stderr
    return options


def _reason(error: Exception) -> str:
    raw = error.args[0] if error.args else error
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    if "invalid escape sequence: \\" in text and text[-1:].isdigit():
        return f"backreferences such as `{text.rsplit(' ', 1)[-1]}` are not supported ({_HINT})"
    if "invalid perl operator: (?=" in text or "invalid perl operator: (?!" in text:
        return f"lookaheads such as `(?=…)` and `(?!…)` are not supported ({_HINT})"
    if "invalid perl operator: (?<" in text:
        return f"lookbehinds such as `(?<=…)` and `(?<!…)` are not supported ({_HINT})"
    if "pattern too large" in text:
        return "the regex is too complex (it needs too much memory): simplify it"
    return f"it is not a valid regex: {text}"


@lru_cache(maxsize=256)
def _compile(pattern: str) -> tuple[re2._Regexp | None, str | None]:
    if len(pattern) > MAX_REGEX_LENGTH:
        return None, f"the regex is too long (max {MAX_REGEX_LENGTH} characters)"
    try:
        return re2.compile(pattern, _options()), None
    except re2.error as exc:
        return None, _reason(exc)
    except (TypeError, ValueError) as exc:  # e.g. a lone surrogate, which UTF-8 cannot hold
        return None, f"it is not a valid regex ({type(exc).__name__})"


def regex_problem(pattern: str) -> str | None:
    """Why `pattern` cannot be a subject regex, in words for the admin; None if it can."""
    return _compile(pattern)[1]


def compiled(pattern: str) -> re2._Regexp | None:
    """The compiled pattern (RE2, linear time), or None when `regex_problem` refuses it."""
    return _compile(pattern)[0]


def subject_matches(pattern: re2._Regexp, subject: str) -> bool:
    """Whether `pattern` finds a match in `subject`. RE2 works on UTF-8, and a subject may hold
    a lone surrogate (JSON allows one, UTF-8 does not): such a character is matched as "?"."""
    safe = subject.encode("utf-8", "replace").decode("utf-8")
    return pattern.search(safe) is not None
