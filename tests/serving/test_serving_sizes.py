"""serving/ stays readable (issue 27): no module over 600 lines and no function over 60."""

from __future__ import annotations

import ast

from tests.conftest import REPO_ROOT

#: Longest module and function, in lines (issue 27's "done when").
MODULE_LINES, FUNCTION_LINES = 600, 60


def test_no_module_or_function_in_serving_is_too_long() -> None:
    too_long = []
    for path in sorted((REPO_ROOT / "serving").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        name = path.relative_to(REPO_ROOT).as_posix()
        if len(source.splitlines()) > MODULE_LINES:
            too_long.append(f"{name}: {len(source.splitlines())} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > FUNCTION_LINES:
                    too_long.append(f"{name}:{node.lineno} {node.name}: {lines} lines")
    assert not too_long, "\n".join(too_long)
