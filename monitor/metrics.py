"""Counters, gauges and histograms in Prometheus text format, with no dependency.

Pure: nothing here reads a clock or does IO. The edges increment the metrics below; the dashboard's
`/metrics` route and the status file render them. Every metric is safe to update from any thread
(paho-mqtt calls back from its own).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Sequence

LabelValues = tuple[str, ...]

DEFAULT_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    return str(int(value)) if value == int(value) and abs(value) < 2**53 else repr(value)


def _labels(names: Sequence[str], values: Sequence[str], extra: str = "") -> str:
    parts = [f'{n}="{_escape(v)}"' for n, v in zip(names, values, strict=True)]
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}" if parts else ""


class _Metric:
    kind = ""

    def __init__(self, name: str, help_text: str, labelnames: Sequence[str] = ()) -> None:
        self.name = name
        self.help = help_text
        self.labelnames = tuple(labelnames)
        self._lock = threading.Lock()

    def _key(self, labels: dict[str, str]) -> LabelValues:
        if set(labels) != set(self.labelnames):
            raise ValueError(f"{self.name} takes labels {self.labelnames}, got {tuple(sorted(labels))}")
        return tuple(str(labels[n]) for n in self.labelnames)

    def header(self) -> list[str]:
        return [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} {self.kind}"]

    def samples(self) -> list[str]:
        raise NotImplementedError


class Counter(_Metric):
    """Only goes up; resets when the process restarts (Prometheus' rate() copes with that)."""

    kind = "counter"

    def __init__(self, name: str, help_text: str, labelnames: Sequence[str] = ()) -> None:
        super().__init__(name, help_text, labelnames)
        self._values: dict[LabelValues, float] = {}

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        if amount < 0:
            raise ValueError(f"{self.name}: a counter cannot go down ({amount})")
        key = self._key(labels)
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount

    def value(self, **labels: str) -> float:
        with self._lock:
            return self._values.get(self._key(labels), 0.0)

    def items(self) -> list[tuple[LabelValues, float]]:
        with self._lock:
            return sorted(self._values.items())

    def samples(self) -> list[str]:
        return [f"{self.name}{_labels(self.labelnames, k)} {_number(v)}" for k, v in self.items()]


class Gauge(Counter):
    """A value that goes up and down (a connection state, a queue depth)."""

    kind = "gauge"

    def set(self, value: float, **labels: str) -> None:
        key = self._key(labels)
        with self._lock:
            self._values[key] = float(value)

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        key = self._key(labels)
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount

    def dec(self, amount: float = 1.0, **labels: str) -> None:
        self.inc(-amount, **labels)


class Histogram(_Metric):
    kind = "histogram"

    def __init__(self, name: str, help_text: str, labelnames: Sequence[str] = (),
                 buckets: Iterable[float] = DEFAULT_BUCKETS) -> None:
        super().__init__(name, help_text, labelnames)
        self.buckets = tuple(sorted(buckets))
        # Per label set: a count per bucket (not cumulative), the overflow count, the sum.
        self._data: dict[LabelValues, tuple[list[int], list[float]]] = {}

    def observe(self, value: float, **labels: str) -> None:
        key = self._key(labels)
        with self._lock:
            counts, total = self._data.setdefault(key, ([0] * (len(self.buckets) + 1), [0.0]))
            index = next((i for i, b in enumerate(self.buckets) if value <= b), len(self.buckets))
            counts[index] += 1
            total[0] += value

    def count(self, **labels: str) -> int:
        with self._lock:
            data = self._data.get(self._key(labels))
            return sum(data[0]) if data else 0

    def sum(self, **labels: str) -> float:
        with self._lock:
            data = self._data.get(self._key(labels))
            return data[1][0] if data else 0.0

    def samples(self) -> list[str]:
        with self._lock:
            data = sorted((k, (list(c), s[0])) for k, (c, s) in self._data.items())
        lines: list[str] = []
        for key, (counts, total) in data:
            running = 0
            for bound, count in zip((*self.buckets, math.inf), counts, strict=True):
                running += count
                le = f'le="{_number(bound)}"'
                lines.append(f"{self.name}_bucket{_labels(self.labelnames, key, le)} {running}")
            lines.append(f"{self.name}_sum{_labels(self.labelnames, key)} {_number(total)}")
            lines.append(f"{self.name}_count{_labels(self.labelnames, key)} {running}")
        return lines


class Registry:
    def __init__(self) -> None:
        self._metrics: dict[str, _Metric] = {}
        self._lock = threading.Lock()

    def _add(self, metric: _Metric) -> None:
        with self._lock:
            if metric.name in self._metrics:
                raise ValueError(f"metric {metric.name} is already registered")
            self._metrics[metric.name] = metric

    def counter(self, name: str, help_text: str, labelnames: Sequence[str] = ()) -> Counter:
        metric = Counter(name, help_text, labelnames)
        self._add(metric)
        return metric

    def gauge(self, name: str, help_text: str, labelnames: Sequence[str] = ()) -> Gauge:
        metric = Gauge(name, help_text, labelnames)
        self._add(metric)
        return metric

    def histogram(self, name: str, help_text: str, labelnames: Sequence[str] = (),
                  buckets: Iterable[float] = DEFAULT_BUCKETS) -> Histogram:
        metric = Histogram(name, help_text, labelnames, buckets)
        self._add(metric)
        return metric

    def render(self) -> str:
        """The exposition text (format 0.0.4) of every registered metric."""
        with self._lock:
            metrics = list(self._metrics.values())
        lines: list[str] = []
        for metric in metrics:
            lines += metric.header()
            lines += metric.samples()
        return "\n".join(lines) + "\n"


CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# The process's registry and sitmon's metrics. Edges import and update these; names follow
# Prometheus conventions (base units, _total for counters).
REGISTRY = Registry()

DAEMON_RUNNING = REGISTRY.gauge("sitmon_daemon_running", "1 while the daemon runs in this process.")
SAMPLES = REGISTRY.counter("sitmon_samples_total", "Accelerometer samples received, per sensor.", ("sensor",))
SENSOR_CONNECTED = REGISTRY.gauge("sitmon_sensor_connected", "1 while the sensor is connected.", ("sensor",))
SENSOR_RECONNECTS = REGISTRY.counter("sitmon_sensor_reconnects_total", "Sensor reconnections.", ("sensor",))
DECODE_ERRORS = REGISTRY.counter("sitmon_decode_errors_total", "Sensor packets that could not be decoded.",
                                 ("sensor",))
CLASSIFIED_SECONDS = REGISTRY.counter("sitmon_classified_seconds_total", "Seconds classified, per activity.",
                                      ("activity",))
CURRENT_ACTIVITY = REGISTRY.gauge("sitmon_current_activity", "1 for the wearer's current activity, else 0.",
                                  ("activity",))
PROMPTS = REGISTRY.counter("sitmon_prompts_total", "Move prompts, per outcome.", ("outcome",))
MQTT_CONNECTED = REGISTRY.gauge("sitmon_mqtt_connected", "1 while connected to the MQTT broker.")
MQTT_RECONNECTS = REGISTRY.counter("sitmon_mqtt_reconnects_total", "Connections to the MQTT broker after a loss.")
OUTBOX_DEPTH = REGISTRY.gauge("sitmon_outbox_depth", "MQTT messages waiting in the outbox.")
OUTBOX_DROPS = REGISTRY.counter("sitmon_outbox_dropped_total", "MQTT messages dropped from a full outbox.")
STORE_WRITE_SECONDS = REGISTRY.histogram("sitmon_store_write_seconds", "Time to commit one step to the store.")
STORE_ERRORS = REGISTRY.counter("sitmon_store_errors_total", "Store writes that failed, per kind.", ("kind",))
STORE_PENDING = REGISTRY.gauge("sitmon_store_pending_steps", "Steps held in memory until the store takes them.")


def count_classified(activities: Iterable[str], current: str) -> None:
    """Count a step's classified seconds and mark the wearer's current activity."""
    for activity in activities:
        CLASSIFIED_SECONDS.inc(activity=activity)
    for activity in ("sit", "stand", "move", "lie", "unknown"):
        CURRENT_ACTIVITY.set(1 if activity == current else 0, activity=activity)


def count_event(event_type: str, data: dict[str, object]) -> None:
    """Prompts by outcome: `issued` when one goes out, then whatever its outcome event says."""
    if event_type == "prompt":
        PROMPTS.inc(outcome="issued")
    elif event_type == "prompt_outcome":
        PROMPTS.inc(outcome=str(data.get("outcome", "unknown")))
