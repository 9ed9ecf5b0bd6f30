"""The shape of the code, checked: no import cycles, a light application layer, small files.

import-linter (pyproject.toml) checks the layers between packages. What it cannot see
is checked here:

- cycles, counting imports inside functions: a local import that closes a loop still
  ties the modules into one knot (and "local: X imports this module" comments were
  how such knots used to be hidden);
- that the application layer, which both front ends call, imports neither textual,
  rich nor torch when it is imported, so the CLI and the web front end stay fast and
  the layer stays UI-free;
- that no module grows past 400 lines.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {"tui": "duelist.tui", "engine": "duelist.engine", "store": "duelist.store"}
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    mods: dict[str, Path] = {}
    for folder, dotted in PACKAGES.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            mods[".".join((dotted, *parts))] = path
    return mods


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """Project modules `path` imports anywhere: top level, functions, TYPE_CHECKING blocks."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import (ruff TID252 bans them)"
            base = node.module or ""
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        found.update(name for name in names if name in modules)
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        out.append(sorted(component))
    return out


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        # importing a submodule runs its package's __init__, which is not a dependency
        # of the package on its child: drop the edge from a module to its own parents.
        graph[name] = {m for m in _imports(path, modules)
                       if m != name and not name.startswith(m + ".")}
    return graph


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_counting_local_imports() -> None:
    cycles = _cycles(_graph())
    assert not cycles, "import cycles (local imports count):\n" + "\n".join(
        " <-> ".join(c) for c in cycles)


def test_the_application_layer_imports_no_ui_and_no_torch() -> None:
    app = [name for name in _modules() if name.startswith("duelist.engine.application")]
    assert len(app) > 5, app
    code = ("import sys\n" + "".join(f"import {name}\n" for name in app)
            + "print(' '.join(sorted(sys.modules)))")
    loaded = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                check=True).stdout.split())
    heavy = {"textual", "rich", "torch", "transformers", "trl", "peft", "accelerate", "datasets"}
    assert not loaded & heavy, f"the application layer pulled in {sorted(loaded & heavy)}"


@pytest.mark.parametrize("folder", sorted(PACKAGES))
def test_no_module_is_over_400_lines(folder: str) -> None:
    long = {str(p.relative_to(ROOT)): n for p in (ROOT / folder).rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def _readme_folders() -> set[str]:
    """Folders the README's layout block names, nested by two-space indentation."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("## Layout", 1)[1].split("```", 2)[1]
    folders: set[str] = set()
    parents: list[str] = []
    for line in block.splitlines():
        stripped = line.lstrip(" ")
        name = stripped.split(" ", 1)[0]
        if not name.endswith("/"):
            continue
        depth = (len(line) - len(stripped)) // 2
        parents = [*parents[:depth], name.rstrip("/")]
        folders.add("/".join(parents))
    return folders


def test_the_readme_layout_names_every_folder_and_only_real_ones() -> None:
    skip = {"__pycache__", "__snapshots__"}
    tree = {str(p.relative_to(ROOT)) for top in ("tui", "engine", "store", "bench", "tests")
            for p in [ROOT / top, *(ROOT / top).rglob("*")]
            if p.is_dir() and not skip & set(p.parts)}
    listed = _readme_folders()
    assert not tree - listed, f"folders the README's layout does not name: {sorted(tree - listed)}"
    assert not listed - tree - {"assets"}, f"README names missing folders: {sorted(listed - tree)}"


def test_the_import_contracts_hold() -> None:
    """The layer contracts in pyproject.toml (each with its reason), checked here too so a
    plain `pytest` run enforces them, not only `make test`."""
    lint = Path(sys.executable).with_name("lint-imports")
    if not lint.exists():
        pytest.skip("import-linter is not installed in this environment")
    done = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:]
