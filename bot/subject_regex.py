"""Subject regexes (`subject~REGEX` routes) on RE2: matching takes time linear in the subject,
whatever the pattern, so no route can make the bot spin (Python's `re` backtracks, and
`(a+)+$` against 'aaaa…!' takes hours).

RE2 refuses what it cannot run in linear time (backreferences, lookarounds); `regex_problem`
says why in words an admin can act on. No I/O here.

Python's `\\w \\d \\s` (and their negations) are Unicode-aware, RE2's are ASCII only, so
`unicode_classes` rewrites them into Unicode properties before compiling: `^\\w+周会` keeps
matching "产品周会" and `\\d{4}` keeps matching "２０２４". `\\b`/`\\B` keep RE2's ASCII
meaning: RE2 has no Unicode word boundary, and refusing them would quarantine working routes.
"""

from __future__ import annotations

from functools import lru_cache

import re2

from bot.i18n import N_, _

MAX_REGEX_LENGTH = 200  # characters of pattern
MAX_MEM = 4 << 20  # bytes RE2 may use for one compiled pattern (its default is 8 MiB): \w{200}

_HINT = N_(
    "subject regexes use RE2 syntax, which runs in linear time: backreferences and "
    "lookarounds are not supported"
)
# Why a pattern is refused: a message id and its values, translated when shown (the refusal is
# cached per pattern, the language is the asker's).
Problem = tuple[str, tuple[tuple[str, str], ...]]


def _problem(message: str, **values: object) -> Problem:
    return message, tuple((key, str(value)) for key, value in values.items())


def _options() -> re2.Options:
    options = re2.Options()
    options.max_mem = MAX_MEM
    options.log_errors = False  # refusals are reported to the admin, not written to stderr
    return options


def _reason(error: Exception) -> Problem:
    raw = error.args[0] if error.args else error
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    if "invalid escape sequence: \\" in text and text[-1:].isdigit():
        example = f"`{text.rsplit(' ', 1)[-1]}`"
        return _problem(
            N_("backreferences such as {example} are not supported ({hint})"), example=example
        )
    if "invalid perl operator: (?=" in text or "invalid perl operator: (?!" in text:
        return _problem(
            N_("lookaheads such as {example} are not supported ({hint})"),
            example="`(?=…)`, `(?!…)`",
        )
    if "invalid perl operator: (?<" in text:
        return _problem(
            N_("lookbehinds such as {example} are not supported ({hint})"),
            example="`(?<=…)`, `(?<!…)`",
        )
    if "pattern too large" in text:
        return _problem(N_("the regex is too complex (it needs too much memory): simplify it"))
    return _problem(N_("it is not a valid regex: {error}"), error=text)


# Python's Unicode classes (str patterns) as RE2 class items. Python's `\\s` is str.isspace():
# RE2's `\\s` (\\t\\n\\f\\r space) plus \\v, \\x1c-\\x1f, \\x85 and the separators \\p{Z}. Each
# expansion starts and ends with an escape, so it can never become one end of a range `a-z`.
_WORD = r"\p{L}_\p{N}"
_DIGIT = r"\p{Nd}"
_SPACE = r"\s\x0b\x1c-\x1f\x85\p{Z}"
_ITEMS = {"w": _WORD, "d": _DIGIT, "s": _SPACE}
_OUTSIDE = {
    "w": f"[{_WORD}]",
    "W": f"[^{_WORD}]",
    "d": _DIGIT,
    "D": r"\P{Nd}",
    "s": f"[{_SPACE}]",
    "S": f"[^{_SPACE}]",
    "Z": r"\z",  # Python's end of text; RE2 spells it \z and refuses \Z
}
_HEX = frozenset("0123456789abcdefABCDEF")


class RewriteError(ValueError):
    """A construct whose Python meaning RE2 cannot express; the message says what to write."""

    def __init__(self, problem: Problem):
        super().__init__(problem[0].format(**dict(problem[1])))
        self.problem = problem


def _escape_at(pattern: str, i: int) -> tuple[str, int]:
    """The escape starting at pattern[i] == "\\" as (letter(s), index after it). `\\uXXXX` and
    `\\UXXXXXXXX` (Python spellings RE2 lacks) come back whole; a trailing "\\" as ""."""
    if i + 1 >= len(pattern):
        return "", i + 1
    letter = pattern[i + 1]
    width = {"u": 4, "U": 8}.get(letter)
    if width is not None:
        digits = pattern[i + 2 : i + 2 + width]
        if len(digits) == width and set(digits) <= _HEX:
            return letter + digits, i + 2 + width
    return letter, i + 2


def _codepoint(escape: str) -> str:
    return r"\x{" + escape[1:].lstrip("0").rjust(1, "0") + "}"


def _rewrite_class(pattern: str, i: int) -> tuple[str, int]:
    """The class starting at pattern[i] == "[" rewritten, and the index after its "]"."""
    start = i
    i += 1
    negated = pattern.startswith("^", i)
    i += negated
    items: list[str] = []
    complements: list[str] = []  # w, d, s for a \W, \D, \S inside the class
    first = True
    while i < len(pattern):
        char = pattern[i]
        if char == "]" and not first:
            break
        first = False
        if char == "[" and pattern.startswith("[:", i):  # [:alpha:], RE2's POSIX class (ASCII)
            end = pattern.find(":]", i + 2)
            if end != -1:
                items.append(pattern[i : end + 2])
                i = end + 2
                continue
        if char != "\\":
            items.append(char)
            i += 1
            continue
        escape, i = _escape_at(pattern, i)
        if escape in _ITEMS:
            items.append(_ITEMS[escape])
        elif escape in ("W", "D", "S"):
            complements.append(escape.lower())
        elif escape == "b":
            items.append(r"\x08")  # backspace, as in Python
        elif len(escape) > 1:
            items.append(_codepoint(escape))
        else:
            items.append("\\" + escape)
    else:
        return pattern[start:], len(pattern)  # unclosed: RE2 says "missing ]"
    i += 1
    body = "".join(items)
    if not complements:
        return "[" + "^" * negated + body + "]", i
    if negated:
        if len(complements) == 1 and not body:  # [^\W] is \w: the same class, un-negated
            return _OUTSIDE[complements[0]], i
        raise RewriteError(
            _problem(
                N_(
                    "{construct} (a negated class holding `\\W`, `\\D` or `\\S`) has no "
                    "Unicode equivalent in RE2: list what you want instead, e.g. {letters} for "
                    "letters or {others} for non-digits"
                ),
                construct=f"`{pattern[start:i]}`",
                letters="`\\p{L}`",
                others="`[^\\p{N}]`",
            )
        )
    parts = [_OUTSIDE[letter.upper()] for letter in complements] + ([f"[{body}]"] if body else [])
    return "(?:" + "|".join(parts) + ")" if len(parts) > 1 else parts[0], i


def unicode_classes(pattern: str) -> str:
    """`pattern` with Python's Unicode `\\w \\W \\d \\D \\s \\S` (outside and inside classes),
    `\\Z`, `\\uXXXX` and `\\UXXXXXXXX` spelled so RE2 means the same; `\\Q...\\E` and other
    escapes are copied. Raises RewriteError for what has no RE2 equivalent."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "[":
            text, i = _rewrite_class(pattern, i)
            out.append(text)
            continue
        if char != "\\":
            out.append(char)
            i += 1
            continue
        if pattern.startswith("\\Q", i):  # literal text up to \\E (or the end), as RE2 reads it
            end = pattern.find("\\E", i + 2)
            end = len(pattern) if end == -1 else end + 2
            out.append(pattern[i:end])
            i = end
            continue
        escape, i = _escape_at(pattern, i)
        if escape in _OUTSIDE:
            out.append(_OUTSIDE[escape])
        elif len(escape) > 1:
            out.append(_codepoint(escape))
        else:
            out.append("\\" + escape)
    return "".join(out)


def _syntax_error(pattern: str) -> re2.error | None:
    """RE2's complaint about the pattern as the admin wrote it (not as rewritten), if any."""
    try:
        re2.compile(pattern, _options())
    except re2.error as exc:
        return exc
    return None


@lru_cache(maxsize=256)
def _compile(pattern: str) -> tuple[re2._Regexp | None, Problem | None]:
    if len(pattern) > MAX_REGEX_LENGTH:
        return None, _problem(
            N_("the regex is too long (max {most} characters)"), most=MAX_REGEX_LENGTH
        )
    try:
        return re2.compile(unicode_classes(pattern), _options()), None
    except RewriteError as exc:
        return None, exc.problem
    except re2.error as exc:
        return None, _reason(_syntax_error(pattern) or exc)
    except (TypeError, ValueError) as exc:  # e.g. a lone surrogate, which UTF-8 cannot hold
        return None, _problem(N_("it is not a valid regex ({error})"), error=type(exc).__name__)


def regex_problem(pattern: str) -> str | None:
    """Why `pattern` cannot be a subject regex, in words for the admin (in the context's
    language); None if it can."""
    problem = _compile(pattern)[1]
    if problem is None:
        return None
    message, values = problem
    return _(message).format(hint=_(_HINT), **dict(values))


def compiled(pattern: str) -> re2._Regexp | None:
    """The compiled pattern (RE2, linear time), or None when `regex_problem` refuses it."""
    return _compile(pattern)[0]


def subject_matches(pattern: re2._Regexp, subject: str) -> bool:
    """Whether `pattern` finds a match in `subject`. RE2 works on UTF-8, and a subject may hold
    a lone surrogate (JSON allows one, UTF-8 does not): such a character is matched as "?"."""
    safe = subject.encode("utf-8", "replace").decode("utf-8")
    return pattern.search(safe) is not None
