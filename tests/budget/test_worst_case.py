"""The worst case a request reserves, pure: the prompt estimate times the candidates' highest
factor at the dearest price, the output a minute allows, and the body a provider is sent."""

from __future__ import annotations

import pytest

from gateway.budget.admission import Limits
from gateway.budget.policy import output_cost_micro
from gateway.budget.worst_case import capped, output_within_a_minute, worst_case
from gateway.credentials.secret import ProviderSecret
from gateway.errors import InvalidRequest
from gateway.pricing.catalog import CATALOG, ModelInfo
from gateway.routing.selection import Candidate

MINI = next(m for m in CATALOG if m.provider == "openai" and m.id == "gpt-4o-mini")
FOUR_O = next(m for m in CATALOG if m.provider == "openai" and m.id == "gpt-4o")
LIMITS = Limits(100, 40_000, None, None, None, None)


def candidate(model: ModelInfo) -> Candidate:
    return Candidate(model, ProviderSecret("openai", "sk-test"))


def test_the_worst_case_takes_the_highest_factor_and_the_dearest_prices() -> None:
    factors = {"openai/gpt-4o-mini": 3.0, "openai/gpt-4o": 1.5}

    worst = worst_case(1000, 200, [candidate(MINI), candidate(FOUR_O)], factors.__getitem__)

    assert worst.tokens == 3000 + 200
    assert worst.output_per_million == FOUR_O.output_per_million
    assert worst.cost_micro == output_cost_micro(3000, FOUR_O.input_per_million) + (
        output_cost_micro(200, FOUR_O.output_per_million)
    )


@pytest.mark.parametrize(
    ("limits", "estimate", "output", "requested", "choices", "expected"),
    [
        (LIMITS, 100, 16_384, None, 1, 10_000),  # unasked: a quarter of the minute
        (LIMITS, 35_000, 16_384, None, 1, 5_000),  # and no more than the minute leaves
        (LIMITS, 100, 2_000, None, 1, 2_000),  # a model that writes less
        (LIMITS, 100, 30_000, 30_000, 1, 30_000),  # asked for: all of it, if it fits
        (LIMITS, 100, 39_800, 19_900, 2, 39_800),  # n = 2
        (Limits(100, 40_000, None, 20_000, None, None), 100, 16_384, None, 1, 5_000),  # key
    ],
)
def test_the_output_reserved_within_a_minute(
    limits: Limits, estimate: int, output: int, requested: int | None, choices: int, expected: int
) -> None:
    reserved = output_within_a_minute(
        limits,
        estimate,
        output,
        requested=requested,
        choices=choices,
        prompt_param="messages",
        output_param="max_tokens",
    )
    assert reserved == expected


@pytest.mark.parametrize(
    ("estimate", "output", "requested", "choices", "param", "most"),
    [
        (40_001, 1, None, 1, "messages", None),  # the prompt alone is more than a minute
        (100, 45_000, 45_000, 1, "max_tokens", "39,900"),
        (100, 2 * 20_000, 20_000, 2, "max_tokens", "19,950"),  # n = 2: per choice
    ],
)
def test_a_request_that_can_never_fit_a_minute_names_what_to_change(
    estimate: int, output: int, requested: int | None, choices: int, param: str, most: str | None
) -> None:
    with pytest.raises(InvalidRequest) as caught:
        output_within_a_minute(
            LIMITS,
            estimate,
            output,
            requested=requested,
            choices=choices,
            prompt_param="messages",
            output_param="max_tokens",
        )
    assert (caught.value.param, caught.value.code) == (param, "tokens_per_minute_exceeded")
    if most is not None:
        assert f"at most {most}" in caught.value.message


@pytest.mark.parametrize(
    ("body", "cap", "would_write", "expected"),
    [
        ({"max_tokens": 500}, None, 500, {"max_tokens": 500}),  # nothing reserved to hold to
        ({"max_tokens": 500}, 500, 500, {"max_tokens": 500}),
        ({"max_tokens": 500}, 120, 500, {"max_tokens": 120}),  # lowered to what was reserved
        ({}, 10_000, 16_384, {"max_tokens": 10_000}),  # set where the client left it out
        ({}, 10_000, 4_096, {}),  # a model that writes less anyway
        ({"max_completion_tokens": 900}, 300, 900, {"max_completion_tokens": 300}),
    ],
)
def test_the_body_a_provider_is_sent(
    body: dict[str, int], cap: int | None, would_write: int, expected: dict[str, int]
) -> None:
    assert capped(body, cap, would_write) == expected
