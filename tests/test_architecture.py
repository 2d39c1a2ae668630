"""The shape of the code: imports run one way, and every route is named after its handler.

``web/core/`` holds what every feature uses; each other folder of ``web/`` is one
feature (its routes and domain code). Features import core, never the other way;
no two modules, and no two features, import each other in a circle; the matching
engine knows nothing of the web app. ``web/app.py`` and ``web/cli.py`` put the
features together and may import any of them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

from litestar import Litestar

from web.app import create_app
from web.core.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "web"
MATCHING = ROOT / "matching"

Graph = Mapping[str, set[str]]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, known: set[str]) -> set[str]:
    """The modules of ``known`` that ``path`` imports anywhere in it (inside functions and
    ``TYPE_CHECKING`` blocks too: a circle dodged that way is still a circle)."""
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from .x import y
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in known else base)
    return {name for name in found if name in known and name != here}


def import_graph(folder: Path) -> dict[str, set[str]]:
    paths = sorted(folder.rglob("*.py"))
    known = {module_name(path) for path in paths}
    return {module_name(path): imported_modules(path, known) for path in paths}


def find_cycles(graph: Graph) -> list[list[str]]:
    """One circle per strongly connected group of nodes (Tarjan), each as a path."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph.get(node, ()):
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def feature_of(module: str) -> str | None:
    """``web.runs.routes`` -> ``runs``; None for core and for the app's entry modules."""
    parts = module.split(".")
    if len(parts) < 3 or parts[1] == "core":
        return None
    return parts[1]


def feature_graph(graph: Graph) -> dict[str, set[str]]:
    features: dict[str, set[str]] = {}
    for module, targets in graph.items():
        source = feature_of(module)
        if source is None:
            continue
        features.setdefault(source, set()).update(
            target for target in map(feature_of, targets) if target is not None and target != source
        )
    return features


def describe(cycles: Iterable[list[str]]) -> str:
    return "; ".join(" <-> ".join(group) for group in cycles)


def test_the_cycle_finder_finds_a_circle_and_ignores_a_line() -> None:
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_no_web_module_imports_itself_in_a_circle() -> None:
    cycles = find_cycles(import_graph(WEB))
    assert not cycles, f"import circles in web/: {describe(cycles)}"


def test_no_two_features_import_each_other_in_a_circle() -> None:
    features = feature_graph(import_graph(WEB))
    assert {"signup", "runs", "suggestions", "tandems"} <= set(features)
    cycles = find_cycles(features)
    assert not cycles, f"features importing each other in a circle: {describe(cycles)}"


def test_core_imports_no_feature() -> None:
    graph = import_graph(WEB)
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in graph.items()
        if module.startswith("web.core")
        for target in targets
        if not target.startswith("web.core")
    )
    assert "web.core.participants" in graph
    assert not wrong, "web/core/ must not import a feature: " + "; ".join(wrong)


def test_the_matching_engine_imports_nothing_from_web() -> None:
    wrong = []
    for path in sorted(MATCHING.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            wrong += [
                f"{path.relative_to(ROOT)}: {name}"
                for name in names
                if name == "web" or name.startswith("web.")
            ]
    assert not wrong, "matching/ must not import the web app: " + "; ".join(wrong)


def named_handlers(app: Litestar) -> list[tuple[str, str, str]]:
    """(path, route name, handler function name) of every handler of ours."""
    found = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if handler.name is None or route.path.startswith("/static"):
                continue  # Litestar's own OPTIONS handlers and the static files
            found.append((route.path, handler.name, handler.handler_name))
    return found


def test_every_route_is_named_after_its_handler(settings: Settings) -> None:
    handlers = named_handlers(create_app(settings))
    assert len(handlers) > 60
    different = [
        f"{path}: name={name!r}, handler {fn}" for path, name, fn in handlers if name != fn
    ]
    assert not different, "route names that differ from their handler: " + "; ".join(different)
