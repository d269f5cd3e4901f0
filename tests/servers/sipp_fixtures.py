"""Pytest fixtures for the phone tests: generated audio, a phone plugin per module, SIPp clean-up.

A plugin module (`pytest_plugins = ("tests.servers.sipp_fixtures",)` in each test module), so
the tests can import the helpers of tests/servers/sipp.py without redefining fixtures.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.sip.plugin import PhonePlugin
from probe.results import CheckResult
from tests.servers.sipp import (
    Audio,
    Dial,
    Sipp,
    make_audio,
    phone_settings,
    place,
    require_tools,
)


@pytest.fixture(scope="session")
def sipp_audio(tmp_path_factory: pytest.TempPathFactory) -> Audio:
    require_tools()
    return make_audio(tmp_path_factory.mktemp("sipp-audio"))


@pytest.fixture(scope="module")
def phone_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("phone-data")


@pytest.fixture(scope="module")
def phone() -> Iterator[PhonePlugin]:
    """A phone plugin of its own (its worker pools live for the module), closed cleanly."""
    require_tools()
    plugin = PhonePlugin()
    yield plugin
    codes = plugin.close_all()
    assert all(code == 0 for code in codes.values()), f"workers exited badly: {codes}"


@pytest.fixture
def sipp_servers() -> Iterator[list[Sipp]]:
    """Collects the SIPp instances a test starts and stops every one of them."""
    require_tools()
    started: list[Sipp] = []
    yield started
    for server in started:
        server.stop()


@pytest.fixture
def dial(
    phone: PhonePlugin, phone_data_dir: Path, tmp_path: Path, sipp_servers: list[Sipp]
) -> Dial:
    """Start the organisation's SIPp (stopped after the test) and place one check to it with
    the module's plugin and default settings; `options` are the check's (listen_seconds...)."""

    async def call(org: Sipp, **options: Any) -> CheckResult:
        sipp_servers.append(org.start())
        settings = phone_settings(phone_data_dir)
        return await place(phone, settings, tmp_path, sip_uri=org.uri, **options)

    return call
