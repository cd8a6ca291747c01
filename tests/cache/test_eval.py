"""The semantic tier measured on a labelled set of prompt pairs written for RouterAI.

`data/semantic_pairs.tsv`: each row is a stored prompt and a later query, labelled
`paraphrase` (the stored answer is right for the query) or the kind of one-detail change
that makes it wrong (number, unit, name, quote, negation, direction, opposite), or a
`different` / `unrelated` question. A pair is served when the query's similarity to the
stored prompt reaches the threshold and verification accepts it. Rows of set `dev` were
written before the verifier and used while building it; rows of set `heldout` were
written after it was frozen and left it unchanged.

Run with `-s` to see the report: precision and recall at the default threshold, what each
check rejected, and plain MiniLM thresholds for reference.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from gateway.cache import MiniLMEmbedder
from gateway.cache.verify import details, verify
from gateway.tenancy.context import TenantContext

PAIRS = Path(__file__).parent / "data" / "semantic_pairs.tsv"
DEFAULT_THRESHOLD = TenantContext.__dataclass_fields__["cache_threshold"].default


def load_pairs(subset: str | None = None) -> list[tuple[str, str, str]]:
    with PAIRS.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [(k, stored, query) for k, stored, query, part in rows[1:] if subset in (None, part)]


@pytest.fixture(scope="module")
def measured(minilm: MiniLMEmbedder) -> tuple[list[tuple[str, str, str]], np.ndarray, list]:
    pairs = load_pairs()
    stored = minilm.embed_sync([p[1] for p in pairs])
    queries = minilm.embed_sync([p[2] for p in pairs])
    similarity = (stored * queries).sum(axis=1)
    verdicts = [verify(details(s), details(q)) for _, s, q in pairs]
    return pairs, similarity, verdicts


def precision_recall(positive: np.ndarray, served: np.ndarray) -> tuple[float, float]:
    true = int((served & positive).sum())
    return true / max(1, int(served.sum())), true / int(positive.sum())


def test_the_set_is_large_and_covers_every_kind() -> None:
    kinds = Counter(kind for kind, _, _ in load_pairs())
    assert sum(kinds.values()) >= 150
    assert kinds["paraphrase"] >= 60
    for kind in ("number", "unit", "name", "quote", "negation", "direction", "unrelated"):
        assert kinds[kind] >= 10, kind


def test_precision_and_recall_at_the_default_threshold(measured) -> None:  # type: ignore[no-untyped-def]
    pairs, similarity, verdicts = measured
    positive = np.array([kind == "paraphrase" for kind, _, _ in pairs])
    accepted = np.array([v.ok for v in verdicts])
    served = (similarity >= DEFAULT_THRESHOLD) & accepted
    precision, recall = precision_recall(positive, served)

    print(f"\nsemantic tier at threshold {DEFAULT_THRESHOLD}: {len(pairs)} pairs")
    print(f"  precision {precision:.3f}  recall on paraphrases {recall:.3f}")
    held_out = len(load_pairs("heldout"))
    tail = slice(len(pairs) - held_out, None)
    p, r = precision_recall(positive[tail], served[tail])
    print(f"  of which held out ({held_out} pairs): precision {p:.3f}  recall {r:.3f}")
    rejected = Counter(v.reason for v in verdicts if not v.ok)
    print("  rejections by check:", dict(rejected.most_common()))
    for kind in sorted({k for k, _, _ in pairs}):
        mask = np.array([k == kind for k, _, _ in pairs])
        print(f"  {kind:<11} served {int(served[mask].sum()):>3} of {int(mask.sum())}")
    print("  plain MiniLM (no verification), for reference:")
    for threshold in (0.80, 0.85, 0.90, 0.92, 0.95, 0.98):
        p, r = precision_recall(positive, similarity >= threshold)
        print(f"    threshold {threshold:.2f}: precision {p:.3f} recall {r:.3f}")

    assert precision >= 0.97
    assert recall >= 0.50


def test_verification_is_what_makes_the_difference(measured) -> None:  # type: ignore[no-untyped-def]
    pairs, similarity, _ = measured
    positive = np.array([kind == "paraphrase" for kind, _, _ in pairs])
    best_plain = max(
        precision_recall(positive, similarity >= t)[0] for t in np.arange(0.80, 0.99, 0.01)
    )
    assert best_plain < 0.97  # the one-detail pairs defeat any plain threshold
