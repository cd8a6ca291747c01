"""What a request reserves before any provider has counted it: its worst case.

- The prompt: RouterAI's estimate (`gateway.tokens.prompt_estimate`) times the highest prompt
  factor among the candidates (`gateway.budget.factors`), priced at the dearest candidate.
- The output: what the request asks for (`max_tokens` times `n`), or the most any candidate
  may produce, priced likewise; the budget may lower it (`gateway.budget.policy`).
- Tokens per minute: a request that can never fit its limits is a 400 naming what to
  change; an output it did not ask for is reserved only up to a quarter of the minute's
  tokens (and what the minute leaves after the prompt), so that requests without
  `max_tokens` still go several to a minute; the gateway then asks the provider for no more.

Pure: the factors come in as a function.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from gateway.budget.admission import Limits
from gateway.budget.factors import prompt_reserve
from gateway.budget.policy import output_cost_micro
from gateway.errors import InvalidRequest
from gateway.routing.selection import Candidate

IMPLICIT_OUTPUT_SHARE = 4
"""An output not asked for is reserved up to 1/4 of the tokens-per-minute limit."""


@dataclass(frozen=True, slots=True)
class WorstCase:
    """An admission's `tokens`, `cost_micro`, `output_tokens` and `output_per_million`."""

    tokens: int
    cost_micro: int
    output_tokens: int
    output_per_million: int


def worst_case(
    estimate: int,
    output_tokens: int,
    candidates: Sequence[Candidate],
    factor_of: Callable[[str], float],
) -> WorstCase:
    """The worst case of a prompt estimated at `estimate` and `output_tokens` of output, over
    `candidates`."""
    prompt = prompt_reserve(estimate, max(factor_of(c.label) for c in candidates))
    prompt_cost = max(output_cost_micro(prompt, c.model.input_per_million) for c in candidates)
    output_price = max(c.model.output_per_million for c in candidates)
    return WorstCase(
        prompt + output_tokens,
        prompt_cost + output_cost_micro(output_tokens, output_price),
        output_tokens,
        output_price,
    )


def output_within_a_minute(
    limits: Limits,
    estimate: int,
    output_tokens: int,
    *,
    requested: int | None,
    choices: int,
    prompt_param: str,
    output_param: str,
) -> int:
    """The output to reserve, given the tightest tokens-per-minute limit: all of it when the
    request asked for it (`requested` per choice), else at most a share of the minute and
    what it leaves after the prompt. A request that can never fit is refused with a 400
    naming the parameter to change."""
    limit = limits.org_tpm if limits.key_tpm is None else min(limits.org_tpm, limits.key_tpm)
    room = limit - estimate
    if room < 0 or (output_tokens > 0 and room < choices):  # not even one token of output
        raise InvalidRequest(
            f"The prompt is about {estimate:,} tokens, more than the {limit:,} tokens per "
            "minute this organization or key may use; send a shorter one.",
            param=prompt_param,
            code="tokens_per_minute_exceeded",
        )
    if requested is not None and output_tokens > room:
        most = room // choices
        raise InvalidRequest(
            f"{output_param} {requested:,} with a prompt of about {estimate:,} tokens can never "
            f"fit the {limit:,} tokens per minute this organization or key may use; set "
            f"{output_param} to at most {most:,}.",
            param=output_param,
            code="tokens_per_minute_exceeded",
        )
    if requested is not None:
        return output_tokens
    return min(output_tokens, room, max(limit // IMPLICIT_OUTPUT_SHARE, choices))


def capped(body: dict[str, Any], cap: int | None, would_write: int) -> dict[str, Any]:
    """The body a candidate that `would_write` output tokens per choice is sent: `body`, with
    its `max_tokens` lowered to `cap` (what the admission reserved per choice) when that is
    less, so the provider never writes more than was reserved."""
    if cap is None or cap >= would_write:
        return body
    return {**body, output_param(body): cap}


def output_param(body: dict[str, Any]) -> str:
    """The request's name for its output limit (`max_completion_tokens` where it uses it)."""
    return "max_completion_tokens" if "max_completion_tokens" in body else "max_tokens"
