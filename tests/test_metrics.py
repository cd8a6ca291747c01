"""Prometheus text exposition of the gateway's metrics."""

from __future__ import annotations

from gateway.metrics import Metrics


def test_requests_latency_tokens_cost_and_rejections_are_exposed() -> None:
    metrics = Metrics()
    for latency in (0.003, 0.2):
        metrics.request(
            endpoint="chat",
            provider="groq",
            model="llama",
            status=200,
            latency_s=latency,
            upstream_s=latency / 2,
            prompt_tokens=10,
            completion_tokens=5,
            cost_micro=1_500,
            cache="miss",
        )
    metrics.rejection("rate_limit_exceeded")
    text = metrics.render()
    labels = 'endpoint="chat",provider="groq",model="llama",status="200"'
    assert f'routerai_requests_total{{{labels},cache="miss"}} 2' in text
    assert f'routerai_request_duration_seconds_bucket{{{labels},le="0.005"}} 1' in text
    assert f'routerai_request_duration_seconds_bucket{{{labels},le="+Inf"}} 2' in text
    assert f"routerai_request_duration_seconds_count{{{labels}}} 2" in text
    assert 'routerai_upstream_duration_seconds_count{provider="groq",model="llama"} 2' in text
    assert 'routerai_tokens_total{provider="groq",model="llama",kind="prompt"} 20' in text
    assert 'routerai_cost_usd_total{provider="groq",model="llama"} 0.003000' in text
    assert 'routerai_rejections_total{reason="rate_limit_exceeded"} 1' in text


def test_label_values_are_escaped() -> None:
    metrics = Metrics()
    metrics.rejection('bad"\nreason')
    assert 'reason="bad\\"\\nreason"' in metrics.render()
