"""The web channel names a site's transport failure by the layer that failed, and decodes a page
by the charset it declares."""

from __future__ import annotations

import socket
import ssl

import httpx

from adapters.web.fetch import Response, site_reason


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


def _response(body: bytes, content_type: str = "text/html") -> Response:
    headers = httpx.Headers({"content-type": content_type})
    return Response(url="https://x.test/", status=200, headers=headers, body=body, http_version="")


def test_a_page_is_decoded_by_its_header_its_meta_or_as_utf8() -> None:
    text = "<p>Часто задаваемые вопросы</p>"
    cp1251 = f'<html><head><meta charset="windows-1251"></head><body>{text}</body></html>'
    assert text in _response(cp1251.encode("cp1251")).text
    old = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1251">'
        f"</head><body>{text}</body></html>"
    )
    assert text in _response(old.encode("cp1251")).text
    assert text in _response(text.encode("koi8-r"), "text/html; charset=KOI8-R").text
    assert _response(text.encode()).text == text
