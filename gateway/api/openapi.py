"""The gateway's own OpenAPI 3.1 document, served at /openapi.json.

It describes what RouterAI checks and adds; the request fields it passes
through untouched to the provider are allowed (`additionalProperties`) and
documented by OpenAI's own reference.
"""

from __future__ import annotations

from typing import Any

_ERROR = {"$ref": "#/components/schemas/Error"}
_ERROR_STATUSES = {
    "400": "Invalid request (the `param` field names the offending parameter)",
    "401": "Missing, unknown or revoked API key (code `invalid_api_key`)",
    "404": "Unknown model, or one the organization may not use (code `model_not_found`)",
    "413": "Request body larger than the configured limit",
    "415": "Content-Type other than application/json",
    "429": "Rate limited (`rate_limit_exceeded`, with Retry-After) or budget exhausted "
    "(`insufficient_quota`)",
    "502": "The provider failed",
    "503": "The provider is unavailable or rate limiting",
    "504": "The provider timed out",
}
_HEADERS = {
    "x-request-id": "The request's id, also in the request logs",
    "openai-processing-ms": "Time spent in the gateway and upstream, in milliseconds",
    "x-ratelimit-limit-requests": "Requests per minute allowed",
    "x-ratelimit-remaining-requests": "Requests left in the current window",
    "x-ratelimit-reset-requests": "Time until the request window frees up (e.g. 1s)",
    "x-ratelimit-limit-tokens": "Tokens per minute allowed",
    "x-ratelimit-remaining-tokens": "Tokens left in the current window",
    "x-ratelimit-reset-tokens": "Time until the token window frees up",
    "x-routerai-provider": "The provider that answered",
    "x-routerai-model": "The model that answered",
    "x-routerai-cache": "miss, exact, semantic or bypass",
    "x-routerai-cost-usd": "The request's cost in USD (streams: a trailing SSE comment)",
}


def _responses(success: dict[str, Any]) -> dict[str, Any]:
    responses: dict[str, Any] = {"200": success}
    for status, description in _ERROR_STATUSES.items():
        responses[status] = {
            "description": description,
            "content": {"application/json": {"schema": _ERROR}},
        }
    return responses


def _json_ok(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    headers = {
        name: {"description": text, "schema": {"type": "string"}} for name, text in _HEADERS.items()
    }
    return {
        "description": description,
        "headers": headers,
        "content": {"application/json": {"schema": schema}},
    }


_MESSAGE = {
    "type": "object",
    "required": ["role"],
    "properties": {
        "role": {"enum": ["system", "developer", "user", "assistant", "tool", "function"]},
        "content": {"anyOf": [{"type": "string"}, {"type": "array"}, {"type": "null"}]},
        "name": {"type": "string"},
        "tool_calls": {"type": "array"},
        "tool_call_id": {"type": "string"},
    },
}

_CHAT_REQUEST = {
    "type": "object",
    "required": ["model", "messages"],
    "additionalProperties": True,
    "properties": {
        "model": {
            "type": "string",
            "minLength": 1,
            "description": "A model id or alias, or `auto` to let RouterAI choose",
        },
        "messages": {"type": "array", "minItems": 1, "items": _MESSAGE},
        "max_tokens": {"type": "integer", "minimum": 1},
        "max_completion_tokens": {"type": "integer", "minimum": 1},
        "n": {"type": "integer", "minimum": 1, "maximum": 128},
        "temperature": {"type": "number", "minimum": 0, "maximum": 2},
        "top_p": {"type": "number", "minimum": 0, "maximum": 1},
        "stream": {"type": "boolean"},
        "stream_options": {"type": "object", "properties": {"include_usage": {"type": "boolean"}}},
        "tools": {"type": "array", "items": {"type": "object"}},
        "stop": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
    },
}

_EMBEDDINGS_REQUEST = {
    "type": "object",
    "required": ["model", "input"],
    "additionalProperties": True,
    "properties": {
        "model": {"type": "string", "minLength": 1},
        "input": {
            "anyOf": [
                {"type": "string", "minLength": 1},
                {"type": "array", "minItems": 1, "items": {"type": "string"}},
                {"type": "array", "minItems": 1, "items": {"type": "integer"}},
                {
                    "type": "array",
                    "minItems": 1,
                    "items": {"type": "array", "minItems": 1, "items": {"type": "integer"}},
                },
            ]
        },
        "encoding_format": {"enum": ["float", "base64"]},
        "dimensions": {"type": "integer", "minimum": 1},
    },
}

_MODEL = {
    "type": "object",
    "required": ["id", "object", "created", "owned_by"],
    "properties": {
        "id": {"type": "string"},
        "object": {"const": "model"},
        "created": {"type": "integer"},
        "owned_by": {"type": "string"},
    },
}


def openapi_document() -> dict[str, Any]:
    body = {"required": True, "content": {"application/json": {"schema": {}}}}
    chat_body = {**body, "content": {"application/json": {"schema": _CHAT_REQUEST}}}
    embed_body = {**body, "content": {"application/json": {"schema": _EMBEDDINGS_REQUEST}}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "RouterAI gateway",
            "version": "1",
            "description": "OpenAI-compatible API of the RouterAI LLM gateway.",
        },
        "security": [{"bearer": []}],
        "paths": {
            "/v1/chat/completions": {
                "post": {
                    "operationId": "createChatCompletion",
                    "requestBody": chat_body,
                    "responses": _responses(
                        _json_ok(
                            "A chat completion (or an SSE stream of chunks when `stream` is true)",
                            {"type": "object"},
                        )
                    ),
                }
            },
            "/v1/embeddings": {
                "post": {
                    "operationId": "createEmbedding",
                    "requestBody": embed_body,
                    "responses": _responses(_json_ok("Embeddings", {"type": "object"})),
                }
            },
            "/v1/models": {
                "get": {
                    "operationId": "listModels",
                    "responses": _responses(
                        _json_ok(
                            "Models this organization may use",
                            {
                                "type": "object",
                                "required": ["object", "data"],
                                "properties": {
                                    "object": {"const": "list"},
                                    "data": {"type": "array", "items": _MODEL},
                                },
                            },
                        )
                    ),
                }
            },
            "/v1/models/{model}": {
                "get": {
                    "operationId": "retrieveModel",
                    "parameters": [
                        {
                            "name": "model",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": _responses(_json_ok("One model", _MODEL)),
                }
            },
            "/health": {
                "get": {
                    "operationId": "health",
                    "security": [],
                    "responses": {"200": {"description": "The gateway is up"}},
                }
            },
            "/metrics": {
                "get": {
                    "operationId": "metrics",
                    "description": "Prometheus metrics for the whole deployment, for its "
                    "operator: send ROUTERAI_METRICS_TOKEN as a bearer token when it is set.",
                    # The operator's token when ROUTERAI_METRICS_TOKEN is set; open otherwise.
                    "security": [{"metricsToken": []}, {}],
                    "responses": {
                        "200": {"description": "Prometheus metrics"},
                        "401": {
                            "description": "Missing or wrong metrics token",
                            "content": {"application/json": {"schema": _ERROR}},
                        },
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A RouterAI key: gw_<org>_<env>_…",
                },
                "metricsToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The deployment's ROUTERAI_METRICS_TOKEN (for Prometheus)",
                },
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["message", "type"],
                            "properties": {
                                "message": {"type": "string"},
                                "type": {"type": "string"},
                                "param": {"type": ["string", "null"]},
                                "code": {"type": ["string", "null"]},
                            },
                        }
                    },
                }
            },
        },
    }
