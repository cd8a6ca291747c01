"""The request pipeline: every stage of a gateway request, in order, in one place.

    1. tenancy     key → TenantContext                    gateway.tenancy.resolver
       (validate)  body → 400 naming the param             gateway.api.validation
       (eligible)  model name → candidates                 gateway.routing.selection
    2. rate limit  ┐ one atomic Redis call: both limits    gateway.ratelimit / gateway.budget
    3. budget      ┘ checked, worst case reserved
    4. cache       the tenant's own semantic cache         gateway.cache
    5. router      candidates before admission, ranked     gateway.routing.router
                   while Redis admits
    6. execute     candidates in turn, with fallback       gateway.execution, gateway.providers
    7. record      price, settle to the actual, append     gateway.ledger
                   the usage record, observe metrics

A `RequestContext` flows through the stages; each stage reads and fills plain
fields of it. Stages raise `GatewayError`s; the API renders them. The body is read once
the tenant is known, in one piece of work (parse, validate, count the prompt's tokens)
that runs off the event loop when the body is large (`gateway.offload`).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Any

import orjson

from gateway.api.validation import (
    check_embedding_tokens,
    parse_json_object,
    validate_chat,
    validate_embeddings,
)
from gateway.background import BackgroundTasks, Meanwhile
from gateway.budget.admission import AdmissionStore, admission_for, limits_for
from gateway.budget.factors import PromptFactors
from gateway.budget.rejection import rejection_error
from gateway.budget.worst_case import capped, output_param, output_within_a_minute, worst_case
from gateway.cache.replay import StreamAssembler
from gateway.cache.semantic import CacheHit, SemanticCache
from gateway.errors import GatewayError, InvalidRequest, UpstreamError
from gateway.execution import Attempt, Executor, StreamStart
from gateway.ledger import Ledger
from gateway.metrics import Metrics
from gateway.offload import Offload
from gateway.pricing.catalog import Catalog, ModelKind
from gateway.providers.base import ChatResult, ProviderAdapter, Usage
from gateway.providers.openai_compat import usage_from
from gateway.request import RequestContext
from gateway.routing.requirements import requested_output
from gateway.routing.router import RouteDraft, RoutePlan, Router
from gateway.routing.selection import Candidate
from gateway.tenancy.context import TenantContext
from gateway.tenancy.resolver import TenantResolver
from gateway.tokens import (
    chat_chars,
    count_chat_prompt,
    count_embedding_input,
    prompt_estimate,
    text_chars,
)
from gateway.usage import UsageRecorder

# A body as stage 2 reads it: parsed, its prompt's tokens, and the estimate reserved from.
_Read = tuple[dict[str, Any], int, int]


class Pipeline:
    """Runs requests through the stages; owns nothing but references to its parts."""

    def __init__(
        self,
        *,
        resolver: TenantResolver,
        router: Router,
        admission: AdmissionStore,
        executor: Executor,
        recorder: UsageRecorder,
        catalog: Catalog,
        metrics: Metrics,
        cache: SemanticCache | None = None,
        offload: Offload | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.resolver = resolver
        self.router = router
        self.admission = admission
        self.factors = PromptFactors(admission.prompt_factors)
        self.executor = executor
        self.metrics = metrics
        self.cache = cache
        self.offload = offload or Offload()
        self.clock = clock
        self._background = BackgroundTasks("finishing a request")
        self.ledger = Ledger(
            admission=admission,
            recorder=recorder,
            catalog=catalog,
            metrics=metrics,
            background=self._background,
        )

    # -- stages 1-3 -------------------------------------------------------------------------

    async def authenticate(self, ctx: RequestContext) -> TenantContext:
        ctx.tenant = await self.resolver.resolve(ctx.authorization)
        return ctx.tenant

    async def admit_chat(self, ctx: RequestContext) -> None:
        """Stages 1-3 for a chat completion: tenant, valid body, candidates, admission."""
        tenant = await self.authenticate(ctx)
        await self._read_body(ctx, self._read_chat)
        ctx.stream = bool(ctx.body.get("stream"))
        ctx.include_usage = bool((ctx.body.get("stream_options") or {}).get("include_usage"))
        await self._route_and_admit(ctx, tenant, ModelKind.CHAT)

    async def admit_embeddings(self, ctx: RequestContext) -> None:
        tenant = await self.authenticate(ctx)
        await self._read_body(ctx, self._read_embeddings)
        await self._route_and_admit(ctx, tenant, ModelKind.EMBEDDING)

    async def _read_body(self, ctx: RequestContext, read: Callable[[bytes], _Read]) -> None:
        """Stage 2 in one piece, so a large body is parsed, checked and let go on the same
        trip off the event loop (bodies waiting between two trips would pile up)."""
        raw, ctx.raw_body = ctx.raw_body, b""
        parsed = await self.offload.run(len(raw), read, raw)
        ctx.body, ctx.prompt_tokens, ctx.prompt_estimate = parsed

    def _read_chat(self, raw: bytes) -> _Read:
        """The body parsed and checked, and its prompt's tokens and estimate."""
        body = parse_json_object(raw)
        validate_chat(body)
        tokenizer = self.router.tokenizer_for(body["model"])
        tokens = _readable(count_chat_prompt, body, tokenizer)
        return body, tokens, prompt_estimate(tokens, chat_chars(body))

    def _read_embeddings(self, raw: bytes) -> _Read:
        """The body parsed and checked, and its input's tokens (held to their bound)."""
        body = parse_json_object(raw)
        validate_embeddings(body)
        tokenizer = self.router.tokenizer_for(body["model"], ModelKind.EMBEDDING)
        tokens = count_embedding_input(body["input"], tokenizer)
        check_embedding_tokens(tokens)
        return body, tokens, prompt_estimate(tokens, text_chars(body["input"]))

    async def _route_and_admit(
        self, ctx: RequestContext, tenant: TenantContext, kind: ModelKind
    ) -> None:
        """Stage 5 (before admission, which reserves for the candidates it will try), then
        stages 2-3. The admission needs the candidates but not their order: they are
        ranked while Redis admits."""
        draft = await self.router.draft(
            tenant,
            ctx.body,
            ctx.prompt_tokens,
            kind=kind,
            seed=ctx.request_id,
            limit=self.executor.limits.max_attempts,
        )
        ctx.candidates = draft.candidates
        ctx.output_reserve = draft.output_reserve
        ctx.choices = draft.choices
        meanwhile = Meanwhile(partial(self._order_and_prepare, ctx, draft, kind))
        try:
            await self._admit(ctx)
        finally:  # a refused request's record carries its routing decision too
            plan = meanwhile.result()
            ctx.candidates = list(plan.candidates)
            ctx.decision = plan.decision

    def _order_and_prepare(
        self, ctx: RequestContext, draft: RouteDraft, kind: ModelKind
    ) -> RoutePlan:
        """What needs the candidates but not the admission: their order (stage 5) and, for
        a chat, the cache's work on the request (stage 4), or None to bypass the cache."""
        if kind is ModelKind.CHAT and self.cache is not None and ctx.tenant is not None:
            ctx.cache_request = self.cache.prepare(ctx.tenant, ctx.body, ctx.headers)
        return draft.plan()

    async def _admit(self, ctx: RequestContext) -> None:
        tenant = ctx.tenant
        assert tenant is not None
        limits = limits_for(tenant)
        chat = ctx.endpoint == "chat"
        output = output_within_a_minute(
            limits,
            ctx.prompt_estimate,
            ctx.output_reserve,
            requested=requested_output(ctx.body) if chat else None,
            choices=ctx.choices,
            prompt_param="messages" if chat else "input",
            output_param=output_param(ctx.body),
        )
        worst = worst_case(ctx.prompt_estimate, output, ctx.candidates, self.factors.of)
        ctx.admission = admission_for(
            tenant.org_id,
            tenant.key_id,
            limits,
            tokens=worst.tokens,
            cost_micro=worst.cost_micro,
            output_tokens=worst.output_tokens,
            output_per_million=worst.output_per_million,
            now=self.clock(),
            budget_reset_day=tenant.budget_reset_day,
        )
        ctx.admitted = result = await self.admission.admit(ctx.admission)
        if not result.admitted:
            raise rejection_error(result)
        if chat:
            ctx.output_cap = result.reserved.output_tokens // ctx.choices

    # -- stages 4-6 -------------------------------------------------------------------------

    async def execute_chat(self, ctx: RequestContext) -> ChatResult:
        """Stage 6: the first candidate that answers, with fallback."""

        async def attempt(candidate: Candidate, adapter: ProviderAdapter) -> ChatResult:
            ctx.chosen = candidate
            request = adapter.chat_request(
                upstream_body(ctx, candidate), candidate.model.id, candidate.api_key, stream=False
            )
            raw = await self.executor.transport.post(request)
            return _parsed(adapter.parse_chat, raw, candidate.provider)

        return await self._execute(ctx, attempt)

    async def answer_chat(self, ctx: RequestContext) -> ChatResult | AsyncIterator[bytes]:
        """Stages 4-6 for an admitted chat completion: the cache, else a provider.

        A JSON answer comes back as a ChatResult; a stream as the client's SSE frames.
        """
        hit = await self._cache_lookup(ctx)
        if hit is not None:
            if ctx.stream:
                return self._replay(ctx, hit)
            return ChatResult(hit.body, ctx.usage, None)
        if ctx.stream:
            return await self.open_stream(ctx)
        result = await self.execute_chat(ctx)
        self._cache_later(ctx, result.body)
        return result

    async def _cache_lookup(self, ctx: RequestContext) -> CacheHit | None:
        """Stage 4: an answer from the tenant's own cache, or None (then a miss or bypass)."""
        request = ctx.cache_request  # prepared while Redis admitted the request
        if self.cache is None or request is None:
            ctx.cache_status = "bypass"
            return None
        hit = await self.cache.lookup(request)
        ctx.cache_similarity = request.similarity
        if hit is None:
            return None
        ctx.cache_status = hit.status
        usage = usage_from(hit.completion.get("usage")) or Usage(ctx.prompt_tokens, 0)
        self.ledger.price_cache_hit(ctx, usage)
        return hit

    async def _replay(self, ctx: RequestContext, hit: CacheHit) -> AsyncIterator[bytes]:
        assert self.cache is not None
        try:
            async for frame in self.cache.replay_stream(hit, ctx.include_usage):
                yield frame
        finally:
            self.ledger.finish_later(ctx)

    def _cache_later(self, ctx: RequestContext, body: bytes | None) -> None:
        """Fill the cache with a complete, successful answer, off the response path."""
        if self.cache is not None and ctx.cache_request is not None and body is not None:
            self._background.spawn(self.cache.store(ctx.cache_request, body, ctx.cost_micro))

    async def execute_embeddings(self, ctx: RequestContext) -> ChatResult:
        encoding = str(ctx.body.get("encoding_format") or "float")

        async def attempt(candidate: Candidate, adapter: ProviderAdapter) -> ChatResult:
            ctx.chosen = candidate
            request = adapter.embeddings_request(ctx.body, candidate.model.id, candidate.api_key)
            raw = await self.executor.transport.post(request)
            parse = partial(adapter.parse_embeddings, encoding_format=encoding)
            return _parsed(parse, raw, candidate.provider)

        return await self._execute(ctx, attempt)

    async def _execute(self, ctx: RequestContext, attempt: Attempt[ChatResult]) -> ChatResult:
        began = time.perf_counter()
        ctx.chosen, result = await self.executor.run(ctx.candidates, ctx.attempts, attempt)
        ctx.upstream_s = time.perf_counter() - began
        self.ledger.price(ctx, result.usage)
        return result

    async def open_stream(self, ctx: RequestContext) -> AsyncIterator[bytes]:
        """Start the upstream stream (with fallback until its first content arrives).

        Errors before that raise as HTTP errors; the iterator returned yields SSE frames
        for the client and settles the request when it ends, however it ends.
        """
        start = await self.executor.start_stream(
            ctx.candidates, ctx.attempts, partial(upstream_body, ctx), ctx.include_usage
        )
        ctx.chosen, ctx.ttfb_ms = start.candidate, start.ttfb_ms
        return self._relay(ctx, start)

    async def _relay(self, ctx: RequestContext, start: StreamStart) -> AsyncIterator[bytes]:
        translator, began = start.translator, start.began
        assembler = StreamAssembler() if ctx.cache_request is not None else None
        chunks = 0
        try:
            for payload in start.buffered:
                chunks += 1
                if assembler is not None:
                    assembler.feed(payload)
                yield b"data: " + payload + b"\n\n"
            async for line in start.lines:
                for payload in translator.feed(line):
                    chunks += 1
                    if assembler is not None:
                        assembler.feed(payload)
                    yield b"data: " + payload + b"\n\n"
            if not translator.finished:
                raise InvalidStreamEnd(
                    f"{ctx.chosen.provider if ctx.chosen else 'upstream'} "
                    "ended the stream before it was complete"
                )
            ctx.upstream_s = time.perf_counter() - began
            self.ledger.price(ctx, translator.usage, _estimated_usage(ctx, chunks))
            if assembler is not None and ctx.usage is not None:
                usage = ctx.usage
                self._cache_later(
                    ctx,
                    assembler.completion(
                        usage={
                            "prompt_tokens": usage.prompt_tokens,
                            "completion_tokens": usage.completion_tokens,
                            "total_tokens": usage.total_tokens,
                        }
                    ),
                )
            yield _cost_comment(ctx)
            yield b"data: [DONE]\n\n"
        except GatewayError as exc:
            self.ledger.price(ctx, translator.usage, _estimated_usage(ctx, chunks))
            self.ledger.mark_failed(ctx, exc)
            yield b"data: " + orjson.dumps(exc.body()) + b"\n\n"
        finally:
            if ctx.usage is None:  # the client went away mid-stream
                self.ledger.price(ctx, None, _estimated_usage(ctx, chunks))
                ctx.status, ctx.error_type = 499, "client_closed"
            self.ledger.finish_later(ctx)

    async def drain(self) -> None:
        """Wait for background settlements and cache fills (on shutdown)."""
        await self._background.drain()


class InvalidStreamEnd(GatewayError):
    status = 502
    type = "upstream_error"
    code = "stream_interrupted"


def upstream_body(ctx: RequestContext, candidate: Candidate) -> dict[str, Any]:
    """The body `candidate` is sent (`gateway.budget.worst_case.capped`)."""
    return capped(ctx.body, ctx.output_cap, candidate.output_tokens)


def _readable(count: Callable[[Any, str], int], value: Any, tokenizer: str) -> int:
    """Count tokens; a shape validation let through but the counter cannot read is a 400."""
    try:
        return count(value, tokenizer)
    except (TypeError, AttributeError, ValueError, KeyError):
        raise InvalidRequest(
            "The request's messages or tools have a shape RouterAI cannot read; check them "
            "against the chat completions reference.",
            param="messages",
        ) from None


def _parsed(parse: Callable[[bytes], ChatResult], raw: bytes, provider: str) -> ChatResult:
    try:
        return parse(raw)
    except (ValueError, TypeError, KeyError, AttributeError):  # orjson's errors are ValueErrors
        raise UpstreamError(
            f"{provider} returned a response RouterAI could not read",
            code="upstream_invalid_response",
        ) from None


def _estimated_usage(ctx: RequestContext, chunks: int) -> Usage:
    """Without the upstream's usage chunk, each content chunk counts as one token."""
    return Usage(ctx.prompt_tokens, chunks)


def _cost_comment(ctx: RequestContext) -> bytes:
    return f": x-routerai-cost-usd {ctx.cost_micro / 1_000_000:.6f}\n\n".encode()
