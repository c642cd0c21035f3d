"""The catalogue builds on the production routes, never the other way round: no module of
features/process_routes imports features.catalogue (the catalogue's measures read route effects
and check route names against the route table; the routes know nothing of measures)."""

from __future__ import annotations

import ast
from pathlib import Path

ROUTES = Path(__file__).resolve().parents[2] / "features" / "process_routes"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_process_routes_never_import_the_catalogue() -> None:
    modules = sorted(ROUTES.glob("*.py"))
    assert len(modules) >= 5  # definitions, effects, emissions, estimate, inference
    upward = {
        p.name: sorted(n for n in _imports(p) if n.startswith("features.catalogue"))
        for p in modules
    }
    assert {k: v for k, v in upward.items() if v} == {}


def test_the_check_sees_an_upward_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from features.catalogue.measures import Catalogue\n")
    assert "features.catalogue.measures" in _imports(bad)
