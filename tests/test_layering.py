"""The import graph flows one way: training -> models -> features, serving -> models -> features."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGES = ("features", "models", "training", "serving")
ALLOWED: dict[str, set[str]] = {
    "features": {"features"},
    "models": {"models", "features"},
    "training": {"training", "models", "features"},
    "serving": {"serving", "models", "features"},
}
HEAVY_FORBIDDEN_IN_FEATURES = {"lightgbm", "mlflow", "fastapi", "shap", "sklearn", "uvicorn"}


def imported_top_levels(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def package_imports(root: Path, package: str) -> dict[Path, set[str]]:
    return {p: imported_top_levels(p) for p in sorted((root / package).rglob("*.py"))}


@pytest.mark.parametrize("package", PACKAGES)
def test_package_imports_only_lower_layers(repo_root: Path, package: str) -> None:
    violations = {
        str(path.relative_to(repo_root)): sorted((names & set(PACKAGES)) - ALLOWED[package])
        for path, names in package_imports(repo_root, package).items()
    }
    assert {k: v for k, v in violations.items() if v} == {}


def test_features_imports_no_model_or_server_library(repo_root: Path) -> None:
    hits = {
        str(path.relative_to(repo_root)): sorted(names & HEAVY_FORBIDDEN_IN_FEATURES)
        for path, names in package_imports(repo_root, "features").items()
    }
    assert {k: v for k, v in hits.items() if v} == {}


def test_checker_sees_a_violation(tmp_path: Path) -> None:
    # Guards the check itself: a forbidden import must be detected.
    (tmp_path / "serving").mkdir()
    (tmp_path / "serving" / "bad.py").write_text("from training.cli import app\n")
    assert "training" in package_imports(tmp_path, "serving")[tmp_path / "serving" / "bad.py"]
