"""Fault injection per request (`x-sandbox-fault`), and what each SDK really raises for it."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import anthropic
import httpx
import openai
import pytest
from openai.types.chat import ChatCompletion

from tests.sandbox.shapes import CLAUDE_HELLO, CUT_CONNECTION, HELLO, UNREADABLE_BODY

CLAUDE = "claude-3-5-haiku-20241022"


def fault(text: str) -> dict[str, str]:
    return {"x-sandbox-fault": text}


def _chat(client: openai.OpenAI, text: str) -> ChatCompletion:
    return client.chat.completions.create(model="gpt-4o", messages=HELLO, extra_headers=fault(text))


def _body(error: openai.APIError | anthropic.APIError) -> dict[str, Any]:
    """The error a stream carried after its 200 (there is no error response to read)."""
    assert isinstance(error.body, dict)
    return error.body


def _stream_chunks(client: openai.OpenAI, text: str, received: list[object]) -> None:
    stream = client.chat.completions.create(
        model="gpt-4o", messages=HELLO, stream=True, extra_headers=fault(text)
    )
    for chunk in stream:
        received.append(chunk)


@pytest.mark.parametrize(
    ("status", "exception"),
    [
        (400, openai.BadRequestError),
        (401, openai.AuthenticationError),
        (404, openai.NotFoundError),
        (429, openai.RateLimitError),
        (500, openai.InternalServerError),
        (503, openai.InternalServerError),
    ],
)
def test_error_status_raises_the_sdks_exception(
    openai_client: openai.OpenAI, status: int, exception: type[openai.APIStatusError]
) -> None:
    with pytest.raises(exception) as caught:
        _chat(openai_client, f"error={status}")

    assert caught.value.status_code == status
    assert set(caught.value.response.json()["error"]) == {"message", "type", "param", "code"}


def test_server_errors_have_openais_server_error_type(http: httpx.Client) -> None:
    response = http.get("/v1/models", headers={"authorization": "Bearer k", **fault("error=500")})

    assert response.status_code == 500
    assert response.json()["error"]["type"] == "server_error"


@pytest.mark.parametrize(
    ("status", "exception", "kind"),
    [
        (429, anthropic.RateLimitError, "rate_limit_error"),
        (500, anthropic.InternalServerError, "api_error"),
        (529, anthropic.OverloadedError, "overloaded_error"),
    ],
)
def test_anthropic_errors_use_anthropics_body_and_exceptions(
    anthropic_client: anthropic.Anthropic,
    status: int,
    exception: type[anthropic.APIStatusError],
    kind: str,
) -> None:
    with pytest.raises(exception) as caught:
        anthropic_client.messages.create(
            model=CLAUDE,
            max_tokens=10,
            messages=CLAUDE_HELLO,
            extra_headers=fault(f"error={status}"),
        )

    body = caught.value.response.json()
    assert caught.value.status_code == status
    assert body["type"] == "error"
    assert body["error"]["type"] == kind and body["error"]["message"]


def test_ollama_error_uses_ollamas_body(http: httpx.Client) -> None:
    response = http.post(
        "/ollama/api/chat",
        json={"model": "llama3.2", "messages": HELLO},
        headers=fault("error=503"),
    )

    assert response.status_code == 503
    assert set(response.json()) == {"error"} and isinstance(response.json()["error"], str)


def test_error_after_n_frames_fails_inside_the_openai_stream(openai_client: openai.OpenAI) -> None:
    received: list[object] = []

    with pytest.raises(openai.APIError) as caught:
        _stream_chunks(openai_client, "error=500@3", received)

    assert len(received) == 3
    assert _body(caught.value)["type"] == "server_error"


def test_error_after_n_frames_is_an_anthropic_error_event(
    anthropic_client: anthropic.Anthropic, http: httpx.Client
) -> None:
    raw = http.post(
        "/anthropic/v1/messages",
        json={"model": CLAUDE, "max_tokens": 50, "messages": HELLO, "stream": True},
        headers={"x-api-key": "k", "anthropic-version": "2023-06-01", **fault("error=529@4")},
    )
    with pytest.raises(anthropic.APIStatusError) as caught:
        list(
            anthropic_client.messages.create(
                model=CLAUDE,
                max_tokens=50,
                messages=CLAUDE_HELLO,
                stream=True,
                extra_headers=fault("error=529@4"),
            )
        )

    events = [line for line in raw.text.splitlines() if line.startswith("event: ")]
    assert events[:3] == ["event: message_start", "event: content_block_start", "event: ping"]
    assert events[4:] == ["event: error"]
    assert _body(caught.value)["error"]["type"] == "overloaded_error"


def test_error_after_n_lines_ends_an_ollama_stream_with_an_error_line(http: httpx.Client) -> None:
    response = http.post(
        "/ollama/api/chat",
        json={"model": "llama3.2", "messages": HELLO},
        headers=fault("error=500@2"),
    )

    lines = [json.loads(line) for line in response.text.splitlines()]
    assert len(lines) == 3 and "error" in lines[-1]
    assert not any(line.get("done") for line in lines)


def test_error_after_n_on_a_non_streamed_request_is_a_plain_error(
    openai_client: openai.OpenAI,
) -> None:
    with pytest.raises(openai.InternalServerError):
        _chat(openai_client, "error=502@3")


def test_latency_delays_the_answer(openai_client: openai.OpenAI) -> None:
    started = time.perf_counter()
    _chat(openai_client, "latency=250")

    assert time.perf_counter() - started >= 0.24


def test_latency_also_delays_an_error(openai_client: openai.OpenAI) -> None:
    started = time.perf_counter()
    with pytest.raises(openai.InternalServerError):
        _chat(openai_client, "latency=200,error=500")

    assert time.perf_counter() - started >= 0.19


def test_hang_times_the_client_out_without_blocking_the_server(
    openai_client: openai.OpenAI,
) -> None:
    outcome: list[BaseException] = []

    def hang() -> None:
        try:
            openai_client.with_options(timeout=1.5).chat.completions.create(
                model="gpt-4o",
                messages=HELLO,
                extra_headers=fault("hang"),
            )
        except BaseException as exc:
            outcome.append(exc)

    waiter = threading.Thread(target=hang)
    waiter.start()
    time.sleep(0.2)
    served_meanwhile = openai_client.chat.completions.create(model="gpt-4o", messages=HELLO)
    still_hanging = waiter.is_alive()
    waiter.join()

    assert served_meanwhile.choices[0].message.content
    assert still_hanging
    assert len(outcome) == 1 and isinstance(outcome[0], openai.APITimeoutError)


def test_hang_times_out_the_anthropic_client(anthropic_client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.APITimeoutError):
        anthropic_client.with_options(timeout=0.5).messages.create(
            model=CLAUDE,
            max_tokens=10,
            messages=CLAUDE_HELLO,
            extra_headers=fault("hang"),
        )


def test_cut_stream_raises_connection_error_after_n_chunks(openai_client: openai.OpenAI) -> None:
    received: list[object] = []

    with pytest.raises(openai.APIConnectionError):
        _stream_chunks(openai_client, "cut=4", received)

    assert len(received) == 4


def test_cut_stream_never_sends_the_end_even_when_n_is_large(http: httpx.Client) -> None:
    received = bytearray()
    with (
        pytest.raises(httpx.TransportError),
        http.stream(
            "POST",
            "/openai/v1/chat/completions",
            json={"model": "gpt-4o", "messages": HELLO, "stream": True},
            headers={"authorization": "Bearer k", **fault("cut=100000")},
        ) as response,
    ):
        for chunk in response.iter_bytes():
            received += chunk

    frames = bytes(received).split(b"\n\n")
    assert b"data: [DONE]" not in frames
    assert b'"finish_reason":"stop"' in bytes(received)


def test_cut_anthropic_stream_ends_early_with_a_connection_error(
    anthropic_client: anthropic.Anthropic,
) -> None:
    # The stream stops with an error, never a clean end.
    events: list[str] = []
    with pytest.raises(CUT_CONNECTION):
        for event in anthropic_client.messages.create(
            model=CLAUDE,
            max_tokens=50,
            messages=CLAUDE_HELLO,
            stream=True,
            extra_headers=fault("cut=5"),
        ):
            events.append(event.type)

    assert events[:2] == ["message_start", "content_block_start"]
    assert "message_stop" not in events


def test_cut_ollama_stream_has_no_done_line(http: httpx.Client) -> None:
    lines: list[str] = []
    with (
        pytest.raises(httpx.TransportError),
        http.stream(
            "POST",
            "/ollama/api/chat",
            json={"model": "llama3.2", "messages": HELLO},
            headers=fault("cut=2"),
        ) as response,
    ):
        lines.extend(response.iter_lines())

    assert len(lines) == 2 and all(json.loads(line)["done"] is False for line in lines)


def test_cut_body_of_a_json_answer_is_a_connection_error(openai_client: openai.OpenAI) -> None:
    with pytest.raises(openai.APIConnectionError):
        _chat(openai_client, "cut=40")


def test_malformed_body_is_not_json(openai_client: openai.OpenAI, http: httpx.Client) -> None:
    raw = http.post(
        "/openai/v1/chat/completions",
        json={"model": "gpt-4o", "messages": HELLO},
        headers={"authorization": "Bearer k", **fault("malformed")},
    )

    assert raw.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(raw.content)
    with pytest.raises(UNREADABLE_BODY):
        _chat(openai_client, "malformed")


def test_malformed_stream_breaks_the_second_frame_only(
    openai_client: openai.OpenAI, http: httpx.Client
) -> None:
    raw = http.post(
        "/openai/v1/chat/completions",
        json={"model": "gpt-4o", "messages": HELLO, "stream": True},
        headers={"authorization": "Bearer k", **fault("malformed")},
    )
    received: list[object] = []

    with pytest.raises(UNREADABLE_BODY):
        _stream_chunks(openai_client, "malformed", received)

    frames = [f.removeprefix("data: ") for f in raw.text.split("\n\n") if f]
    broken = []
    for index, frame in enumerate(frames[:-1]):
        try:
            json.loads(frame)
        except json.JSONDecodeError:
            broken.append(index)
    assert broken == [1]
    assert frames[-1] == "[DONE]"
    assert len(received) == 1


def test_malformed_ollama_stream_line(http: httpx.Client) -> None:
    response = http.post(
        "/ollama/api/chat",
        json={"model": "llama3.2", "messages": HELLO},
        headers=fault("malformed"),
    )

    lines = response.text.splitlines()
    json.loads(lines[0])
    with pytest.raises(json.JSONDecodeError):
        json.loads(lines[1])
    assert json.loads(lines[-1])["done"] is True


def test_padding_makes_an_answer_longer_but_the_sdk_reads_the_same_answer(
    openai_client: openai.OpenAI, http: httpx.Client
) -> None:
    plain = _chat(openai_client, "")
    padded = _chat(openai_client, "pad=200000")
    assert padded.choices[0].message.content == plain.choices[0].message.content
    streamed: list[Any] = []
    _stream_chunks(openai_client, "pad=200000", streamed)
    text = "".join(c.choices[0].delta.content or "" for c in streamed if c.choices)
    assert text == plain.choices[0].message.content

    body = {"model": "gpt-4o", "messages": HELLO}
    raw = http.post(
        "/openai/v1/chat/completions",
        json=body,
        headers={"authorization": "Bearer k", **fault("pad=200000")},
    )
    assert len(raw.content) > 200_000
    lines = http.post(
        "/ollama/api/chat",
        json={"model": "llama3.2", "messages": HELLO},
        headers=fault("pad=50000"),
    ).text.splitlines()
    assert len("".join(lines)) > 50_000 and json.loads(lines[-1])["done"] is True


def test_invalid_fault_header_is_refused(http: httpx.Client) -> None:
    response = http.get("/v1/models", headers={"authorization": "Bearer k", **fault("explode=1")})

    assert response.status_code == 400
    assert "x-sandbox-fault" in response.json()["error"]["message"]
