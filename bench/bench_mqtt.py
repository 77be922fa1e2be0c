"""Messaging speed on loopback: outbox throughput and commit-to-handheld latency through a real mosquitto.

1. Throughput: N password messages (the real payload: cabinet, box, tracking, password, QR) are committed to
   the outbox in one transaction, the link is notified, and the clock runs until the link has marked every
   row sent after its PUBACK (``stats["sent"] == N``: the mark_sent transactions committed, synchronous=FULL).
   A subscriber counts what arrived.
2. Latency: M messages committed one at a time (each its own transaction, like a deposit), a few ms apart,
   ``notify()`` after each, as the kiosk does; a subscriber timestamps each arrival. Latency = arrival − the
   moment the commit returned. Median and p99.

Each run uses a fresh database and a fresh mosquitto (tests.broker.Broker) on a free port; the medians over
the runs are printed. The database lives in the temp directory (say which filesystem when quoting numbers:
fsync on tmpfs is free).

Run: ``python bench/bench_mqtt.py [--messages 2000] [--latency 300] [--runs 5] [--batch 50] [--json]``
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jsonout  # noqa: E402  (bench/ is on sys.path when run as a script)
import paho.mqtt.client as mqtt  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion  # noqa: E402

from kiosk import audit, config, outbox, passwords  # noqa: E402
from kiosk.keys import Keyring  # noqa: E402
from kiosk.mqtt_link import MqttLink  # noqa: E402
from kiosk.store import Store  # noqa: E402
from tests.broker import MOSQUITTO, Broker  # noqa: E402


class Arrivals:
    def __init__(self, port: int, topic: str) -> None:
        self.times: dict[str, float] = {}
        self.count = 0
        self._subscribed = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=MQTTProtocolVersion.MQTTv5)
        self.client.on_message = self._message
        self.client.on_subscribe = lambda *_: self._subscribed.set()
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        self.client.subscribe(topic, qos=1)
        if not self._subscribed.wait(5):
            raise RuntimeError("no SUBACK from the broker")

    def _message(self, _c, _u, msg) -> None:
        t = time.time()
        self.times.setdefault(json.loads(msg.payload)["msg_id"], t)
        self.count += 1

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def enqueue(store: Store, keys: Keyring, cfg: config.Config, event_id: int, n: int, i0: int) -> list[str]:
    ids = []
    with store.transaction() as c:
        for i in range(i0, i0 + n):
            code = f"{i % 1_000_000:06d}"
            body = {"cabinet": {"id": cfg.cabinet_id, "site": cfg.site, "address": cfg.address, "lat": cfg.lat,
                                "lon": cfg.lon}, "box": "A01", "tracking": f"SF{i:010d}", "password": code,
                    "expires": time.time() + 72 * 3600, "reason": "deposit",
                    "qr": passwords.qr_payload(cfg.cabinet_id, "A01", code)}
            ids.append(outbox.enqueue(c, keys, now=time.time(), kind="password",
                                      topic=outbox.courier_topic(cfg.cabinet_id, "C1001"), courier_no="C1001",
                                      payload=body, event_id=event_id))
    return ids


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.001)


def one_run(work: Path, n: int, m: int, batch: int) -> dict[str, float]:
    broker = Broker(work)
    broker.start()
    base = config.load(config.default_config_path())
    cfg = dataclasses.replace(base, data_dir=work / "data", secret_file=work / "data" / "cabinet.key",
                              mqtt=config.MqttConfig(host="127.0.0.1", port=broker.port))
    store = Store(cfg.db_path)
    keys = Keyring.load_or_create(cfg.secret_file)
    with store.transaction() as c:
        event_id = audit.append(c, time.time(), "bench", "bench")
    arrivals = Arrivals(broker.port, f"lockers/{cfg.cabinet_id}/courier/#")
    link = MqttLink(cfg, cfg.db_path, keys, on_command=None, batch=batch)
    link.start()
    try:
        wait_until(lambda: link.connected, 5, "the link to connect")
        wait_until(lambda: link.stats["events"] >= 1, 5, "the first event")
        # 1. throughput
        enqueue(store, keys, cfg, event_id, n, 0)
        t0 = time.perf_counter()
        link.notify()
        wait_until(lambda: link.stats["sent"] >= n, 120, "every row to be marked sent")
        elapsed = time.perf_counter() - t0
        wait_until(lambda: arrivals.count >= n, 10, "every message to arrive")
        delivered = len(arrivals.times)
        # 2. latency
        committed: dict[str, float] = {}
        for i in range(m):
            (msg_id,) = enqueue(store, keys, cfg, event_id, 1, n + i)
            committed[msg_id] = time.time()
            link.notify()
            time.sleep(0.005)
        wait_until(lambda: all(k in arrivals.times for k in committed), 10, "the latency messages")
        lat = sorted((arrivals.times[k] - t) * 1000 for k, t in committed.items())
        return {"msgs_per_s": n / elapsed, "delivered": delivered, "lat_median_ms": statistics.median(lat),
                "lat_p99_ms": lat[min(len(lat) - 1, int(0.99 * len(lat)))], "lat_max_ms": lat[-1]}
    finally:
        link.stop()
        arrivals.close()
        store.close()
        broker.stop()


def filesystem(path: str) -> str:
    try:
        return subprocess.run(["stat", "-f", "-c", "%T", path], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=2000)
    ap.add_argument("--latency", type=int, default=300)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--json", action="store_true", help="also print one JSON line per figure (bench/run_all)")
    a = ap.parse_args()
    jsonout.ENABLED = a.json
    if MOSQUITTO is None:
        sys.exit("mosquitto is not installed (apt install mosquitto)")
    tmp = tempfile.gettempdir()
    print(f"mosquitto {MOSQUITTO}, database in {tmp} ({filesystem(tmp)}), {os.cpu_count()} CPUs, "
          f"batch {a.batch}")
    results = []
    for r in range(a.runs):
        with tempfile.TemporaryDirectory() as d:
            res = one_run(Path(d), a.messages, a.latency, a.batch)
        results.append(res)
        print(f"run {r + 1}: {res['msgs_per_s']:7.0f} msg/s ({res['delivered']}/{a.messages} delivered), "
              f"latency median {res['lat_median_ms']:.2f} ms, p99 {res['lat_p99_ms']:.2f} ms, "
              f"max {res['lat_max_ms']:.2f} ms")
    med = {k: statistics.median(r[k] for r in results) for k in results[0]}
    print(f"median of {a.runs} runs: throughput {med['msgs_per_s']:.0f} msg/s ({a.messages} messages, outbox row "
          f"→ PUBACK → marked sent); commit→receive latency median {med['lat_median_ms']:.2f} ms, "
          f"p99 {med['lat_p99_ms']:.2f} ms ({a.latency} messages)")
    jsonout.emit_samples("outbox → broker throughput (marked sent on PUBACK)", [r["msgs_per_s"] for r in results],
                         "msg/s", None, higher_is_better=True,
                         note=f"{a.messages} messages, batch {a.batch}; median of {a.runs} runs, p99 = slowest run")
    jsonout.emit("commit → subscriber latency", med["lat_median_ms"], med["lat_p99_ms"], "ms", None, None,
                 n=a.latency * a.runs, note=f"loopback mosquitto; medians over {a.runs} runs")


if __name__ == "__main__":
    main()
