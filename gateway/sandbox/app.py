"""The sandbox's composition root: one Starlette app standing in for every provider."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from gateway.sandbox.anthropic_api import anthropic_routes
from gateway.sandbox.config import SandboxConfig
from gateway.sandbox.control_api import control_routes
from gateway.sandbox.endpoint import SandboxState
from gateway.sandbox.errors import OPENAI, SandboxError
from gateway.sandbox.ollama_api import ollama_routes
from gateway.sandbox.openai_api import OPENAI_COMPATIBLE, openai_routes


async def _http_error(request: Request, exc: Exception) -> Response:
    """Unknown paths and methods, answered in OpenAI's error shape as OpenAI does."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    message = f"Invalid URL ({request.method} {request.url.path})"
    body = OPENAI.body(SandboxError(status, message))
    return Response(body, status_code=status, media_type="application/json")


def _routes(state: SandboxState) -> list[BaseRoute]:
    routes: list[BaseRoute] = [*control_routes(state)]
    routes += openai_routes(state, "openai", "")
    for provider in OPENAI_COMPATIBLE:
        routes += openai_routes(state, provider, f"/{provider}")
    routes += anthropic_routes(state)
    routes += ollama_routes(state)
    return routes


def create_sandbox_app(config: SandboxConfig | None = None) -> Starlette:
    """The sandbox ASGI app: OpenAI, Groq, Together, Anthropic and Ollama under their prefixes.

    Each app instance has its own fault board and counters (`app.state.sandbox`).
    """
    state = SandboxState(config or SandboxConfig())
    app = Starlette(
        routes=_routes(state),
        exception_handlers={404: _http_error, 405: _http_error},
    )
    app.state.sandbox = state
    return app
