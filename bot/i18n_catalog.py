"""The translation catalogs' upkeep (for maintainers; the bot itself only reads them).

    python -m bot.i18n_catalog update   extract the marked strings from bot/ and bring each
                                        catalog in line: new ones added (untranslated), unused
                                        ones dropped, translations kept
    python -m bot.i18n_catalog check    exit 1 listing untranslated and unused entries
    python -m bot.i18n_catalog compile  write messages.mo beside each messages.po (what a
                                        wheel ships; setup.py runs it at build time)

Strings are marked with `_()`, `N_()` and `ngettext()` (see bot/i18n.py); the command line,
the demo and the emulators stay English and are not scanned.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from bot.i18n import DEFAULT_LANGUAGE, DOMAIN, LANGUAGES, LOCALE_DIR

PACKAGE = Path(__file__).resolve().parent
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
# Not user-facing in Slack: the terminal, the demo and the stand-ins speak English only.
SKIPPED = ("emulator/", "demo/", "cli.py", "i18n_catalog.py")

Message = str | tuple[str, str]  # a msgid, or (singular, plural)
HEADER = (
    "# The bot's Slack messages, translated.\n"
    "# Kept with `python -m bot.i18n_catalog update` (see bot/i18n_catalog.py)."
)


def extract() -> dict[Message, list[str]]:
    """Every marked string in bot/ and where it is (file:line)."""
    found: dict[Message, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(PACKAGE),
        method_map=[("**.py", "python")],
        keywords=KEYWORDS,
        comment_tags=(),
        strip_comment_tags=True,
    ):
        if filename.startswith(SKIPPED) or "/" in filename and filename.split("/")[0] == "locale":
            continue
        key: Message = message if isinstance(message, str) else (message[0], message[1])
        found.setdefault(key, []).append(f"bot/{filename}:{lineno}")
    return found


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(lang: str) -> Catalog:
    path = po_path(lang)
    if not path.exists():
        return Catalog(locale=lang, domain=DOMAIN)
    with path.open("rb") as f:
        return read_po(f, locale=lang)


@dataclass(frozen=True)
class Problems:
    untranslated: list[str]
    unused: list[str]


def problems(lang: str, found: dict[Message, list[str]] | None = None) -> Problems:
    """What is wrong with `lang`'s catalog against the code: marked strings it does not
    translate, and entries no code uses."""
    found = extract() if found is None else found
    catalog = read_catalog(lang)
    wanted = {m if isinstance(m, str) else m[0] for m in found}
    untranslated = []
    for message in found:
        msgid = message if isinstance(message, str) else message[0]
        entry = catalog.get(msgid)
        strings = entry.string if entry is not None else None
        ok = all(strings) if isinstance(strings, tuple | list) else bool(strings)
        if not ok:
            untranslated.append(msgid)
    unused = [
        str(m.id)
        for m in catalog
        if m.id and (m.id if isinstance(m.id, str) else m.id[0]) not in wanted
    ]
    return Problems(sorted(untranslated), sorted(unused))


def update(lang: str) -> Catalog:
    """Bring `lang`'s catalog in line with the code, keeping its translations."""
    found = extract()
    old = read_catalog(lang)
    new = Catalog(
        locale=lang,
        domain=DOMAIN,
        project="tencent-meeting-recordings-bot",
        header_comment=HEADER,
        fuzzy=False,
        creation_date=old.creation_date,
        revision_date=old.revision_date,
        last_translator="the bot's maintainers",
        language_team=f"{lang} <https://github.com/>",
    )
    for message, places in found.items():
        msgid = message if isinstance(message, str) else message[0]
        previous = old.get(msgid)
        string = (
            previous.string if previous is not None else ("" if isinstance(message, str) else ("",))
        )
        locations = [(p.rsplit(":", 1)[0], int(p.rsplit(":", 1)[1])) for p in places]
        new.add(message, string, locations=locations, flags=("python-brace-format",))
    path = po_path(lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_po(f, new, width=100, sort_output=False, omit_header=False)
    return new


def compile_catalogs(target: Path = LOCALE_DIR) -> list[Path]:
    """Write messages.mo for each language's messages.po under `target`."""
    written = []
    for lang in LANGUAGES:
        if lang == DEFAULT_LANGUAGE:
            continue
        with po_path(lang).open("rb") as f:
            catalog = read_po(f, locale=lang)
        out = target / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("wb") as f:
            write_mo(f, catalog)
        written.append(out)
    return written


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    languages = [lang for lang in LANGUAGES if lang != DEFAULT_LANGUAGE]
    if command == "update":
        for lang in languages:
            catalog = update(lang)
            print(f"{po_path(lang)}: {len(catalog)} entries")
        return 0
    if command == "compile":
        for path in compile_catalogs():
            print(path)
        return 0
    if command == "check":
        bad = False
        for lang in languages:
            found = problems(lang)
            for msgid in found.untranslated:
                print(f"{lang}: untranslated: {msgid!r}")
            for msgid in found.unused:
                print(f"{lang}: unused: {msgid!r}")
            bad = bad or bool(found.untranslated or found.unused)
        return 1 if bad else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
