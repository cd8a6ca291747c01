"""Micro-benchmark of the router's plan: CPU time per `Router.plan` call, no I/O.

    python -m benchmarks.router_bench [--calls 5000] [--repeat 5]

Plans a short chat request for a Growth tenant over the full catalogue with every
provider keyed and healthy: `auto` (every chat model of every provider is eligible and
scored) and one concrete model (only the providers serving it), the latter also with a
prompt as long as the classifier reads. Health, breakers and keys come from fixed in-memory
sources, so the figure is the router's own work: eligibility, classification, scoring and
ordering. The best of `--repeat` runs is shown (CPU time: a shared machine's noise only
ever slows a run down).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Iterable, Mapping

from gateway.credentials.secret import ProviderSecret
from gateway.health.ewma import ProviderHealth
from gateway.pricing.catalog import PROVIDERS, Catalog
from gateway.routing.classifier import SCAN_CHARS
from gateway.routing.router import Router
from gateway.sandbox.text import SENTENCES
from gateway.tenancy.context import TenantContext

NOW = 1_800_000_000.0
LATENCY_MS = {"groq": 200.0, "ollama": 400.0, "openai": 600.0, "together": 900.0}
TENANT = TenantContext(
    org_id="00000000-0000-4000-8000-000000000001",
    org_slug="bench",
    key_id="key",
    key_prefix="gw_bench_prod_abcd",
    environment="prod",
    plan="growth",
)


class Health:
    def __init__(self) -> None:
        self.values = {
            p: ProviderHealth(LATENCY_MS.get(p, 1000.0), 0.0, 100, NOW) for p in PROVIDERS
        }

    async def snapshot(self) -> Mapping[str, ProviderHealth]:
        return self.values


class NoBreakers:
    async def blocked(self, keys: Iterable[str], now: float) -> frozenset[str]:
        return frozenset()


class NoTenantKeys:
    async def get(self, org_id: str, provider: str) -> ProviderSecret | None:
        return None


class PlatformKeys:
    def get(self, provider: str) -> str | None:
        return f"sk-platform-{provider}-0000000000"


def router() -> Router:
    return Router(
        Catalog(),
        providers=PROVIDERS,
        platform=PlatformKeys(),
        secrets=NoTenantKeys(),
        health=Health(),
        breakers=NoBreakers(),
        clock=lambda: NOW,
    )


LONG_PROMPT = " ".join(SENTENCES * (1 + SCAN_CHARS // len(" ".join(SENTENCES))))[:SCAN_CHARS]
"""Prose as long as the classifier reads (a pasted document, say)."""


async def cpu_us_per_plan(model: str, calls: int, prompt: str = "Hi!") -> tuple[float, int]:
    """(CPU µs per plan, candidates scored in one plan)."""
    planner = router()
    body = {"model": model, "max_tokens": 64, "messages": [{"role": "user", "content": prompt}]}
    tokens = len(prompt) // 4 + 8
    plan = await planner.plan(TENANT, body, tokens)
    began = time.process_time()
    for i in range(calls):
        await planner.plan(TENANT, body, tokens, seed=str(i), limit=3)
    return (time.process_time() - began) / calls * 1e6, len(plan.candidates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    cases = [("auto", "Hi!", args.calls), ("gpt-4o-mini", "Hi!", args.calls)]
    cases.append(("gpt-4o-mini", LONG_PROMPT, max(args.calls // 50, 20)))
    for model, prompt, calls in cases:
        runs = [asyncio.run(cpu_us_per_plan(model, calls, prompt)) for _ in range(args.repeat)]
        best, candidates = min(runs)
        print(
            f"{model:<12} {best:9.1f} µs CPU per plan ({candidates} candidates, "
            f"{len(prompt):,}-character prompt)"
        )


if __name__ == "__main__":
    main()
