"""The web channel names a site's transport failure by the layer that failed."""

from __future__ import annotations

import socket
import ssl

import httpx

from adapters.web.fetch import site_reason


def _chained(error: Exception, cause: BaseException) -> Exception:
    error.__cause__ = cause
    return error


def test_each_layers_failure_has_its_own_reason() -> None:
    dns = _chained(httpx.ConnectError("x"), socket.gaierror(-2, "Name or service not known"))
    assert site_reason(dns) == "dns: [Errno -2] Name or service not known"
    refused = _chained(httpx.ConnectError("x"), ConnectionRefusedError(111, "refused"))
    assert site_reason(refused) == "tcp: connection refused"
    expired = ssl.SSLCertVerificationError(1, "certificate verify failed")
    expired.verify_message = "certificate has expired"
    assert site_reason(_chained(httpx.ConnectError("x"), expired)) == (
        "tls: certificate has expired"
    )
    timeout = _chained(httpx.ReadTimeout("x"), ssl.SSLError(2, "read cut short"))
    assert site_reason(timeout) == "timeout: ReadTimeout"
    assert site_reason(httpx.RemoteProtocolError("peer closed")) == "connection: peer closed"
