"""The model catalogue: which provider serves which model, at what price, with what abilities.

Data, not code: prices are list prices in integer micro-USD per million tokens
(so $2.50 / 1M tokens is 2_500_000), which keeps every cost computation in
integers. The reference model is the default baseline for the "money saved"
figure: what the same tokens would have cost there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ModelKind(StrEnum):
    CHAT = "chat"
    EMBEDDING = "embedding"


class Capability(StrEnum):
    TOOLS = "tools"
    JSON_MODE = "json_mode"
    VISION = "vision"


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """One model as one provider serves it."""

    provider: str
    id: str
    kind: ModelKind
    input_per_million: int
    output_per_million: int
    context_window: int
    max_output_tokens: int
    quality_tier: int
    capabilities: frozenset[Capability] = field(default_factory=frozenset)
    aliases: tuple[str, ...] = ()
    tokenizer: str = "o200k_base"


REFERENCE_MODEL = "gpt-4o"

_ALL = frozenset(Capability)
_TOOLS_JSON = frozenset({Capability.TOOLS, Capability.JSON_MODE})
_JSON = frozenset({Capability.JSON_MODE})


def _chat(
    provider: str,
    model_id: str,
    price_in: float,
    price_out: float,
    context: int,
    max_out: int,
    tier: int,
    caps: frozenset[Capability],
    *aliases: str,
    tokenizer: str = "o200k_base",
) -> ModelInfo:
    return ModelInfo(
        provider,
        model_id,
        ModelKind.CHAT,
        round(price_in * 1_000_000),
        round(price_out * 1_000_000),
        context,
        max_out,
        tier,
        caps,
        aliases,
        tokenizer,
    )


def _embedding(
    provider: str, model_id: str, price: float, context: int, tokenizer: str = "cl100k_base"
) -> ModelInfo:
    return ModelInfo(
        provider,
        model_id,
        ModelKind.EMBEDDING,
        round(price * 1_000_000),
        0,
        context,
        0,
        1,
        frozenset(),
        (),
        tokenizer,
    )


CATALOG: tuple[ModelInfo, ...] = (
    # OpenAI
    _chat("openai", "gpt-4o", 2.50, 10.00, 128_000, 16_384, 4, _ALL, "gpt-4o-2024-08-06"),
    _chat("openai", "gpt-4o-mini", 0.15, 0.60, 128_000, 16_384, 3, _ALL, "gpt-4o-mini-2024-07-18"),
    _chat("openai", "gpt-4.1", 2.00, 8.00, 1_047_576, 32_768, 5, _ALL),
    _chat("openai", "gpt-4.1-mini", 0.40, 1.60, 1_047_576, 32_768, 4, _ALL),
    _chat("openai", "gpt-4.1-nano", 0.10, 0.40, 1_047_576, 32_768, 2, _ALL),
    _chat("openai", "o3-mini", 1.10, 4.40, 200_000, 100_000, 5, _TOOLS_JSON),
    _embedding("openai", "text-embedding-3-small", 0.02, 8_191),
    _embedding("openai", "text-embedding-3-large", 0.13, 8_191),
    # Anthropic
    _chat(
        "anthropic",
        "claude-opus-4-20250514",
        15.00,
        75.00,
        200_000,
        32_000,
        5,
        _ALL,
        "claude-opus-4",
        "claude-opus-4-0",
        tokenizer="cl100k_base",
    ),
    _chat(
        "anthropic",
        "claude-sonnet-4-20250514",
        3.00,
        15.00,
        200_000,
        64_000,
        5,
        _ALL,
        "claude-sonnet-4",
        "claude-sonnet-4-0",
        tokenizer="cl100k_base",
    ),
    _chat(
        "anthropic",
        "claude-3-5-haiku-20241022",
        0.80,
        4.00,
        200_000,
        8_192,
        3,
        _TOOLS_JSON,
        "claude-3-5-haiku-latest",
        "claude-3-5-haiku",
        tokenizer="cl100k_base",
    ),
    # Groq
    _chat(
        "groq",
        "llama-3.3-70b-versatile",
        0.59,
        0.79,
        131_072,
        32_768,
        4,
        _TOOLS_JSON,
        "llama-3.3-70b",
        tokenizer="cl100k_base",
    ),
    _chat(
        "groq",
        "llama-3.1-8b-instant",
        0.05,
        0.08,
        131_072,
        131_072,
        2,
        _TOOLS_JSON,
        "llama-3.1-8b",
        tokenizer="cl100k_base",
    ),
    _chat("groq", "gemma2-9b-it", 0.20, 0.20, 8_192, 8_192, 2, _JSON, tokenizer="cl100k_base"),
    # Together
    _chat(
        "together",
        "meta-llama/Llama-3.3-70B-Instruct-Turbo",
        0.88,
        0.88,
        131_072,
        8_192,
        4,
        _TOOLS_JSON,
        "llama-3.3-70b",
        tokenizer="cl100k_base",
    ),
    _chat(
        "together",
        "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo",
        0.18,
        0.18,
        131_072,
        8_192,
        2,
        _TOOLS_JSON,
        "llama-3.1-8b",
        tokenizer="cl100k_base",
    ),
    _chat(
        "together",
        "deepseek-ai/DeepSeek-V3",
        1.25,
        1.25,
        131_072,
        8_192,
        4,
        _TOOLS_JSON,
        "deepseek-v3",
        tokenizer="cl100k_base",
    ),
    _chat(
        "together",
        "Qwen/Qwen2.5-72B-Instruct-Turbo",
        1.20,
        1.20,
        32_768,
        8_192,
        4,
        _TOOLS_JSON,
        "qwen2.5-72b",
        tokenizer="cl100k_base",
    ),
    _embedding("together", "togethercomputer/m2-bert-80M-8k-retrieval", 0.008, 8_192),
    # Ollama (local: no per-token price)
    _chat(
        "ollama",
        "llama3.2",
        0,
        0,
        131_072,
        8_192,
        1,
        _TOOLS_JSON,
        "llama3.2:3b",
        tokenizer="cl100k_base",
    ),
    _chat(
        "ollama",
        "qwen2.5",
        0,
        0,
        32_768,
        8_192,
        2,
        _TOOLS_JSON,
        "qwen2.5:7b",
        tokenizer="cl100k_base",
    ),
    _embedding("ollama", "nomic-embed-text", 0, 8_192),
)

PROVIDERS: tuple[str, ...] = ("ollama", "groq", "together", "openai", "anthropic")


class Catalog:
    """Lookups over a tuple of models: by provider and id, and by any name or alias."""

    def __init__(self, models: tuple[ModelInfo, ...] = CATALOG) -> None:
        self.models = models
        self._by_key = {(m.provider, m.id): m for m in models}
        self._by_name: dict[str, list[ModelInfo]] = {}
        for model in models:
            for name in (model.id, *model.aliases):
                self._by_name.setdefault(name.lower(), []).append(model)

    def get(self, provider: str, model_id: str) -> ModelInfo | None:
        return self._by_key.get((provider, model_id))

    def serving(self, name: str) -> list[ModelInfo]:
        """Every (provider, model) that answers to `name`, an id or an alias."""
        return list(self._by_name.get(name.lower(), ()))

    def of_provider(self, provider: str) -> list[ModelInfo]:
        return [m for m in self.models if m.provider == provider]


def cost_micro_usd(model: ModelInfo, prompt_tokens: int, completion_tokens: int) -> int:
    """The list-price cost of one call in integer micro-USD, rounded half up."""
    scaled = prompt_tokens * model.input_per_million + completion_tokens * model.output_per_million
    return (scaled + 500_000) // 1_000_000
