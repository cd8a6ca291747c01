"""Ollama: the native NDJSON API over plain HTTP, and its OpenAI-compatible /v1 via the SDK."""

from __future__ import annotations

import json
from typing import Any

import httpx
import numpy as np
import pytest

from tests.sandbox.conftest import OpenAIFactory
from tests.sandbox.shapes import HELLO

FINAL_FIELDS = {
    "total_duration",
    "load_duration",
    "prompt_eval_count",
    "prompt_eval_duration",
    "eval_count",
    "eval_duration",
}


def _lines(response: httpx.Response) -> list[dict[str, Any]]:
    return [json.loads(line) for line in response.text.splitlines() if line]


def test_chat_streams_ndjson_by_default(http: httpx.Client) -> None:
    response = http.post("/ollama/api/chat", json={"model": "llama3.2", "messages": HELLO})

    assert response.headers["content-type"] == "application/x-ndjson"
    lines = _lines(response)
    *parts, final = lines
    assert all(p["done"] is False and p["model"] == "llama3.2" for p in parts)
    assert all(p["message"]["role"] == "assistant" for p in parts)
    assert final["done"] is True and final["done_reason"] == "stop"
    assert set(final) >= FINAL_FIELDS
    assert final["eval_count"] == len(parts)
    assert str(final["created_at"]).endswith("Z")


def test_stream_false_gives_one_object_with_the_same_text(http: httpx.Client) -> None:
    streamed = _lines(http.post("/ollama/api/chat", json={"model": "llama3.2", "messages": HELLO}))
    response = http.post(
        "/ollama/api/chat", json={"model": "llama3.2:latest", "messages": HELLO, "stream": False}
    )

    body = response.json()
    assert response.headers["content-type"] == "application/json"
    assert body["done"] is True and set(body) >= FINAL_FIELDS
    text = "".join(line["message"]["content"] for line in streamed)
    assert body["message"]["content"] == text
    assert body["eval_count"] == streamed[-1]["eval_count"]


def test_num_predict_limits_with_done_reason_length(http: httpx.Client) -> None:
    body = http.post(
        "/ollama/api/chat",
        json={
            "model": "qwen2.5",
            "messages": HELLO,
            "stream": False,
            "options": {"num_predict": 5},
        },
    ).json()

    assert body["done_reason"] == "length" and body["eval_count"] == 5


def test_format_json_answers_json(http: httpx.Client) -> None:
    body = http.post(
        "/ollama/api/chat",
        json={"model": "llama3.2", "messages": HELLO, "stream": False, "format": "json"},
    ).json()

    assert isinstance(json.loads(body["message"]["content"]), dict)


def test_tool_calls_carry_arguments_as_an_object(http: httpx.Client) -> None:
    tool = {
        "type": "function",
        "function": {
            "name": "get_time",
            "parameters": {
                "type": "object",
                "properties": {"timezone": {"type": "string"}},
                "required": ["timezone"],
            },
        },
    }
    body = http.post(
        "/ollama/api/chat",
        json={"model": "llama3.2", "messages": HELLO, "stream": False, "tools": [tool]},
    ).json()

    (call,) = body["message"]["tool_calls"]
    assert call["function"]["name"] == "get_time"
    assert call["function"]["arguments"] == {"timezone": "Europe/Paris"}


def test_streamed_tool_call_comes_in_one_line_before_done(http: httpx.Client) -> None:
    tool = {"type": "function", "function": {"name": "ping", "parameters": {}}}
    lines = _lines(
        http.post(
            "/ollama/api/chat", json={"model": "llama3.2", "messages": HELLO, "tools": [tool]}
        )
    )

    assert len(lines) == 2
    assert lines[0]["message"]["tool_calls"][0]["function"]["name"] == "ping"
    assert lines[1]["done"] is True


def test_unknown_model_is_404_with_ollamas_error_shape(http: httpx.Client) -> None:
    response = http.post("/ollama/api/chat", json={"model": "mistral", "messages": HELLO})

    assert response.status_code == 404
    assert response.json() == {"error": 'model "mistral" not found, try pulling it first'}


def test_tags_list_the_catalogues_ollama_models(http: httpx.Client) -> None:
    models = http.get("/ollama/api/tags").json()["models"]

    names = [m["name"] for m in models]
    assert names == ["llama3.2:latest", "qwen2.5:latest", "nomic-embed-text:latest"]
    for model in models:
        assert model["model"] == model["name"]
        assert len(model["digest"]) == 64 and model["size"] > 0
        assert {"format", "family", "parameter_size", "quantization_level"} <= set(model["details"])


def test_embed_returns_unit_vectors(http: httpx.Client) -> None:
    body = http.post(
        "/ollama/api/embed", json={"model": "nomic-embed-text", "input": ["a", "b c"]}
    ).json()

    assert body["model"] == "nomic-embed-text"
    vectors = np.asarray(body["embeddings"])
    assert vectors.shape == (2, 768)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    assert body["prompt_eval_count"] > 0


def test_root_and_version_answer_like_ollama(http: httpx.Client) -> None:
    assert http.get("/ollama/").text == "Ollama is running"
    assert "version" in http.get("/ollama/api/version").json()


def test_no_key_is_needed_on_the_openai_compatible_api(openai_for: OpenAIFactory) -> None:
    client = openai_for("ollama", api_key="ollama")
    keyless = httpx.post(
        str(client.base_url) + "chat/completions",
        json={"model": "llama3.2", "messages": HELLO},
    )

    completion = client.chat.completions.create(model="llama3.2", messages=HELLO)

    assert keyless.status_code == 200
    assert completion.choices[0].message.content
    assert [m.id for m in client.models.list()] == ["llama3.2", "qwen2.5", "nomic-embed-text"]


def test_openai_compatible_stream_matches_native_answer(
    openai_for: OpenAIFactory, http: httpx.Client
) -> None:
    client = openai_for("ollama", api_key="ollama")
    native = http.post(
        "/ollama/api/chat", json={"model": "llama3.2", "messages": HELLO, "stream": False}
    ).json()

    chunks = list(client.chat.completions.create(model="llama3.2", messages=HELLO, stream=True))

    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == native["message"]["content"]


@pytest.mark.parametrize("path", ["/ollama/api/tags", "/ollama/v1/models"])
def test_ollama_requests_are_counted_under_ollama(http: httpx.Client, path: str) -> None:
    http.get(path)

    assert http.get("/_sandbox/stats").json()["requests"]["ollama"] == 1
