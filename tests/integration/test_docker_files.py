"""What can be checked of the deployment files without a Docker engine."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
DOCKER = REPO / "docker"
PROBE = str(Path(sys.executable).with_name("probe"))


def _entrypoint(
    *args: str, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", str(DOCKER / "entrypoint.sh"), *args],
        env={**os.environ, "PROBE_BIN": PROBE, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_the_entrypoint_migrates_a_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    result = _entrypoint("migrate", env={"PROBE_DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    health = _entrypoint("health", "--json", env={"PROBE_DATABASE_URL": url})
    assert health.returncode == 0, health.stderr
    assert '"ok": true' in health.stdout


def test_the_entrypoint_passes_other_commands_to_probe(tmp_path: Path) -> None:
    result = _entrypoint("version", env={"PROBE_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}"})
    assert result.returncode == 0
    assert result.stdout.strip() == "0.1.0"


def test_the_entrypoint_refuses_to_start_without_a_database_url() -> None:
    env = {k: v for k, v in os.environ.items() if k != "PROBE_DATABASE_URL"}
    result = subprocess.run(
        ["sh", str(DOCKER / "entrypoint.sh"), "scheduler"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert "set PROBE_DATABASE_URL" in result.stderr


def test_the_entrypoint_gives_up_on_a_database_that_does_not_answer() -> None:
    result = _entrypoint(
        "migrate",
        env={
            "PROBE_DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none",
            "PROBE_DB_WAIT_SECONDS": "2",
        },
    )
    assert result.returncode == 1
    assert "does not answer" in result.stderr


def test_the_compose_file_parses_and_wires_the_services(tmp_path: Path) -> None:
    compose = shutil.which("docker-compose")
    assert compose, "docker-compose is installed by scripts/setup.sh --test"
    result = subprocess.run(
        [compose, "-p", "contact-prober", "-f", str(DOCKER / "compose.yaml"), "config"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    # No sandbox service: the image lacks the servers the sandbox starts (docs/sandbox.md).
    assert set(config["services"]) == {"postgres", "scheduler", "worker"}
    assert not any(s.get("profiles") for s in config["services"].values())
    assert config["services"]["worker"]["command"][0] == "worker"
    assert config["services"]["scheduler"]["environment"]["PROBE_ENVIRONMENT"] == "production"


def test_the_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    result = subprocess.run(
        [hadolint, "--config", str(DOCKER / ".hadolint.yaml"), str(DOCKER / "Dockerfile")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    text = (DOCKER / "Dockerfile").read_text()
    assert "USER ${UID}" in text and "HEALTHCHECK" in text and text.count("FROM ") == 2
