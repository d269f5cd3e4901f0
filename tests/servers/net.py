"""Loopback helpers (they live in the product: the sandbox uses them too)."""

from probe.sandbox.net import free_port, free_udp_port, port_bound, wait_for_port

__all__ = ["free_port", "free_udp_port", "port_bound", "wait_for_port"]
