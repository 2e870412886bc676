"""Load test of the fleet: N emulated wearers over M gateways, a private Mosquitto, K central workers
(separate processes) and PostgreSQL, all on loopback, bounded in time.

    .venv/bin/python bench/fleet_load.py --wearers 10 100 1000 --workers 1 2 --seconds 30

For every (N, K): the gateways publish each wearer's raw thigh samples (25 Hz, one batch per wearer per
second, in real time) for `--seconds`; then the gateways drain, the workers finish the backlog, and the
bench compares what PostgreSQL holds with what one uninterrupted pipeline per wearer says about the same
samples. Reported per run: offered and sustained samples/s (processed during the window), CPU (% of one
core) and resident memory per central worker, p50/p99 latency from a batch leaving its gateway to the
prompt it caused being stored and published, events lost and duplicated (must be 0), and the backlog
left at the end of the window (how far behind real time the workers fell: where it saturates).

Prompts come after 15 s of sitting (repeat every 15 s) so that a short run has plenty of them; the
posture classifier still holds each second back 5 s of data to smooth it, which is not counted in the
latency (it is data time, not processing time). Needs `mosquitto` on PATH and PostgreSQL (`--postgres`).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402

from monitor.adapters.store import Store  # noqa: E402
from monitor.config import MqttSettings, Settings  # noqa: E402
from monitor.daemon import prompt_rules_from, rules_from  # noqa: E402
from monitor.fleet.buffer import BufferedSender, DiskBuffer  # noqa: E402
from monitor.fleet.central import CentralWorker  # noqa: E402
from monitor.fleet.gateway import Gateway, WearerStream  # noqa: E402
from monitor.fleet.schema import fleet_inbox, fleet_streams  # noqa: E402
from monitor.fleet.settings import FleetSettings  # noqa: E402
from monitor.fleet.wire import MILLI_G  # noqa: E402
from monitor.model import Activity, Placement, SampleBlock  # noqa: E402
from monitor.pipeline import Pipeline  # noqa: E402
from monitor.schema import events  # noqa: E402
from monitor.scripted_day import Segment, ThighMotion  # noqa: E402

RATE = 25.0
BROKER_CONF = ("listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nuser root\n"
               "max_inflight_messages 1000\nmax_queued_messages 10000000\nlog_dest none\n")
TICKS = os.sysconf("SC_CLK_TCK")


def settings_for(port: int, base: str, url: str) -> Settings:
    return Settings.model_validate({
        "wearer": {"timezone": "UTC"},
        "tracker": {"prompt_after_minutes": 0.25, "repeat_minutes": 0.25},
        "mqtt": {"port": port, "base_topic": base, "protocol": "5"},
        "store": {"url": url},
    })


# --- a central worker process ----------------------------------------------------------------------
def worker_main(args: argparse.Namespace) -> int:
    settings = settings_for(args.port, args.base, args.url)
    store = Store.open(args.url)
    worker = CentralWorker(settings, FleetSettings(partitions=64, rebalance_seconds=0.5), store, args.id)
    worker.start()
    print("ready", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    worker.stop()
    s = worker.stats
    Path(args.stats).write_text(json.dumps({
        "samples": s.samples_processed, "batches": s.batches_processed, "received": s.batches_received,
        "events": s.events_stored, "latencies": s.prompt_latencies}))
    store.close()
    return 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def script(k: int) -> list[Segment]:
    """Each wearer's own loop: a first sit of 10-39 s (so prompts spread over the run), then breaks."""
    return [Segment(Activity.SIT, 10.0 + k % 30), Segment(Activity.MOVE, 70.0), Segment(Activity.SIT, 40.0),
            Segment(Activity.STAND, 10.0)]


def proc_cpu_rss(pid: int) -> tuple[float, float]:
    """(CPU seconds so far, resident MiB) of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / TICKS
    rss = next(int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
               if line.startswith("VmRSS:")) / 1024
    return cpu, rss


def expected_ids(settings: Settings, stream: WearerStream, until: float) -> list[str]:
    block = stream.motion.samples(stream.motion.start, until)
    xyz = np.rint(block.xyz * MILLI_G) / MILLI_G
    pipeline = Pipeline(stream.wearer, Placement.THIGH, rules_from(settings), prompt_rules_from(settings))
    return [e.id for e in pipeline.push(SampleBlock(block.t, xyz)).events]


# --- one run -----------------------------------------------------------------------------------------
def run(wearers: int, workers: int, gateways: int, seconds: float, server: str, tmp: Path) -> dict[str, Any]:
    port = free_port()
    (tmp / "mosquitto.conf").write_text(BROKER_CONF.format(port=port))
    broker = subprocess.Popen(["mosquitto", "-c", str(tmp / "mosquitto.conf")], stderr=subprocess.DEVNULL)
    schema = f"sitmon_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{server}?options=-csearch_path%3D{schema}"
    base = f"bench-{uuid.uuid4().hex[:8]}"
    procs: list[subprocess.Popen[str]] = []
    senders: list[BufferedSender] = []
    try:
        Store.open(url).close()
        for i in range(workers):
            proc = subprocess.Popen([sys.executable, __file__, "--worker", "--url", url, "--port", str(port),
                                     "--base", base, "--id", f"w{i}", "--stats", str(tmp / f"w{i}.json")],
                                    stdout=subprocess.PIPE, text=True)
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
            procs.append(proc)
        engine = create_engine(url)
        time.sleep(1.5)  # let the workers settle their partitions before the clock starts (setup, not a wait)
        t0 = float(int(time.time()))
        streams = [WearerStream(f"w-{k:04d}", ThighMotion(script(k), t0, RATE, seed=k))
                   for k in range(wearers)]
        gws = []
        for g in range(gateways):
            buffer = DiskBuffer(tmp / f"gw{g}.sqlite3")
            sender = BufferedSender(buffer, MqttSettings(port=port), f"bench-gw{g}-{base}")
            sender.start()
            senders.append(sender)
            gws.append(Gateway(f"gw{g}", base, buffer, sender, wall=time.time))
        before = {p.pid: proc_cpu_rss(p.pid) for p in procs}
        start_wall = time.time()
        sent_until = t0
        for tick in range(1, int(seconds) + 1):
            target = start_wall + tick
            time.sleep(max(0.0, target - time.time()))  # the load's real-time pacing, not a wait for a result
            now = t0 + tick
            for k, stream in enumerate(streams):
                gws[k % gateways].forward(stream, sent_until, now)
            sent_until = now
        window = time.time() - start_wall
        with engine.connect() as conn:
            processed = conn.execute(select(func.coalesce(func.sum(fleet_streams.c.next_seq), 0))).scalar_one()
        after = {p.pid: proc_cpu_rss(p.pid) for p in procs}
        offered = sum(s.seq_at(sent_until) for s in streams)
        backlog = offered - int(processed)
        for sender in senders:
            sender.wait_empty(600)
        final = {s.wearer: s.seq_at(sent_until) for s in streams}
        drain_start = time.time()
        while time.time() - drain_start < 900:
            with engine.connect() as conn:
                seqs = dict(conn.execute(select(fleet_streams.c.wearer, fleet_streams.c.next_seq)).all())
                inbox = conn.execute(select(func.count()).select_from(fleet_inbox)).scalar_one()
            if inbox == 0 and all(seqs.get(w) == n for w, n in final.items()):
                break
            time.sleep(0.5)  # the bench polls the database; the tests use the workers' conditions
        drain = time.time() - drain_start
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
            proc.wait(120)
        stats = [json.loads((tmp / f"w{i}.json").read_text()) for i in range(workers)]
        settings = settings_for(port, base, url)
        with engine.connect() as conn:
            stored = [row[0] for row in conn.execute(select(events.c.id))]
        expected = {i for s in streams for i in expected_ids(settings, s, sent_until)}
        latencies = sorted(x for s in stats for x in s["latencies"])
        engine.dispose()
        return {
            "wearers": wearers, "workers": workers, "gateways": gateways, "seconds": round(window, 1),
            "offered_sps": round(offered / window), "sustained_sps": round(int(processed) / window),
            "backlog_samples": backlog, "drain_s": round(drain, 1),
            "cpu_pct": [round(100 * (after[p.pid][0] - before[p.pid][0]) / window) for p in procs],
            "rss_mib": [round(after[p.pid][1]) for p in procs],
            "prompts": len(latencies),
            "p50_ms": round(1000 * latencies[len(latencies) // 2]) if latencies else None,
            "p99_ms": round(1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))])
            if latencies else None,
            "events": len(stored), "lost": len(expected - set(stored)), "duplicated": len(stored) - len(set(stored)),
            "unexpected": len(set(stored) - expected),
        }
    finally:
        for sender in senders:
            sender.stop()
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        broker.terminate()
        broker.wait()
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wearers", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--gateways", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    for name in ("--url", "--base", "--id", "--stats"):
        parser.add_argument(name, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker_main(args)
    import tempfile
    rows = []
    header = (f"{'N':>5} {'K':>2} {'offered/s':>10} {'sustained/s':>11} {'backlog':>8} {'drain s':>7} "
              f"{'CPU % per worker':>17} {'RSS MiB':>10} {'prompts':>7} {'p50 ms':>7} {'p99 ms':>7} "
              f"{'events':>7} {'lost':>4} {'dup':>3}")
    print(header, flush=True)
    for n in args.wearers:
        for k in args.workers:
            with tempfile.TemporaryDirectory() as tmp:
                r = run(n, k, args.gateways, args.seconds, args.postgres, Path(tmp))
            rows.append(r)
            print(f"{r['wearers']:>5} {r['workers']:>2} {r['offered_sps']:>10} {r['sustained_sps']:>11} "
                  f"{r['backlog_samples']:>8} {r['drain_s']:>7} {'/'.join(map(str, r['cpu_pct'])):>17} "
                  f"{'/'.join(map(str, r['rss_mib'])):>10} {r['prompts']:>7} {r['p50_ms']!s:>7} "
                  f"{r['p99_ms']!s:>7} {r['events']:>7} {r['lost']:>4} {r['duplicated']:>3}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
