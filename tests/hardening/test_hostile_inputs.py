"""Hand-written hostile inputs: each gets a 4xx in OpenAI's error shape, never a 5xx, and no
input hangs the server (slow-loris clients do not stop it answering everyone else).

Open bugs are strict xfail tests: they fail the run (XPASS) the day the bug is fixed, so
the marker goes with the fix.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.api.app import create_app
from gateway.sandbox.control_client import SandboxControl
from gateway.settings import Settings
from tests.fixtures.servers import serve_in_thread
from tests.gateway.conftest import Tenant
from tests.gateway.processes import gateway_process
from tests.hardening.ledger import Ledger

MAX_BODY = 1024 * 1024
HELLO = [{"role": "user", "content": "Hello"}]
CHAT = {"model": "gpt-4o-mini", "messages": HELLO, "max_tokens": 8}


@pytest.fixture
def hostile_url(settings_for: Callable[..., Settings]) -> Iterator[str]:
    """A gateway with a 1 MiB body limit (the default is 4 MiB), so limits are cheap to hit."""
    with serve_in_thread(create_app(settings_for(ROUTERAI_MAX_BODY_BYTES=MAX_BODY))) as url:
        yield url


@pytest.fixture
def hostile(hostile_url: str, make_tenant: Callable[..., Tenant]) -> Iterator[httpx.Client]:
    tenant = make_tenant("Hostile", plan="enterprise", rpm_limit=1_000_000, tpm_limit=2_000_000_000)
    headers = {"Authorization": f"Bearer {tenant.key}"}
    with httpx.Client(base_url=hostile_url, headers=headers, timeout=30) as http:
        yield http


def assert_openai_4xx(response: httpx.Response, *statuses: int) -> dict[str, Any]:
    assert response.status_code in statuses, (response.status_code, response.text[:300])
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"} and error["message"]
    return dict(error)


def raw(
    http: httpx.Client, body: bytes, path: str = "/v1/chat/completions", **headers: str
) -> httpx.Response:
    return http.post(path, content=body, headers={"content-type": "application/json", **headers})


def nested(levels: int) -> bytes:
    """A chat body with a pass-through field nested `levels` arrays deep."""
    return (
        b'{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"metadata":{"x":'
        + (b"[" * levels + b"1" + b"]" * levels)
        + b"}}"
    )


def test_bodies_over_the_limit_are_413_declared_or_streamed(
    hostile: httpx.Client, ledger: Ledger
) -> None:
    big = (
        b'{"model":"gpt-4o-mini","messages":[{"role":"user","content":"' + b"a" * MAX_BODY + b'"}]}'
    )
    assert_openai_4xx(raw(hostile, big), 413)

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit applies while reading
        yield big[: MAX_BODY // 2]
        yield big[MAX_BODY // 2 :]

    response = hostile.post(
        "/v1/chat/completions", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_openai_4xx(response, 413)
    ledger.add("hostile", inputs=2)


def test_a_declared_length_over_the_limit_is_refused_before_any_body_arrives(
    hostile_url: str, hostile: httpx.Client, ledger: Ledger
) -> None:
    host, port = hostile_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Authorization: " + hostile.headers["authorization"].encode() + b"\r\n"
            b"Content-Length: " + str(40 * MAX_BODY).encode() + b"\r\n\r\n"
        )
        assert _read_status(sock) == 413  # answered without waiting for 40 MiB
    ledger.add("hostile", inputs=1)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"null",
        b"[]",
        b"1",
        b'"text"',
        b"{not json",
        b'{"model": "gpt-4o-mini", "messages": [}',
        b"\xff\xfe\xfd",
        b'{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "\xc3\x28"}]}',
        b'{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "\\ud800"}]}',
        b'{"model": "gpt-4o-mini", "messages": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        b'{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}], "n": NaN}',
        b'{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}], "n": Infinity}',
        b'{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}],}',
        b'\xef\xbb\xbf{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}]}',
    ],
    ids=lambda body: body[:40].decode("utf-8", "replace"),
)
def test_unreadable_bodies_are_400(hostile: httpx.Client, ledger: Ledger, body: bytes) -> None:
    for path in ("/v1/chat/completions", "/v1/embeddings"):
        assert_openai_4xx(raw(hostile, body, path), 400)
        ledger.add("hostile", inputs=1)


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
        "application/jsonx",
        "application/octet-stream",
    ],
)
def test_other_content_types_are_415(
    hostile: httpx.Client, ledger: Ledger, content_type: str
) -> None:
    for path in ("/v1/chat/completions", "/v1/embeddings"):
        response = raw(hostile, b'{"model": "gpt-4o-mini"}', path, **{"content-type": content_type})
        assert_openai_4xx(response, 415)
        ledger.add("hostile", inputs=1)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_tokens", 2**62),
        ("max_tokens", 2**64),
        ("max_tokens", -1),
        ("max_tokens", 0),
        ("max_tokens", 1.5),
        ("max_tokens", "10"),
        ("max_tokens", True),
        ("max_completion_tokens", 10**15),
        ("n", 0),
        ("n", -3),
        ("n", 100_000),
        ("n", "2"),
        ("temperature", -1),
        ("temperature", 2.5),
        ("temperature", "hot"),
        ("temperature", 1e308),
        ("top_p", 1.01),
        ("top_p", [1]),
        ("stream", "true"),
        ("stream", 1),
        ("stream_options", "yes"),
        ("tools", {"type": "function"}),
        ("stop", 5),
        ("model", ""),
        ("model", " "),
        ("model", 5),
        ("model", ["gpt-4o-mini"]),
        ("model", None),
        ("messages", None),
        ("messages", {}),
        ("messages", [None]),
        ("messages", [{"role": "robot", "content": "x"}]),
        ("messages", [{"role": "user", "content": 5}]),
    ],
)
def test_out_of_range_and_mistyped_values_are_400_naming_the_param(
    hostile: httpx.Client, ledger: Ledger, field: str, value: Any
) -> None:
    response = hostile.post("/v1/chat/completions", json={**CHAT, field: value})
    error = assert_openai_4xx(response, 400, 404)
    assert response.status_code == 404 or error["param"] is not None
    ledger.add("hostile", inputs=1)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("input", ""),
        ("input", []),
        ("input", [[]]),
        ("input", [1, "a"]),
        ("input", {"text": "a"}),
        ("input", [True]),
        ("encoding_format", "hex"),
        ("dimensions", 0),
        ("dimensions", -5),
        ("dimensions", "8"),
        ("dimensions", 10**12),
    ],
)
def test_embedding_inputs_out_of_shape_are_4xx(
    hostile: httpx.Client, ledger: Ledger, field: str, value: Any
) -> None:
    body = {"model": "text-embedding-3-small", "input": "hello", field: value}
    assert_openai_4xx(hostile.post("/v1/embeddings", json=body), 400)
    ledger.add("hostile", inputs=1)


@pytest.mark.parametrize(
    "value",
    [
        ["x"] * 30_000,  # 150 kB sent, once answered with 577 MB of vectors
        ["x"] * 2049,
        [[1]] * 2049,
        [[1] * 150_001, [1] * 150_000],  # 300,001 tokens
    ],
    ids=["30,000 strings", "2,049 strings", "2,049 token arrays", "300,001 tokens"],
)
def test_embedding_inputs_past_openai_s_bounds_are_refused_before_anything_goes_upstream(
    hostile: httpx.Client, sandbox: SandboxControl, ledger: Ledger, value: list[Any]
) -> None:
    body = {"model": "text-embedding-3-small", "input": value}
    error = assert_openai_4xx(hostile.post("/v1/embeddings", json=body), 400)
    assert error["param"] == "input"
    endpoints = sandbox.stats()["endpoints"]
    assert not any("embed" in name for served in endpoints.values() for name in served)
    ledger.add("hostile", inputs=1)


def test_embedding_inputs_at_openai_s_bounds_are_served(hostile: httpx.Client) -> None:
    for value in (["token"] * 2048, [[1] * 150_000, [1] * 150_000]):
        body = {"model": "text-embedding-3-small", "input": value}
        assert hostile.post("/v1/embeddings", json=body).status_code == 200


def test_a_large_body_is_checked_as_a_small_one_is(hostile: httpx.Client, ledger: Ledger) -> None:
    many = [{"role": "user", "content": "hi"}] * 29_999 + [{"role": "robot", "content": "hi"}]
    response = hostile.post("/v1/chat/completions", json={**CHAT, "messages": many})  # ~900 kB
    assert assert_openai_4xx(response, 400)["param"] == "messages[29999].role"
    ledger.add("hostile", inputs=1)


def test_a_body_is_read_only_for_a_client_with_a_valid_key(
    hostile_url: str, ledger: Ledger
) -> None:
    for body in (b"{not json", b"[" * 100_000, nested(2000)):
        response = httpx.post(
            f"{hostile_url}/v1/chat/completions",
            content=body,
            headers={"content-type": "application/json", "authorization": "Bearer gw_x_prod_y"},
        )
        assert_openai_4xx(response, 401)
        ledger.add("hostile", inputs=1)


def test_a_client_that_leaves_mid_body_is_one_log_line_not_a_traceback(
    settings_for: Callable[..., Settings], tmp_path: Path, ledger: Ledger
) -> None:
    log = tmp_path / "gateway.log"
    with gateway_process(settings_for(), log=log) as url:
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=30) as sock:
            sock.sendall(
                b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
                b'{"model": "gpt-4o-mini", "messages": ['
            )
        deadline = time.monotonic() + 20
        while "went away" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert httpx.get(f"{url}/health").status_code == 200
    text = log.read_text()
    assert "Traceback" not in text and "Exception in ASGI application" not in text, text
    assert len([line for line in text.splitlines() if "went away" in line]) == 1, text
    ledger.add("hostile", inputs=1)


def test_large_but_legal_requests_are_served(hostile: httpx.Client, ledger: Ledger) -> None:
    many = [{"role": "user" if i % 2 == 0 else "assistant", "content": "hi"} for i in range(5000)]
    cases = [
        {**CHAT, "messages": many},
        {**CHAT, "messages": [{"role": "user", "content": "word " * 150_000}]},
        {**CHAT, "messages": [{"role": "user", "content": "nul \u0000 and \u202e bidi"}]},
        {**CHAT, "metadata": {"unknown": [1, {"a": None}], "x": "y" * 1000}, "seed": 2**63},
        {**CHAT, "logit_bias": {"50256": -100}, "user": "u" * 5000},
    ]
    for body in cases:
        response = hostile.post("/v1/chat/completions", json=body)
        assert response.status_code in (200, 400), response.text[:300]
        ledger.add("hostile", inputs=1)
    many_inputs = {"model": "text-embedding-3-small", "input": ["token"] * 2048}
    assert hostile.post("/v1/embeddings", json=many_inputs).status_code == 200
    ledger.add("hostile", inputs=1)


def test_paths_methods_and_headers_out_of_the_ordinary_get_openai_errors(
    hostile: httpx.Client, ledger: Ledger
) -> None:
    assert_openai_4xx(hostile.get("/v1/models/" + "m" * 10_000), 404)
    assert_openai_4xx(hostile.get("/v1/models/%00%ff"), 404)
    assert_openai_4xx(hostile.get("/v1/nothing-here"), 404)
    assert_openai_4xx(hostile.get("/v1/chat/completions"), 405)
    assert_openai_4xx(hostile.delete("/v1/models"), 405)
    long_key = {"Authorization": "Bearer gw_" + "a" * 20_000}
    assert_openai_4xx(hostile.post("/v1/chat/completions", json=CHAT, headers=long_key), 401)
    not_latin = {b"Authorization": "Bearer gw_\u00e9\u00e8_prod_x".encode()}
    assert_openai_4xx(hostile.post("/v1/chat/completions", json=CHAT, headers=not_latin), 401)
    ledger.add("hostile", inputs=7)


@pytest.mark.parametrize("levels", [100, 254, 600, 1000, 2000])
def test_deep_nesting_is_400(hostile: httpx.Client, ledger: Ledger, levels: int) -> None:
    assert_openai_4xx(raw(hostile, nested(levels)), 400)
    ledger.add("hostile", inputs=1)


def test_moderate_nesting_in_a_pass_through_field_is_served(hostile: httpx.Client) -> None:
    assert raw(hostile, nested(40)).status_code == 200


MISTYPED_NESTED_PARTS = [
    {"messages": [{"role": "user", "content": [1, 2]}]},
    {"messages": [{"role": "user", "content": [{"type": "text", "text": 5}]}]},
    {"messages": [{"role": "user", "content": [{"type": ["text"]}]}]},
    {"messages": [{"role": "assistant", "content": "x", "tool_calls": ["call"]}]},
    {"messages": [{"role": "assistant", "function_call": {"name": 5}}]},
    {"messages": HELLO, "tools": ["x"]},
    {"messages": HELLO, "tools": [{"type": "function", "function": "f"}]},
    {
        "messages": HELLO,
        "tools": [{"type": "function", "function": {"name": "f", "parameters": [1]}}],
    },
    {"messages": HELLO, "functions": "abc"},
    {"messages": HELLO, "response_format": {"type": ["json_object"]}},
    {"messages": [{"role": ["user"], "content": "x"}]},
    {"messages": [{"role": {"user": 1}, "content": "x"}]},
]


@pytest.mark.parametrize("body", MISTYPED_NESTED_PARTS, ids=lambda b: str(b)[:60])
def test_mistyped_nested_parts_are_400_not_500(
    hostile: httpx.Client, ledger: Ledger, body: dict[str, Any]
) -> None:
    response = hostile.post("/v1/chat/completions", json={"model": "gpt-4o-mini", **body})
    assert_openai_4xx(response, 400)
    ledger.add("hostile", inputs=1)


def test_a_wrong_method_is_not_called_an_internal_error(hostile: httpx.Client) -> None:
    error = assert_openai_4xx(hostile.get("/v1/chat/completions"), 405)
    assert error["code"] != "internal_error"


def test_slow_loris_clients_do_not_stop_the_server_answering_others(
    hostile_url: str, hostile: httpx.Client, ledger: Ledger
) -> None:
    host, port = hostile_url.removeprefix("http://").split(":")
    body = b'{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "slow"}]}'
    auth = hostile.headers["authorization"].encode()
    slow = []
    for index in range(40):  # half stall in their headers, half in their body
        sock = socket.create_connection((host, int(port)), timeout=30)
        head = (
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Authorization: " + auth + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n"
        )
        sock.sendall(head if index % 2 else head + b"\r\n" + body[:10])
        slow.append(sock)
    try:
        for _ in range(5):  # everyone else is served meanwhile
            assert hostile.post("/v1/chat/completions", json=CHAT).status_code == 200
        for index, sock in enumerate(slow):  # the slow ones finish, a byte at a time
            rest = b"\r\n" + body if index % 2 else body[10:]
            for start in range(0, len(rest), 16):
                sock.sendall(rest[start : start + 16])
        answers = [_read_status(sock) for sock in slow]
    finally:
        for sock in slow:
            sock.close()
    assert answers == [200] * len(slow)
    assert hostile.post("/v1/chat/completions", json=CHAT).status_code == 200
    ledger.add("hostile", inputs=len(slow))


def test_a_burst_of_hostile_requests_leaves_the_server_answering(
    hostile: httpx.Client, ledger: Ledger
) -> None:
    bodies = [nested(2000), b"{", b"\xff" * 1000, b'{"model": 1}', b"[" * 100_000] * 10
    statuses: list[int] = []

    def send(body: bytes) -> None:
        statuses.append(raw(hostile, body).status_code)

    threads = [threading.Thread(target=send, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(statuses) == len(bodies) and all(400 <= s < 500 for s in statuses), statuses
    # Answered within the client's timeout: no worker was left hung.
    assert hostile.post("/v1/chat/completions", json=CHAT).status_code == 200
    ledger.add("hostile", inputs=len(bodies))


def _read_status(sock: socket.socket) -> int:
    received = b""
    while b"\r\n" not in received:
        chunk = sock.recv(4096)
        if not chunk:
            break
        received += chunk
    return int(received.split(b" ", 2)[1]) if received else 0
