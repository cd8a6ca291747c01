"""Fuzzing with schemathesis: no input makes the gateway answer 5xx; every refusal is OpenAI's
error JSON.

Two sources of cases, each in positive (valid per the schema) and negative (violating it)
generation, against a real gateway on 127.0.0.1 in front of the sandbox:

- the gateway's own OpenAPI document (what /openapi.json serves), every operation;
- OpenAI's published document (tests/specs/openai-openapi.json, `nullable` rewritten as
  tests/fixtures/openai_spec.py does) for the three operations RouterAI implements.

Generation is derandomized (a fixed seed per test) and bounded (`MAX_EXAMPLES` per
operation and mode), so the module's run time and its cases are the same every run. Half
of the generated bodies get a model RouterAI serves, so that cases reach routing, the
cache and the providers rather than stopping at "unknown model". Cases run and 5xx seen
are counted in the ledger (`fuzz`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import orjson
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from gateway.api.openapi import openapi_document
from tests.fixtures.openai_spec import _spec as openai_spec
from tests.fixtures.openai_spec import validate
from tests.gateway.conftest import Tenant
from tests.hardening.ledger import Ledger

MAX_EXAMPLES = 100
MODELS = [None, "gpt-4o-mini", "auto", "claude-sonnet-4", "llama-3.3-70b", "llama3.2"]
EMBEDDING_MODELS = [None, "text-embedding-3-small", "nomic-embed-text"]
OPENAI_OPERATIONS = ["createChatCompletion", "createEmbedding", "listModels"]
# The OpenAI response schema each successful (non-streamed) answer must match.
RESPONSE_SCHEMAS = {
    "/chat/completions": "CreateChatCompletionResponse",
    "/embeddings": "CreateEmbeddingResponse",
    "/models": "ListModelsResponse",
}


def _cases(schema: Any) -> list[Any]:
    """(operation, mode) pairs; an operation with no input at all has no negative cases."""
    cases = []
    for result in schema.get_all_operations():
        operation = result.ok()
        modes = [GenerationMode.POSITIVE]
        if len(operation.body) or any(operation.iter_parameters()):
            modes.append(GenerationMode.NEGATIVE)
        cases += [
            pytest.param(operation, mode, id=f"{operation.label}-{mode.value}") for mode in modes
        ]
    return cases


GATEWAY_CASES = _cases(schemathesis.openapi.from_dict(openapi_document()))
OPENAI_CASES = _cases(
    schemathesis.openapi.from_dict(openai_spec()).include(operation_id=OPENAI_OPERATIONS)
)


@pytest.fixture
def fuzz_tenant(make_tenant: Callable[..., Tenant]) -> Tenant:
    """A tenant whose limits never get in the way of the fuzzer."""
    return make_tenant("Fuzz", plan="enterprise", rpm_limit=1_000_000, tpm_limit=2_000_000_000)


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as http:
        yield http


def test_the_served_document_is_the_one_fuzzed(gateway_url: str) -> None:
    assert httpx.get(f"{gateway_url}/openapi.json").json() == openapi_document()


@pytest.mark.parametrize(("operation", "mode"), GATEWAY_CASES)
def test_the_gateway_s_own_operations_never_answer_5xx(
    gateway_url: str,
    fuzz_tenant: Tenant,
    session: requests.Session,
    ledger: Ledger,
    operation: Any,
    mode: GenerationMode,
) -> None:
    failures = fuzz(operation, mode, gateway_url, fuzz_tenant, session, ledger)
    assert failures == [], "\n".join(failures[:10])


@pytest.mark.parametrize(("operation", "mode"), OPENAI_CASES)
def test_openai_s_own_schema_never_gets_a_5xx(
    gateway_url: str,
    fuzz_tenant: Tenant,
    session: requests.Session,
    ledger: Ledger,
    operation: Any,
    mode: GenerationMode,
) -> None:
    failures = fuzz(operation, mode, f"{gateway_url}/v1", fuzz_tenant, session, ledger)
    assert failures == [], "\n".join(failures[:10])


def fuzz(
    operation: Any,
    mode: GenerationMode,
    base_url: str,
    tenant: Tenant,
    session: requests.Session,
    ledger: Ledger,
) -> list[str]:
    """Run the operation's generated cases; the description of each that broke a rule."""
    failures: list[str] = []
    embeddings = "embeddings" in operation.path
    models = st.sampled_from(EMBEDDING_MODELS if embeddings else MODELS)

    @given(case=operation.as_strategy(generation_mode=mode), model=models)
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any, model: str | None) -> None:
        if model is not None and isinstance(case.body, dict):
            case.body["model"] = model
        headers = {**(case.headers or {}), "Authorization": f"Bearer {tenant.key}"}
        response = case.call(base_url=base_url, session=session, headers=headers, timeout=30)
        problem = check(response, operation.path, case.body)
        ledger.add("fuzz", cases=1, server_errors=int(response.status_code >= 500))
        if problem:
            failures.append(f"{problem}: {case.method} {case.formatted_path} {_short(case.body)}")

    run()
    return failures


def check(response: Any, path: str, body: Any) -> str | None:
    """What is wrong with this answer, or None."""
    status = response.status_code
    if status >= 500:
        return f"{status} {response.text[:200]}"
    if status >= 400:
        try:
            error = response.json()["error"]
        except (ValueError, KeyError, TypeError):
            return f"{status} not OpenAI's error JSON: {response.text[:200]}"
        if set(error) != {"message", "type", "param", "code"} or not error["message"]:
            return f"{status} error without OpenAI's fields: {error}"
        return None
    schema = RESPONSE_SCHEMAS.get(path.removeprefix("/v1"))
    if isinstance(body, dict) and body.get("encoding_format") == "base64":
        schema = None  # OpenAI's schema describes float embeddings only
    if schema and _content_type(response).startswith("application/json"):
        try:
            validate(schema, response.json())
        except Exception as exc:  # jsonschema's ValidationError, or a body that is not JSON
            return f"{status} answer not in OpenAI's shape: {str(exc)[:200]}"
    return None


def _content_type(response: Any) -> str:
    """schemathesis' Response keeps each header as a list of values."""
    values = response.headers.get("content-type") or [""]
    return str(values[0] if isinstance(values, list) else values)


def _short(body: Any) -> str:
    try:
        text = orjson.dumps(body).decode()
    except TypeError:
        text = repr(body)
    return text[:300]
