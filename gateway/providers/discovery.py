"""What the provider side can tell about itself: a local Ollama's models, and whether a key works.

Pure parts (which models a catalogue gains or loses) are plain functions; the calls
go through the one transport.
"""

from __future__ import annotations

from gateway.errors import GatewayError
from gateway.pricing.catalog import Capability, Catalog, ModelInfo, ModelKind
from gateway.providers.base import UpstreamRequest
from gateway.providers.ollama import OllamaAdapter
from gateway.providers.ollama_response import parse_tags
from gateway.providers.transport import Transport
from gateway.settings import Settings

LOCAL_CONTEXT = 8_192
LOCAL_MAX_OUTPUT = 4_096


def with_local_models(catalog: Catalog, served: list[str]) -> Catalog:
    """The catalogue with Ollama's entries replaced by the models the server has pulled.

    Known models keep their catalogue entry; unknown ones are added as free, tier-1 chat
    models with a conservative context window (Ollama's default), no tools or JSON mode.
    """
    known = {name.lower(): m for m in catalog.of_provider("ollama") for name in (m.id, *m.aliases)}
    local: list[ModelInfo] = []
    for name in served:
        model = known.get(name.lower()) or ModelInfo(
            "ollama",
            name,
            ModelKind.CHAT,
            0,
            0,
            LOCAL_CONTEXT,
            LOCAL_MAX_OUTPUT,
            1,
            frozenset[Capability](),
            (),
            "cl100k_base",
        )
        if model not in local:
            local.append(model)
    others = tuple(m for m in catalog.models if m.provider != "ollama")
    return Catalog(others + tuple(local))


async def ollama_models(transport: Transport, adapter: OllamaAdapter) -> list[str] | None:
    """The models the Ollama server lists, or None when it cannot be asked."""
    try:
        return parse_tags(await transport.post(adapter.tags_request()))
    except (GatewayError, ValueError, AttributeError):  # unreachable, or not Ollama's answer
        return None


class CredentialProbe:
    """Asks a provider whether a key works (GET its model list): the status, or None."""

    def __init__(self, transport: Transport, base_urls: dict[str, str]) -> None:
        self._transport = transport
        self._base_urls = base_urls

    @classmethod
    def from_settings(cls, transport: Transport, settings: Settings) -> CredentialProbe:
        from gateway.providers.setup import OFFICIAL_BASE_URLS, base_url

        return cls(transport, {name: base_url(settings, name) for name in OFFICIAL_BASE_URLS})

    async def __call__(self, provider: str, secret: str) -> int | None:
        if provider == "anthropic":
            headers = {"x-api-key": secret, "anthropic-version": "2023-06-01"}
        else:
            headers = {"Authorization": f"Bearer {secret}"}
        url = f"{self._base_urls[provider]}/v1/models"
        return await self._transport.status(
            UpstreamRequest(provider, url, headers, b"", method="GET")
        )
