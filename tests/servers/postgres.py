"""A throwaway PostgreSQL server from Debian's package, in a temp dir, on a loopback port."""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from probe.sandbox.net import free_port, wait_for_port


def find_postgres_bin() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if candidates:
        return Path(candidates[0]).parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


class PostgresServer:
    """initdb + pg_ctl. PostgreSQL refuses to run as root, so as root it runs as `postgres`."""

    def __init__(self) -> None:
        bindir = find_postgres_bin()
        assert bindir is not None
        self.bindir = bindir
        # Not under pytest's tmp dir: as root that is mode 700, closed to the `postgres` user.
        self.directory = Path(tempfile.mkdtemp(prefix="probe-pg-"))
        self.data = self.directory / "data"
        self.port = free_port()
        self.user = "probe"
        self._names = itertools.count(1)
        self._run_as = "postgres" if os.geteuid() == 0 else None

    def _cmd(self, *args: str) -> list[str]:
        if self._run_as:
            return ["runuser", "-u", self._run_as, "--", *args]
        return list(args)

    def start(self) -> None:
        if self._run_as:
            entry = pwd.getpwnam(self._run_as)
            os.chown(self.directory, entry.pw_uid, entry.pw_gid)
        subprocess.run(
            self._cmd(
                str(self.bindir / "initdb"),
                "-D",
                str(self.data),
                "-U",
                self.user,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--locale=C",
            ),
            check=True,
            capture_output=True,
        )
        self._start_server()

    def _start_server(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200"
        )
        subprocess.run(
            self._cmd(
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.data),
                "-o",
                options,
                "-l",
                str(self.directory / "server.log"),
                "-w",
                "start",
            ),
            check=True,
            capture_output=True,
        )
        wait_for_port(self.port)

    def restart(self, mode: str = "immediate") -> None:
        """Stop (by default as a crash: no shutdown checkpoint) and start on the same port."""
        subprocess.run(
            self._cmd(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"),
            capture_output=True,
        )
        self._start_server()

    def stop(self, mode: str = "fast") -> None:
        subprocess.run(
            self._cmd(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"),
            capture_output=True,
        )
        shutil.rmtree(self.directory, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self, template: str | None = None) -> str:
        """A new database, empty or a copy of the database named `template` (which nobody
        may be connected to)."""
        import psycopg

        name = f"test_{os.getpid()}_{next(self._names)}"
        copy = f' TEMPLATE "{template}"' if template else ""
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user={self.user} dbname=postgres", autocommit=True
        ) as connection:
            connection.execute(f'CREATE DATABASE "{name}"{copy}')
        return self.url(name)
