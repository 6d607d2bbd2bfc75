"""The package's layers: imports point only down datasets -> metrics -> report -> build (with
errors, config and files beneath all four), modules stay small, and ARCHITECTURE.md's tree is the
code's tree."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "src" / "analysis"
#: rank of each layer: a module may import from its own rank or lower ones
RANKS = {"errors": 0, "config": 0, "files": 0, "words": 0, "datasets": 1, "metrics": 2, "report": 3, "build": 4}


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "analysis" or len(parts) < 2:
        return None
    return parts[1] if parts[1] in RANKS else None


def module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports_of(path: Path, source: str | None = None) -> list[tuple[int, str]]:
    """Every module imported anywhere in the file (also inside functions), absolute names."""
    tree = ast.parse(path.read_text(encoding="utf-8") if source is None else source)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}:{node.lineno}: relative import (use absolute analysis.* imports)"
            base = node.module or ""
            out.append((node.lineno, base))
            out += [(node.lineno, f"{base}.{a.name}") for a in node.names]
    return out


MODULES = sorted(p for p in PKG.rglob("*.py"))


def upward_imports(path: Path, source: str | None = None) -> list[str]:
    me = layer_of(module_name(path))
    if me is None:
        return []
    bad = []
    for line, name in imports_of(path, source):
        other = layer_of(name)
        if other is not None and RANKS[other] > RANKS[me]:
            bad.append(f"{path.relative_to(ROOT)}:{line} ({me}) imports {name} ({other})")
    return bad


def test_no_import_points_up_the_layers():
    bad = [b for p in MODULES for b in upward_imports(p)]
    assert not bad, "upward imports:\n" + "\n".join(bad)


def test_the_check_catches_an_upward_import():
    path = PKG / "metrics" / "votes.py"
    source = path.read_text(encoding="utf-8") + "\n\ndef f():\n    from analysis.report import charts\n"
    assert any("imports analysis.report" in b for b in upward_imports(path, source))
    assert not upward_imports(path)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PKG)))
def test_modules_stay_small(path):
    n = len(path.read_text(encoding="utf-8").splitlines())
    assert n <= 420, f"{path.relative_to(ROOT)} has {n} lines (split it by job)"


def test_architecture_md_tree_matches_the_code():
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    block = re.search(r"```text\n(src/analysis/.*?)```", text, re.S).group(1)
    listed = set()
    stack: list[tuple[int, str]] = []  # (indent, folder) of the folders the current line is inside
    for line in block.splitlines()[1:]:
        m = re.match(r"^(\s*)([\w./]+)", line)
        if not m:
            continue
        indent, name = len(m.group(1)), m.group(2)
        while stack and stack[-1][0] >= indent:
            stack.pop()
        prefix = "".join(folder for _, folder in stack)
        if name.endswith("/"):
            stack.append((indent, name))
        elif name.endswith(".py"):
            listed.add(prefix + name)
    actual = {str(p.relative_to(PKG)) for p in MODULES}
    assert listed == actual, f"missing from ARCHITECTURE.md: {sorted(actual - listed)}; " \
                             f"listed but absent: {sorted(listed - actual)}"
