"""The model catalogue: lookups by alias, every provider covered, integer costs."""

from __future__ import annotations

import pytest

from gateway.pricing.catalog import (
    CATALOG,
    PROVIDERS,
    REFERENCE_MODEL,
    Catalog,
    ModelKind,
    cost_micro_usd,
)


def test_every_provider_has_chat_models_and_the_reference_exists() -> None:
    catalog = Catalog()
    for provider in PROVIDERS:
        assert any(m.kind is ModelKind.CHAT for m in catalog.of_provider(provider)), provider
    assert catalog.serving(REFERENCE_MODEL)


def test_provider_and_id_pairs_are_unique() -> None:
    pairs = [(m.provider, m.id) for m in CATALOG]
    assert len(pairs) == len(set(pairs))


def test_aliases_find_every_provider_serving_a_model() -> None:
    served = {(m.provider, m.id) for m in Catalog().serving("LLAMA-3.3-70B")}
    assert served == {
        ("groq", "llama-3.3-70b-versatile"),
        ("together", "meta-llama/Llama-3.3-70B-Instruct-Turbo"),
    }


@pytest.mark.parametrize(
    ("model", "prompt", "completion", "micro"),
    [
        ("gpt-4o", 1_000_000, 0, 2_500_000),
        ("gpt-4o", 0, 1_000_000, 10_000_000),
        ("gpt-4o", 1, 1, 13),  # 2.5 + 10 = 12.5 micro-USD, rounded half up
        ("gpt-4o-mini", 100, 50, 45),  # 15 + 30
        ("gpt-4o-mini", 1, 0, 0),  # 0.15 micro-USD rounds down
        ("llama3.2", 10_000, 10_000, 0),
    ],
)
def test_costs_are_integer_micro_usd(model: str, prompt: int, completion: int, micro: int) -> None:
    info = Catalog().serving(model)[0]
    assert cost_micro_usd(info, prompt, completion) == micro
