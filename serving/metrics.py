"""Prometheus metrics: requests, latency, errors and the loaded model version."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class ServiceMetrics:
    """One registry per app, so several apps (tests) do not collide."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "decarb_requests_total", "HTTP requests", ["route", "method", "status"],
            registry=self.registry,
        )  # fmt: skip
        self.latency = Histogram(
            "decarb_request_seconds", "Request latency", ["route"], registry=self.registry,
            buckets=(0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )  # fmt: skip
        self.errors = Counter(
            "decarb_errors_total", "Error responses", ["route", "status"], registry=self.registry
        )
        self.model_version = Gauge(
            "decarb_model_version", "Loaded model version (0 = none)", registry=self.registry
        )
        self.input_warnings = Counter(
            "decarb_input_warnings_total", "Inputs outside the training data, per code and field",
            ["code", "field"], registry=self.registry,
        )  # fmt: skip
        self.reloads = Counter(
            "decarb_model_reloads_total",
            "Model reload attempts",
            ["outcome"],
            registry=self.registry,
        )
