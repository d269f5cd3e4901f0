"""The operator review UI: server-rendered pages for staff and a JSON API for scripts.

`create_app` and `serve` live in probe.web.app; importing this package does not load FastAPI
(the CLI imports probe.web.security for `probe user` and must start fast).
"""
