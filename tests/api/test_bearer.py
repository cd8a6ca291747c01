"""The operator's bearer token on /metrics: which headers carry it."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from gateway.api.bearer import bearer_matches, bearer_token, metrics_refused

TOKEN = SecretStr("scrape-me-with-this-token")


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc", "abc"),
        ("bearer abc", "abc"),
        ("BEARER   abc  ", "abc"),
        (None, None),
        ("", None),
        ("Bearer", None),
        ("Bearer ", None),
        ("Basic YWJjOmRlZg==", None),
        ("abc", None),
        ("Token abc", None),
    ],
)
def test_the_token_is_read_from_a_bearer_header_only(header: str | None, token: str | None) -> None:
    assert bearer_token(header) == token


@pytest.mark.parametrize(
    ("header", "allowed"),
    [
        ("Bearer scrape-me-with-this-token", True),
        ("bearer scrape-me-with-this-token", True),
        (None, False),
        ("Bearer", False),
        ("Bearer scrape-me-with-this-toke", False),
        ("Bearer scrape-me-with-this-token2", False),
        ("Bearer SCRAPE-ME-WITH-THIS-TOKEN", False),
        ("scrape-me-with-this-token", False),
        ("Basic scrape-me-with-this-token", False),
    ],
)
def test_a_configured_token_must_be_presented_exactly(header: str | None, allowed: bool) -> None:
    assert bearer_matches(header, TOKEN) is allowed


@pytest.mark.parametrize("header", [None, "", "Bearer anything", "Basic x"])
def test_without_a_configured_token_every_request_passes(header: str | None) -> None:
    assert bearer_matches(header, None)


def test_the_refusal_is_a_401_in_the_gateways_error_shape() -> None:
    refused = metrics_refused()
    assert refused.status == 401
    assert refused.headers == {"www-authenticate": 'Bearer realm="metrics"'}
    assert refused.body() == {
        "error": {
            "message": refused.message,
            "type": "invalid_request_error",
            "param": None,
            "code": "invalid_metrics_token",
        }
    }
