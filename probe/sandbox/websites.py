"""Real websites for the sandbox and the tests: nginx from Debian (`nginx-light`), run as the
current user from a config in a run folder, on free loopback ports, over HTTPS (HTTP/2) with
certificates of a local CA made here (`cryptography`), plus an expired one, a plain-HTTP port
that starts a redirect chain, and a port nothing listens on (a site that is down).

    with serve_websites([SiteRequest("plain_form", "Центр «Родник»", ("+73812000001",), ())],
                        run_dir) as served:
        served.urls[0], served.ca_bundle

The pages come from sitepages.py; what each kind is built to answer is sitepages.EXPECTED.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import ipaddress
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from probe.sandbox.net import free_port, wait_for_port
from probe.sandbox.sitepages import ACTIONS, EXPECTED, KINDS, build_site

NGINX = Path("/usr/sbin/nginx")

__all__ = ["EXPECTED", "KINDS", "ServedSites", "SiteRequest", "nginx_installed", "serve_websites"]


def nginx_installed() -> bool:
    return NGINX.exists()


@dataclass(frozen=True)
class SiteRequest:
    kind: str
    name: str
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()


@dataclass
class ServedSites:
    urls: list[str]  # the home page of each requested site, in order
    ca_bundle: Path  # trust this (PROBE_WEB__CA_BUNDLE) to verify the sites' certificates
    run_dir: Path
    process: subprocess.Popen[bytes] | None = None
    kinds: list[str] = field(default_factory=list)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.process = None


# -- certificates ------------------------------------------------------------------------------


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _write(path: Path, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate) -> None:
    path.with_suffix(".key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.with_suffix(".crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def make_certificates(folder: Path) -> Path:
    """A local CA, a certificate for 127.0.0.1/localhost it signed (valid), and one that expired
    yesterday. Returns the CA bundle (ca.crt)."""
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    ca_key = _key()
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "contact-prober sandbox CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=30))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    _write(folder / "ca", ca_key, ca)
    for name, start, end in (
        ("valid", now - dt.timedelta(days=1), now + dt.timedelta(days=90)),
        ("expired", now - dt.timedelta(days=90), now - dt.timedelta(days=1)),
    ):
        key = _key()
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(
                x509.SubjectAlternativeName(
                    [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
                ),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
            )
            .sign(ca_key, hashes.SHA256())
        )
        _write(folder / name, key, cert)
    return folder / "ca.crt"


# -- nginx -------------------------------------------------------------------------------------


def _server_block(port: int, root: Path, certs: Path, cert: str, kind: str) -> str:
    actions = "".join(
        f'    location = {path} {{ default_type text/plain; return {status} "{status}\\n"; }}\n'
        for path, status in ACTIONS.items()
    )
    return (
        "server {\n"
        f"    listen 127.0.0.1:{port} ssl http2;\n"
        f"    ssl_certificate {certs / (cert + '.crt')};\n"
        f"    ssl_certificate_key {certs / (cert + '.key')};\n"
        f"    root {root};\n"
        "    index index.html;\n"
        "    charset utf-8;\n"
        "    location = /old/ { return 302 /; }\n"
        + ("    location = / { return 503; }\n" if kind == "home_error" else "")
        + f"{actions}"
        "}\n"
    )


def _redirect_block(port: int, to_port: int) -> str:
    return (
        "server {\n"
        f"    listen 127.0.0.1:{port};\n"
        f"    location / {{ return 301 https://127.0.0.1:{to_port}/old/; }}\n"
        "}\n"
    )


def _nginx_conf(run_dir: Path, servers: list[str]) -> str:
    temp = run_dir / "temp"
    user = f"user {getpass.getuser()};\n" if os.geteuid() == 0 else ""
    temps = "".join(
        f"    {name}_temp_path {temp / name};\n"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"{user}worker_processes 1;\ndaemon off;\npid {run_dir / 'nginx.pid'};\n"
        f"error_log {run_dir / 'error.log'} warn;\n"
        "events { worker_connections 256; }\n"
        "http {\n"
        "    types { text/html html; application/javascript js; text/css css; "
        "text/plain txt; image/png png; }\n"
        "    default_type application/octet-stream;\n"
        '    log_format probe \'$msec $server_port $status "$request" "$http_user_agent"\';\n'
        f"    access_log {run_dir / 'access.log'} probe;\n"
        f"{temps}" + "".join(servers) + "}\n"
    )


def _write_site(root: Path, files: dict[str, str]) -> None:
    for path, content in files.items():
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")


def _plan(requests: list[SiteRequest], run_dir: Path, certs: Path) -> tuple[list[str], list[str]]:
    """Each site's files, server blocks and URL."""
    servers: list[str] = []
    urls: list[str] = []
    for index, request in enumerate(requests):
        if request.kind not in EXPECTED:
            raise ValueError(f"unknown site kind {request.kind!r}; known: {', '.join(KINDS)}")
        root = run_dir / "sites" / f"{index:03d}"
        files = build_site(request.kind, index, request.name, request.phones, request.emails)
        _write_site(root, files)
        port = free_port()
        if request.kind == "down":
            urls.append(f"https://127.0.0.1:{port}/")  # nothing ever listens there
            continue
        cert = "expired" if request.kind == "expired_cert" else "valid"
        servers.append(_server_block(port, root, certs, cert, request.kind))
        if request.kind == "redirect_chain":
            plain = free_port()
            servers.append(_redirect_block(plain, port))
            urls.append(f"http://127.0.0.1:{plain}/")
        else:
            urls.append(f"https://127.0.0.1:{port}/")
    return servers, urls


def start_websites(requests: list[SiteRequest], run_dir: Path) -> ServedSites:
    """Write the sites, their certificates and nginx's config under `run_dir`; start nginx."""
    if not nginx_installed():
        raise RuntimeError("nginx is not installed: run scripts/setup.sh (package nginx-light)")
    run_dir.mkdir(parents=True, exist_ok=True)
    for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (run_dir / "temp" / name).mkdir(parents=True, exist_ok=True)
    ca_bundle = make_certificates(run_dir / "certs")
    servers, urls = _plan(requests, run_dir, run_dir / "certs")
    conf = run_dir / "nginx.conf"
    conf.write_text(_nginx_conf(run_dir, servers), encoding="utf-8")
    served = ServedSites(urls, ca_bundle, run_dir, kinds=[r.kind for r in requests])
    if not servers:
        return served
    log = (run_dir / "nginx.out").open("wb")
    served.process = subprocess.Popen(
        [str(NGINX), "-p", str(run_dir), "-c", str(conf), "-e", str(run_dir / "error.log")],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        for url, kind in zip(urls, served.kinds, strict=True):
            if kind != "down":
                if served.process.poll() is not None:
                    raise RuntimeError(f"nginx exited: {_tail(run_dir)}")
                wait_for_port(int(url.rsplit(":", 1)[1].strip("/")), timeout=15.0)
    except Exception:
        served.stop()
        raise
    return served


def _tail(run_dir: Path) -> str:
    names = ("nginx.out", "error.log")
    texts = [(run_dir / n).read_text(errors="replace") for n in names if (run_dir / n).exists()]
    return " ".join(" ".join(texts).split())[-600:]


@contextlib.contextmanager
def serve_websites(requests: list[SiteRequest], run_dir: Path) -> Iterator[ServedSites]:
    served = start_websites(requests, run_dir)
    try:
        yield served
    finally:
        served.stop()


def remove(run_dir: Path) -> None:
    shutil.rmtree(run_dir, ignore_errors=True)
