"""The stand-ins' modules import one another in one direction only: no module of bot/emulator/
reaches itself again through its imports (type-checking imports included). What they may import
from the product is checked by tests/test_layers.py."""

from __future__ import annotations

import ast
from pathlib import Path

import bot.emulator

ROOT = Path(bot.emulator.__file__).parent
PREFIX = "bot.emulator"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def graph() -> dict[str, set[str]]:
    """Module -> the modules of bot.emulator it imports (an imported name resolves to its module,
    a package to its __init__)."""
    modules = {module_name(p): p for p in ROOT.rglob("*.py")}
    edges: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [f"{node.module}.{a.name}" for a in node.names]
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target.startswith(PREFIX) and target != name:
                    found.add(target)
        edges[name] = found
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    found, done = [], set()

    def visit(node: str, path: list[str]) -> None:
        if node in path:
            found.append([*path[path.index(node) :], node])
            return
        if node in done:
            return
        for nxt in sorted(edges.get(node, ())):
            visit(nxt, [*path, node])
        done.add(node)

    for node in sorted(edges):
        visit(node, [])
    return found


def test_no_module_of_the_stand_ins_imports_itself_back() -> None:
    edges = graph()
    assert cycles(edges) == []  # (a module importing its own package's __init__ would be one)
    assert "bot.emulator.slack.server" in edges["bot.emulator.slack"]
    assert "bot.emulator.slack.socket_mode" in edges["bot.emulator.slack.server"]


def test_the_cycle_finder_finds_one() -> None:
    assert cycles({"a": {"b"}, "b": {"a"}}) == [["a", "b", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
