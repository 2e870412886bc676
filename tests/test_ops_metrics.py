"""The metrics registry renders valid Prometheus text and counts from any thread."""

from __future__ import annotations

import threading

import pytest

from monitor import metrics as module


def test_render_counter_gauge_histogram_in_exposition_format():
    registry = module.Registry()
    samples = registry.counter("x_samples_total", "Samples.", ("sensor",))
    depth = registry.gauge("x_depth", "Depth.")
    latency = registry.histogram("x_seconds", "Latency.", buckets=(0.01, 0.1))
    samples.inc(50, sensor="thigh")
    samples.inc(sensor='we"ird\\')
    depth.set(3)
    depth.dec()
    for value in (0.005, 0.05, 0.5):
        latency.observe(value)

    text = registry.render()

    assert text.endswith("\n")
    assert "# TYPE x_samples_total counter" in text
    assert 'x_samples_total{sensor="thigh"} 50' in text
    assert 'x_samples_total{sensor="we\\"ird\\\\"} 1' in text
    assert "# TYPE x_depth gauge\nx_depth 2" in text
    assert 'x_seconds_bucket{le="0.01"} 1' in text
    assert 'x_seconds_bucket{le="0.1"} 2' in text
    assert 'x_seconds_bucket{le="+Inf"} 3' in text
    assert "x_seconds_count 3" in text
    assert latency.sum() == pytest.approx(0.555)


def test_counter_with_wrong_labels_or_negative_amount_is_refused():
    registry = module.Registry()
    counter = registry.counter("y_total", "Y.", ("outcome",))
    with pytest.raises(ValueError, match="takes labels"):
        counter.inc(sensor="a")
    with pytest.raises(ValueError, match="cannot go down"):
        counter.inc(-1, outcome="issued")
    with pytest.raises(ValueError, match="already registered"):
        registry.gauge("y_total", "again")


def test_counter_increments_from_many_threads_are_all_counted():
    counter = module.Registry().counter("z_total", "Z.")

    def work() -> None:
        for _ in range(10_000):
            counter.inc()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counter.value() == 40_000


def test_sitmon_registry_holds_every_metric_the_operations_doc_names():
    text = module.REGISTRY.render()
    for name in ("sitmon_samples_total", "sitmon_sensor_connected", "sitmon_sensor_reconnects_total",
                 "sitmon_decode_errors_total", "sitmon_classified_seconds_total", "sitmon_prompts_total",
                 "sitmon_outbox_depth", "sitmon_outbox_dropped_total", "sitmon_store_write_seconds",
                 "sitmon_mqtt_connected"):
        assert f"# TYPE {name} " in text
