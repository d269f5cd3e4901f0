"""The operator review UI: server-rendered pages for staff and a JSON API for scripts."""

from probe.web.app import create_app, serve

__all__ = ["create_app", "serve"]
