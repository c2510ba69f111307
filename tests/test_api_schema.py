"""The API's own OpenAPI schema run against the API (schemathesis): ``assistant api`` as a
real process over the indexed examples, every operation in ``/openapi.json`` called with
requests generated from the schema, valid and invalid (boundary values, wrong types,
missing fields, bodies that are not JSON). No answer may be a server error, and each must
have a status, content type, headers and body the schema declares.

Two of schemathesis' checks are left out, for what the schema cannot say: a request the
schema allows may still be refused with 400 (a document name that no document has, a
conversation whose last turn is not the user's), and pydantic reads ``true`` as 1 where
the schema says integer. The operations are all there is: the MCP server at ``/mcp/`` is
a mounted app outside the schema (tests/test_api.py calls it). Without a provider the
caller is the local user, so 401 and 403 are declared but not met here.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from api_process import start_api
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from assistant.settings import Settings

# The same requests every run, none kept between runs (as the other property tests); a
# handful of fuzzed ones per operation beside the boundary cases, within about a minute.
CONFIG = schemathesis.Config.from_dict(
    {"generation": {"max-examples": 15, "deterministic": True, "database": "none"}}
)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def api(indexed_examples: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    unlimited = {"ASSISTANT_API__REQUESTS_PER_MINUTE": "100000"}  # no 429s mid-run
    yield from start_api(tmp_path_factory.mktemp("api-schema"), indexed_examples, unlimited)


@pytest.fixture(scope="module")
def api_schema(api: str) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{api}/openapi.json", config=CONFIG)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
def test_every_operation_answers_as_its_schema_says(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=CHECKS)
