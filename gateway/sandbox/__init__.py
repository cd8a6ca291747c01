"""The upstream sandbox: one HTTP server speaking the wire protocols of every provider.

It stands in for the real providers in sandbox mode (`routerai up` with no credentials),
in every gateway test and in benchmarks. Each provider lives under its own prefix, so
the gateway points a provider's base URL at `{sandbox_url}/{provider}`:

- `/openai/v1/...`, `/groq/v1/...`, `/together/v1/...` and unprefixed `/v1/...` (OpenAI):
  `chat/completions` (JSON and SSE), `embeddings`, `models`, `models/{id}`;
  a Bearer key is required, and a key containing "invalid" is refused (401).
- `/anthropic/v1/messages` (JSON and SSE), `/anthropic/v1/messages/count_tokens`,
  `/anthropic/v1/models`; `x-api-key` or `Authorization: Bearer`, plus `anthropic-version`.
- `/ollama/api/chat` (NDJSON unless `"stream": false`), `/ollama/api/embed`,
  `/ollama/api/tags`, `/ollama/api/version`, and the OpenAI-compatible `/ollama/v1/...`;
  no key needed.
- `/_sandbox/faults`, `/_sandbox/stats`, `/_sandbox/reset`, `/_sandbox/requests`: control
  (see `gateway.sandbox.control_api`; `SandboxControl` is a client for them).

Run it with `serve()` (blocking, for `routerai up`), `BackgroundSandbox` (a thread on a
free port, zero latency unless configured; tests and benchmarks) or mount
`create_sandbox_app()` in-process (e.g. behind `httpx2.ASGITransport`).

Answers are deterministic (a digest of the conversation picks the text), token counts
are consistent (one streamed chunk per completion token; prompts count characters / 4),
models come from the pricing catalogue, and an unknown model is a 404 in the vendor's
error shape. Tools offered get a tool call whose arguments fit the tool's schema;
JSON modes get valid JSON.

Latency (`SandboxConfig`): realistic per-provider defaults (time to first token plus a
per-token delay when streaming); `latency_ms` sets one first-token latency for all
providers with no per-token delay, and `latency_ms=0` never sleeps at all. Listings
(models, tags) answer without the base latency.

Fault injection
---------------
A fault is given per request in the `x-sandbox-fault` header, or per provider with
`POST /_sandbox/faults {"provider": "groq", "fault": "error=503", "count": 2}` (`count`
null: until `DELETE /_sandbox/faults`; provider "*" applies to every provider). The
header wins over an armed fault and does not use up its count. Syntax: items separated
by commas, e.g. `latency=300,error=500`:

- `latency=MS`: MS milliseconds more before the answer (errors included).
- `error=STATUS`: answer STATUS (400-599) with the vendor's own error body
  (OpenAI-compatible `{"error": {...}}`, Anthropic `{"type": "error", ...}` with 529
  `overloaded_error`, Ollama `{"error": "..."}`).
- `error=STATUS@N`: a stream fails after N frames with an in-stream error (OpenAI
  `data: {"error": ...}`, Anthropic `event: error`, Ollama `{"error": ...}` line) and
  ends; a non-streamed request gets the plain STATUS error.
- `hang`: accept the request and never answer; the server stays free, and the request
  ends when the client gives up.
- `cut=N`: a stream is cut after N frames (fewer than all: the final chunk, `[DONE]` or
  `message_stop` never arrive) by closing the connection abruptly; a non-streamed body
  is cut after N bytes (and before its end) the same way.
- `malformed`: the body is invalid JSON (cut in half, complete on the wire); in a stream,
  the second frame carries invalid JSON and the rest follows normally.
- `overcount=X`: a chat's prompt counts X times (a decimal, 0.1 to 100) what the sandbox
  would count, in its usage report: a provider whose tokenizer counts differently from
  RouterAI's estimate.
- `pad=N`: the answer is at least N bytes longer and means the same: a JSON body gets N
  spaces after its opening brace; a stream gets lines that carry nothing (SSE comments,
  NDJSON lines of spaces; at most 8 KiB each) before its last frame, once the whole
  answer was sent.
"""

from gateway.sandbox.app import create_sandbox_app
from gateway.sandbox.config import ProviderLatency, SandboxConfig
from gateway.sandbox.control_client import SandboxControl
from gateway.sandbox.faults import Fault, parse_fault
from gateway.sandbox.server import BackgroundSandbox, serve

__all__ = [
    "BackgroundSandbox",
    "Fault",
    "ProviderLatency",
    "SandboxConfig",
    "SandboxControl",
    "create_sandbox_app",
    "parse_fault",
    "serve",
]
