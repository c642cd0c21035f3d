"""The factory's own pages and printable report, served by the API's app."""

from serving.pages.routes import install

__all__ = ["install"]
