"""Every import in bot/ goes down the layers, never up (see the README's architecture).

A module may import modules of its own layer or of a lower one. The store and the Tencent side
sit side by side and import neither each other; the emulators stand apart from the product,
which reaches them only from its entry points (the command line and the demo).
"""

from __future__ import annotations

import ast
from pathlib import Path

import bot

PACKAGE = Path(bot.__file__).parent

# Top to bottom. A module belongs to the layer of the longest prefix that names it.
LAYERS: list[tuple[str, ...]] = [
    ("bot.cli", "bot.__main__", "bot.i18n_catalog"),
    ("bot.server", "bot.serve", "bot.demo", "bot.list_recent"),
    ("bot.wiring",),
    (
        "bot.slack.app",
        "bot.slack.listeners",
        "bot.poller",
        "bot.backfill",
        "bot.content_backfill",
        "bot.fastpath",
    ),
    ("bot.slack.answers",),
    (
        "bot.held",
        "bot.access",
        "bot.sync",
        "bot.content_fetch",
        "bot.passwords",
        "bot.preflight",
        "bot.delivery",
        "bot.admin",
        "bot.health",
        "bot.routing",
        "bot.subject_regex",
        "bot.slack.users",
        "bot.slack.webclient",
        "bot.slack.blocks",
        "bot.slack.mrkdwn",
        "bot.slack.parse",
        "bot.slack.status",
        "bot.slack.home",
        "bot.slack.texts",
        "bot.slack.markdown",
        "bot.slack.minutes",
        "bot.slack.hits",
        "bot.slack.unfurl",
        "bot.slack.access_blocks",
        "bot.slack.forms",
        "bot.slack.bolt_fixes",
    ),
    ("bot.store", "bot.tencent"),
    ("bot.models", "bot.meeting_content", "bot.config", "bot.stopping", "bot.metrics", "bot.i18n"),
]
INDEPENDENT = [("bot.store", "bot.tencent")]
EMULATOR = "bot.emulator"
EMULATOR_MAY_IMPORT = (
    "bot.tencent.signing",
    "bot.tencent.webhook",
    "bot.models",
    "bot.meeting_content",
    "bot.config",
)
MAY_IMPORT_EMULATOR = ("bot.cli", "bot.demo", "bot.list_recent")
PACKAGES_ONLY = ("bot", "bot.slack")  # namespaces: importing them means nothing


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def within(name: str | None, prefix: str) -> bool:
    if name is None:
        return False
    return name == prefix or name.startswith(prefix + ".")


def owner(name: str) -> tuple[int, str] | None:
    """(layer index, prefix) of a module; None for the emulator and the bare packages."""
    best: tuple[int, str] | None = None
    for index, layer in enumerate(LAYERS):
        for prefix in layer:
            if within(name, prefix) and (best is None or len(prefix) > len(best[1])):
                best = (index, prefix)
    return best


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every `bot.*` import in the file, lazy ones inside functions too."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if within(a.name, "bot")]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and within(node.module, "bot"):
            # `from bot.x import y` may name a submodule y: resolve() keeps what exists
            found += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
    return found


def resolve(target: str) -> str:
    """The module a dotted import name stands for (dropping an imported attribute)."""
    while target and not (
        (PACKAGE.parent / Path(*target.split("."))).with_suffix(".py").exists()
        or (PACKAGE.parent / Path(*target.split(".")) / "__init__.py").exists()
    ):
        target = target.rpartition(".")[0]
    return target


def judge(source: str, target: str) -> str | None:
    """Why `source` may not import `target`, or None when it may."""
    if within(source, EMULATOR):
        if within(target, EMULATOR) or any(within(target, p) for p in EMULATOR_MAY_IMPORT):
            return None
        return "the emulators use only the Tencent wire format"
    if within(target, EMULATOR):
        if any(within(source, p) for p in MAY_IMPORT_EMULATOR):
            return None
        return "only the entry points start the emulators"
    mine, theirs = owner(source), owner(target)
    if mine is None or theirs is None:
        return f"{source if mine is None else target} is in no layer: add it to LAYERS"
    if theirs[0] < mine[0]:
        return f"an import going up (from {mine[1]} to {theirs[1]})"
    for a, b in INDEPENDENT:
        if {mine[1], theirs[1]} == {a, b}:
            return f"{a} and {b} stand side by side"
    return None


def violations() -> list[str]:
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = module_name(path)
        for line, raw in imports(path):
            target = resolve(raw)
            if not target or target in PACKAGES_ONLY or within(target, source):
                continue
            reason = judge(source, target)
            if reason:
                problems.append(
                    f"{path.relative_to(PACKAGE.parent)}:{line} imports {target}: {reason}"
                )
    return list(dict.fromkeys(problems))


def test_every_import_goes_down_the_layers() -> None:
    problems = violations()
    assert problems == [], "\n".join(problems)


def test_the_rules_refuse_what_they_should() -> None:
    assert "going up" in judge("bot.store.routes", "bot.poller")
    assert "going up" in judge("bot.slack.blocks", "bot.slack.listeners.commands")
    assert "side by side" in judge("bot.tencent.client", "bot.store.budget")
    assert "entry points" in judge("bot.slack.app", "bot.emulator.slack")
    assert "wire format" in judge("bot.emulator.tencent", "bot.store")
    assert judge("bot.poller", "bot.sync") is None
    assert judge("bot.cli", "bot.emulator.tencent") is None
