"""The one gate every channel passes before opening a connection.

With PROBE_NETWORK=loopback (the default, and always in tests and the sandbox) only 127.0.0.0/8
and ::1 can be reached: a real organisation can never be called or e-mailed by mistake.
"""

from __future__ import annotations

import ipaddress
import socket

from probe.errors import DestinationRefusedError


def resolve(host: str) -> list[str]:
    try:
        ipaddress.ip_address(host)
        return [host]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except socket.gaierror as error:
        raise DestinationRefusedError(f"cannot resolve {host!r}: {error}") from error
    return sorted({str(info[4][0]) for info in infos})


def is_loopback(address: str) -> bool:
    return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback


def ensure_destination_allowed(host: str, *, network: str) -> list[str]:
    """The addresses of `host`, or DestinationRefusedError when the policy forbids any of them."""
    addresses = resolve(host)
    if network == "external":
        return addresses
    outside = [a for a in addresses if not is_loopback(a)]
    if outside or not addresses:
        raise DestinationRefusedError(
            f"destination {host!r} ({', '.join(addresses) or 'no address'}) is not loopback and "
            "PROBE_NETWORK=loopback: only 127.0.0.0/8 and ::1 may be reached"
        )
    return addresses
