"""Prometheus metrics of one gateway process, rendered as the text exposition format.

Labels are provider, model, status and rejection reason: never a tenant's key
or anything secret. Counting is a dict update, cheap enough for the hot path.
With several worker processes each exposes its own series; scrape each process
(or sum them) as with any multi-process Python server.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Sequence

from gateway.health.processes import ProcessStatus

LATENCY_BUCKETS_S = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
)

Labels = tuple[tuple[str, str], ...]


class Histogram:
    __slots__ = ("counts", "sum", "total")

    def __init__(self) -> None:
        self.counts = [0] * (len(LATENCY_BUCKETS_S) + 1)
        self.sum = 0.0
        self.total = 0

    def observe(self, value: float) -> None:
        self.counts[bisect_left(LATENCY_BUCKETS_S, value)] += 1
        self.sum += value
        self.total += 1


class Metrics:
    """Counters and histograms keyed by label tuples."""

    def __init__(self) -> None:
        self.counters: dict[str, dict[Labels, float]] = defaultdict(lambda: defaultdict(float))
        self.histograms: dict[str, dict[Labels, Histogram]] = defaultdict(
            lambda: defaultdict(Histogram)
        )

    def request(
        self,
        *,
        endpoint: str,
        provider: str,
        model: str,
        status: int,
        latency_s: float,
        upstream_s: float | None,
        prompt_tokens: int,
        completion_tokens: int,
        cost_micro: int,
        cache: str,
    ) -> None:
        labels = (
            ("endpoint", endpoint),
            ("provider", provider),
            ("model", model),
            ("status", str(status)),
        )
        self.counters["routerai_requests_total"][(*labels, ("cache", cache))] += 1
        self.histograms["routerai_request_duration_seconds"][labels].observe(latency_s)
        if upstream_s is not None:
            upstream = labels[1:3]
            self.histograms["routerai_upstream_duration_seconds"][upstream].observe(upstream_s)
        model_labels = labels[1:3]
        tokens = self.counters["routerai_tokens_total"]
        tokens[(*model_labels, ("kind", "prompt"))] += prompt_tokens
        tokens[(*model_labels, ("kind", "completion"))] += completion_tokens
        self.counters["routerai_cost_usd_total"][model_labels] += cost_micro / 1_000_000

    def rejection(self, reason: str) -> None:
        self.counters["routerai_rejections_total"][(("reason", reason),)] += 1

    def render(self) -> str:
        lines: list[str] = []
        for name, series in sorted(self.counters.items()):
            lines.append(f"# TYPE {name} counter")
            lines.extend(f"{name}{_labels(k)} {_number(v)}" for k, v in series.items())
        for name, hists in sorted(self.histograms.items()):
            lines.append(f"# TYPE {name} histogram")
            for labels, hist in hists.items():
                lines.extend(_histogram_lines(name, labels, hist))
        return "\n".join(lines) + "\n"


def process_lines(statuses: Sequence[ProcessStatus], now_ms: int) -> str:
    """The supervised processes (`gateway.health.processes`): up or not, and restarts."""
    if not statuses:
        return ""
    labels = [(("host", status.host), ("process", status.name)) for status in statuses]
    lines = ["# TYPE routerai_process_up gauge"]
    lines += [
        f"routerai_process_up{_labels(label)} {int(status.up(now_ms))}"
        for status, label in zip(statuses, labels, strict=True)
    ]
    lines.append("# TYPE routerai_process_restarts_total counter")
    lines += [
        f"routerai_process_restarts_total{_labels(label)} {status.restarts}"
        for status, label in zip(statuses, labels, strict=True)
    ]
    return "\n".join(lines) + "\n"


def _histogram_lines(name: str, labels: Labels, hist: Histogram) -> list[str]:
    lines = []
    cumulative = 0
    for bound, count in zip((*LATENCY_BUCKETS_S, "+Inf"), hist.counts, strict=True):
        cumulative += count
        lines.append(f"{name}_bucket{_labels((*labels, ('le', str(bound))))} {cumulative}")
    lines.append(f"{name}_sum{_labels(labels)} {hist.sum:.6f}")
    lines.append(f"{name}_count{_labels(labels)} {hist.total}")
    return lines


def _labels(labels: Labels) -> str:
    if not labels:
        return ""
    escaped = (f'{k}="{_escape(v)}"' for k, v in labels)
    return "{" + ",".join(escaped) + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.6f}"
