"""schemathesis drives every API operation from the published OpenAPI spec: no server error.

The spec is the app's own (the one /api/openapi.json serves, checked in test_web_api); it is
built at collection time because schemathesis' lazy fixture loader does not work with this
pytest. The calls go to a real server and carry an operator's token, so that the changing
operations get past authorisation and reach their validation.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from probe.settings import Settings
from probe.web.app import create_app
from storage.engine import make_engine
from tests.integration.test_web_support import (
    Seeded,
    WebServer,
)

pytestmark = pytest.mark.integration


def _spec() -> dict[str, Any]:
    # The spec does not touch the database: an unconnected in-memory engine is enough.
    app = create_app(settings=Settings(), engine=make_engine("sqlite://"))
    return app.openapi()


schema = schemathesis.openapi.from_dict(_spec())


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_api_operation_answers_with_a_server_error(
    case: schemathesis.Case, server: WebServer, seeded: Seeded
) -> None:
    headers = {"Authorization": f"Bearer {seeded.tokens['operator']}"}
    case.call_and_validate(base_url=server.url, headers=headers, checks=[not_a_server_error])
