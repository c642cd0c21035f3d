"""Regenerate the verification example of docs/verification.md and its chart from the shipped
meter file.

Usage: python scripts/verification_example.py  (a few seconds; writes docs/verification.md in
place between the ``verification-example`` marker comments, and
docs/images/verification_example.svg).

The command shown is the one run: ``decarb-verify`` on ``features/data/meters_example.csv``
(the same Typer app, called in this process); its text is trimmed to the verdict, the savings,
the fits and the periods left out or adjusted (each carrier's reporting totals, notes, method and
factors are in the full output)."""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from pathlib import Path

from serving.verify import EXAMPLE_FACTORY, EXAMPLE_INSTALLED, EXAMPLE_MEASURE, EXAMPLE_REGION
from serving.verify_cli import verify_app

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "verification.md"
CHART = "docs/images/verification_example.svg"
START = "<!-- verification-example:start (scripts/verification_example.py writes this block) -->"
END = "<!-- verification-example:end -->"
ARGS = ["features/data/meters_example.csv", "--measure", EXAMPLE_MEASURE,
        "--installed", EXAMPLE_INSTALLED, "--region", EXAMPLE_REGION,
        "--factory-id", EXAMPLE_FACTORY, "--chart", CHART]  # fmt: skip
#: The text up to (not including) the first of these headings is shown.
CUT_AT = ("Notes", "Method")


def run() -> str:
    """The command's text output (the chart is written as a side effect)."""
    out = io.StringIO()
    with contextlib.chdir(ROOT), contextlib.redirect_stdout(out):
        verify_app(ARGS, standalone_mode=False)
    return out.getvalue()


def trimmed(output: str) -> str:
    """The output up to its notes, without the "wrote" line and each carrier's second line
    (its reporting period's totals)."""
    lines = [line for line in output.splitlines() if not line.startswith(("wrote ", "  "))]
    for i, line in enumerate(lines):
        if line in CUT_AT:
            lines = [*lines[:i], "..."]
            break
    return "\n".join(lines).strip()


def block(output: str) -> str:
    command = ".venv/bin/decarb-verify " + " ".join(shlex.quote(a) for a in ARGS)
    return "\n".join(
        [
            START,
            "```bash",
            command,
            "```",
            "```text",
            trimmed(output),
            "```",
            "",
            f"![Metered use against the baseline, savings shaded]({CHART.removeprefix('docs/')})",
            END,
        ]
    )


def main() -> None:
    (ROOT / CHART).parent.mkdir(parents=True, exist_ok=True)
    text = DOC.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(text):
        raise SystemExit(f"{DOC.name} has no block between {START!r} and {END!r}")
    new = pattern.sub(lambda _: block(run()), text, count=1)
    DOC.write_text(new, encoding="utf-8")
    print(f"wrote {DOC} and {ROOT / CHART}")


if __name__ == "__main__":
    main()
