"""Rewrite the generated heavy-industry section of docs/engineering-basis.md from the route
table and the catalogue. Run: python scripts/build_heavy_industry_basis.py"""

from __future__ import annotations

from pathlib import Path

from features.catalogue.route_basis import heavy_industry_markdown, with_section

DOC = Path(__file__).resolve().parents[1] / "docs" / "engineering-basis.md"


def main() -> None:
    DOC.write_text(with_section(DOC.read_text(encoding="utf-8"), heavy_industry_markdown()))
    print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
