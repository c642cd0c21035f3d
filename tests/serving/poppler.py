"""Reading PDFs back with poppler's tools, as a person's viewer would."""

from __future__ import annotations

import subprocess
from pathlib import Path


def pdf_text(pdf: Path, last_page: int | None = None) -> str:
    """The text of ``pdf`` (up to ``last_page``) as pdftotext extracts it."""
    args = ["pdftotext", "-enc", "UTF-8"]
    if last_page is not None:
        args += ["-l", str(last_page)]
    done = subprocess.run([*args, str(pdf), "-"], capture_output=True, check=True, timeout=60)
    return done.stdout.decode("utf-8")


def pdf_pages_render(pdf: Path, prefix: Path, dpi: int = 50) -> int:
    """Render every page to PNG with pdftoppm; fails on any error or warning it prints.
    Returns the number of pages."""
    prefix.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(prefix)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "", done.stderr
    pages = sorted(prefix.parent.glob(f"{prefix.name}-*.png"))
    assert all(p.stat().st_size > 1000 for p in pages)
    return len(pages)
