"""A local Ollama's models are discovered; a provider key is checked against the provider."""

from __future__ import annotations

from gateway.pricing.catalog import Catalog, ModelKind
from gateway.providers.discovery import CredentialProbe, ollama_models, with_local_models
from gateway.providers.ollama import OllamaAdapter
from gateway.providers.transport import Transport
from gateway.settings import Settings


def transport() -> Transport:
    return Transport(connect_timeout_s=2, read_timeout_s=5)


def test_served_models_replace_the_catalogues_local_entries() -> None:
    catalog = with_local_models(Catalog(), ["llama3.2", "mistral:7b"])
    local = {m.id: m for m in catalog.of_provider("ollama")}
    assert set(local) == {"llama3.2", "mistral:7b"}  # qwen2.5 is not pulled: gone
    assert local["llama3.2"] == Catalog().get("ollama", "llama3.2")  # known: catalogue entry
    mistral = local["mistral:7b"]
    assert (mistral.kind, mistral.input_per_million, mistral.quality_tier) == (ModelKind.CHAT, 0, 1)
    assert catalog.of_provider("openai") == Catalog().of_provider("openai")


async def test_the_sandboxs_ollama_lists_its_models(sandbox_url: str) -> None:
    client = transport()
    try:
        served = await ollama_models(client, OllamaAdapter(f"{sandbox_url}/ollama"))
        missing = await ollama_models(client, OllamaAdapter("http://127.0.0.1:9"))
    finally:
        await client.close()
    assert served is not None and "llama3.2" in served
    assert missing is None


async def test_a_key_is_checked_against_the_provider(sandbox_url: str) -> None:
    client = transport()
    probe = CredentialProbe.from_settings(client, Settings(ROUTERAI_SANDBOX_URL=sandbox_url))
    try:
        assert await probe("openai", "sk-good-key") == 200
        assert await probe("groq", "gsk-invalid-key") == 401
        assert await probe("anthropic", "sk-ant-good") == 200
        assert await probe("anthropic", "sk-ant-invalid") == 401
        assert (
            await CredentialProbe(client, {"openai": "http://127.0.0.1:9"})("openai", "sk-x")
            is None
        )
    finally:
        await client.close()
