"""The outbox sender against a real mosquitto on 127.0.0.1: passwords reach the courier's topic and are marked
sent only after the broker's acknowledgement, nothing is lost across a broker outage and a kiosk restart, audit
events go out in order from a durable cursor, the retained status and the last will tell the fleet whether the
cabinet is there, and remote commands reach the kiosk as raw bytes.

A small TCP relay (``Gate``) sits between the link and the broker where a test must see a message that is
published but not yet acknowledged (it holds the broker's replies), or must decide when the link may reach a
restarted broker (it refuses connections until the test's own subscriber is back).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import selectors
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from kiosk import audit, outbox
from kiosk.config import MqttConfig
from kiosk.mqtt_client import build_client
from kiosk.mqtt_link import MqttLink
from tests import broker as mosquitto

broker = mosquitto.broker  # the fixture: a real mosquitto on 127.0.0.1 per test
free_port = mosquitto.free_port

CAB = "SZ-NS-0042"
COURIER_TOPIC = f"lockers/{CAB}/courier/C1001"
EVENTS_TOPIC = f"lockers/{CAB}/events"
STATUS_TOPIC = f"lockers/{CAB}/status"
REPO = Path(__file__).resolve().parents[2]


def wait_for(predicate, timeout: float = 5.0, what: str = "the condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.01)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


class Subscriber:
    """A paho client straight on the broker that keeps (topic, payload, retain flag) of every message."""

    def __init__(self, port: int, *topics: str) -> None:
        self._lock = threading.Lock()
        self.got: list[tuple[str, dict, bool]] = []
        self._subacks = 0
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=MQTTProtocolVersion.MQTTv5)
        self.client.on_message = self._message
        self.client.on_subscribe = self._subscribed
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        for t in topics:
            self.client.subscribe(t, qos=1)
        wait_for(lambda: self._subacks == len(topics), what="the subscriber's SUBACK")

    def _subscribed(self, *_args) -> None:
        self._subacks += 1

    def _message(self, _c, _u, msg) -> None:
        with self._lock:
            self.got.append((msg.topic, json.loads(msg.payload), bool(msg.retain)))

    def payloads(self, topic: str | None = None) -> list[dict]:
        with self._lock:
            return [p for t, p, _ in self.got if topic is None or t == topic]

    def clear(self) -> None:
        with self._lock:
            self.got.clear()

    def publish(self, topic: str, payload: bytes) -> None:
        self.client.publish(topic, payload, qos=1).wait_for_publish(5)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class Gate:
    """A TCP relay to the broker: ``open`` cleared refuses new connections (accepts and closes them), ``hold``
    set keeps the broker's replies (PUBACKs) back until it is cleared."""

    def __init__(self, target_port: int) -> None:
        self.target = target_port
        self.open = threading.Event()
        self.open.set()
        self.hold = threading.Event()
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(8)
        self.port = self._listener.getsockname()[1]
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="test-gate")
        self._thread.start()

    def _run(self) -> None:
        sel = selectors.DefaultSelector()
        sel.register(self._listener, selectors.EVENT_READ)
        peer: dict[socket.socket, socket.socket] = {}
        held: dict[socket.socket, bytearray] = {}  # client socket -> the broker's bytes not passed on yet

        def close(s: socket.socket) -> None:
            for x in (s, peer.get(s)):
                if x is not None and x in peer:
                    sel.unregister(x)
                    x.close()
                    peer.pop(x)
                    held.pop(x, None)

        while not self._done.is_set():
            for key, _ in sel.select(0.02):
                s = key.fileobj
                if s is self._listener:
                    c, _ = self._listener.accept()
                    try:
                        if not self.open.is_set():
                            raise OSError("gate closed")
                        u = socket.create_connection(("127.0.0.1", self.target), timeout=1)
                    except OSError:
                        c.close()
                        continue
                    peer[c], peer[u], held[c] = u, c, bytearray()
                    sel.register(c, selectors.EVENT_READ)
                    sel.register(u, selectors.EVENT_READ)
                    continue
                if s not in peer:
                    continue
                try:
                    data = s.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    close(s)
                elif s in held:
                    peer[s].sendall(data)
                else:
                    held[peer[s]] += data
            if not self.hold.is_set():
                for c, buf in held.items():
                    if buf:
                        c.sendall(buf)
                        buf.clear()
        for s in list(peer):
            close(s)
        sel.close()
        self._listener.close()

    def close(self) -> None:
        self._done.set()
        self._thread.join(5)


@pytest.fixture
def links(cab):
    """Makes links on the cabinet's database; every one is stopped at the end (and must stop)."""
    made: list[MqttLink] = []

    def make(port: int, **kw) -> MqttLink:
        mqtt_kw = {k: kw.pop(k) for k in list(kw) if k in {f.name for f in dataclasses.fields(MqttConfig)}}
        cfg = dataclasses.replace(cab.cfg, mqtt=MqttConfig(host="127.0.0.1", port=port, **mqtt_kw))
        kw.setdefault("on_command", None)
        link = MqttLink(cfg, cfg.db_path, cab.keys, **kw)
        made.append(link)
        return link

    yield make
    stopped = [link.stop(10) for link in made]
    assert all(stopped), "a link did not stop"


@pytest.fixture
def gate(broker):
    g = Gate(broker.port)
    yield g
    g.close()


def row(cab, msg_id: str):
    return cab.store.conn.execute("SELECT * FROM outbox WHERE msg_id = ?", (msg_id,)).fetchone()


def password_ids(cab) -> set[str]:
    return {m.msg_id for m in outbox.for_courier(cab.store.conn, cab.keys, "C1001") if m.kind == "password"}


# ---- the courier's password ----------------------------------------------------------------------------------


def test_a_deposit_password_reaches_the_courier_and_is_marked_sent_only_after_the_puback(cab, broker, gate, links,
                                                                                         caplog):
    caplog.set_level(logging.DEBUG)
    sub = Subscriber(broker.port, COURIER_TOPIC)
    link = links(gate.port)
    link.start()
    wait_for(lambda: link.connected, what="the link to connect")
    c = cab.courier()
    gate.hold.set()  # the broker's PUBACKs wait in the relay
    parcel, password = cab.deposit(c, "S", "SF100200300")
    link.notify()
    wait_for(lambda: sub.payloads(), what="the password message")
    msg = sub.payloads()[0]
    assert msg["schema"] == 1 and msg["type"] == "password" and msg["password"] == password
    assert msg["cabinet"] == {"id": CAB, "site": cab.cfg.site, "address": cab.cfg.address, "lat": cab.cfg.lat,
                              "lon": cab.cfg.lon}
    assert msg["box"] == parcel.box_no and msg["tracking"] == "SF100200300"
    assert msg["expires"] == pytest.approx(cab.clock.now() + cab.cfg.passwords.expiry_hours * 3600)
    assert password in msg["qr"] and parcel.box_no in msg["qr"]
    assert msg["msg_id"] in password_ids(cab)
    # Published and received, but the broker's acknowledgement has not reached the link: still pending.
    time.sleep(0.3)
    assert row(cab, msg["msg_id"])["sent_at"] is None and link.stats["sent"] == 0
    gate.hold.clear()
    wait_for(lambda: row(cab, msg["msg_id"])["sent_at"] is not None, what="the row to be marked sent")
    assert row(cab, msg["msg_id"])["sealed"] == b""  # the password no longer sits in the database
    assert len(sub.payloads()) == 1
    assert password not in caplog.text
    sub.close()


def test_messages_wait_in_the_outbox_across_a_broker_outage_and_a_kiosk_restart(cab, broker, gate,
                                                                                links):
    first = Subscriber(broker.port, COURIER_TOPIC)
    link = links(gate.port, backoff=(0.05, 0.2))
    link.start()
    wait_for(lambda: link.connected, what="the link to connect")
    c = cab.courier()
    # One message is published but its PUBACK never arrives: the broker dies first.
    gate.hold.set()
    cab.deposit(c, "S", "SF0000")
    link.notify()
    wait_for(lambda: len(first.payloads()) == 1, what="the first password")
    broker.stop()
    wait_for(lambda: not link.connected, what="the link to see the broker gone")
    first.close()
    for i in range(1, 5):
        cab.deposit(c, "S", f"SF000{i}")
        link.notify()
    time.sleep(0.3)  # the link retries meanwhile; nothing can be delivered
    assert outbox.counts(cab.store.conn) == {"pending": 5, "sent": 0}

    assert link.stop()  # the kiosk restarts
    cab.reopen()
    assert outbox.counts(cab.store.conn) == {"pending": 5, "sent": 0}
    gate.hold.clear()
    gate.open.clear()  # the link may reach the broker only once our subscriber is back
    states: list[tuple[bool, str]] = []
    link = links(gate.port, backoff=(0.05, 0.2), on_state=lambda ok, line: states.append((ok, line)))
    link.start()
    wait_for(lambda: link.stats["connect_attempts"] >= 3, what="the new link to retry")
    assert not link.connected and states and states[-1][0] is False
    broker.start()  # the same port
    second = Subscriber(broker.port, COURIER_TOPIC)
    gate.open.set()
    wait_for(lambda: outbox.counts(cab.store.conn) == {"pending": 0, "sent": 5}, what="every row to be sent")
    wait_for(lambda: len(second.payloads()) >= 5, what="the queued passwords")
    got = first.payloads() + second.payloads()
    expected = password_ids(cab)
    assert len(expected) == 5 and {m["msg_id"] for m in got} == expected  # none lost
    for msg_id, n in Counter(m["msg_id"] for m in got).items():  # a repeat is the same message, same id
        assert len({json.dumps(m, sort_keys=True) for m in got if m["msg_id"] == msg_id}) == 1, n
    assert states[-1] == (True, f"connected to broker 127.0.0.1:{gate.port}")
    second.close()


def test_a_message_unacknowledged_when_the_broker_restarts_is_sent_again_on_the_same_run(cab, broker, gate,
                                                                                         links):
    first = Subscriber(broker.port, COURIER_TOPIC)
    link = links(gate.port, backoff=(0.05, 0.2))
    link.start()
    wait_for(lambda: link.connected, what="the link to connect")
    gate.hold.set()
    cab.deposit(cab.courier(), "S", "SF0001")
    link.notify()
    wait_for(lambda: first.payloads(), what="the password")
    gate.open.clear()
    broker.stop()
    wait_for(lambda: not link.connected, what="the link to see the broker gone")
    first.close()
    gate.hold.clear()
    broker.start()
    second = Subscriber(broker.port, COURIER_TOPIC)
    gate.open.set()
    wait_for(lambda: outbox.counts(cab.store.conn) == {"pending": 0, "sent": 1}, what="the row to be sent")
    wait_for(lambda: second.payloads(), what="the password again")
    assert second.payloads() == first.payloads()  # the same message, the same msg_id
    assert link.stats["connects"] == 2 and link.stats["sent"] == 1
    second.close()


def test_a_row_that_does_not_unseal_is_recorded_as_failed_and_does_not_hold_back_the_others(cab, broker, links,
                                                                                           caplog):
    c = cab.courier()
    cab.deposit(c, "S", "SF0001")
    _, password = cab.deposit(c, "S", "SF0002")
    cab.store.conn.execute("UPDATE outbox SET sealed = ? WHERE id = (SELECT MIN(id) FROM outbox)", (b"\x00" * 48,))
    sub = Subscriber(broker.port, COURIER_TOPIC)
    link = links(broker.port)
    link.start()
    wait_for(lambda: outbox.counts(cab.store.conn)["sent"] == 1, what="the good row to be sent")
    wait_for(lambda: sub.payloads(), what="the good message")
    assert [(m["tracking"], m["password"]) for m in sub.payloads()] == [("SF0002", password)]
    bad = cab.store.conn.execute("SELECT * FROM outbox ORDER BY id LIMIT 1").fetchone()
    assert bad["sent_at"] is None and bad["attempts"] == 1 and "tampered" in bad["last_error"]
    assert password not in caplog.text and bad["msg_id"] in caplog.text
    sub.close()


# ---- audit events ----------------------------------------------------------------------------------------------


def event_ids(sub: Subscriber) -> list[int]:
    return [m["id"] for m in sub.payloads(EVENTS_TOPIC)]


def last_event(cab) -> int:
    return cab.store.conn.execute("SELECT MAX(id) FROM events").fetchone()[0]


def test_audit_events_go_out_in_id_order_and_the_cursor_survives_a_restart(cab, broker, gate, links):
    c = cab.courier()  # events written before the link ever ran
    sub = Subscriber(broker.port, EVENTS_TOPIC)
    link = links(gate.port)
    link.start()
    n = last_event(cab)
    wait_for(lambda: event_ids(sub) == list(range(1, n + 1)), what="the existing events")
    stored = {e.id: e for e in audit.events(cab.store.conn)}
    for m in sub.payloads():
        e = stored[m["id"]]
        assert m == {"schema": 1, "type": "event", "id": e.id, "ts": e.ts, "kind": e.kind, "actor": e.actor,
                     "box": e.box_no, "tracking": e.tracking, "hash": e.hash, "prev_hash": e.prev_hash}
    wait_for(lambda: outbox.cursor(cab.store.conn, "events") == n, what="the cursor to reach the last event")

    gate.hold.set()  # the next events are published, not acknowledged
    cab.deposit(c, "S", "SF0001")
    link.notify()
    m = last_event(cab)
    wait_for(lambda: event_ids(sub)[-1:] == [m], what="the deposit's events")
    assert outbox.cursor(cab.store.conn, "events") == n
    assert link.stop()  # the kiosk stops with those unacknowledged
    assert outbox.cursor(cab.store.conn, "events") == n
    cab.deposit(c, "S", "SF0002")  # while it is down
    k = last_event(cab)
    gate.hold.clear()
    sub.clear()
    link = links(gate.port)
    link.start()
    wait_for(lambda: event_ids(sub) == list(range(n + 1, k + 1)), what="the unacknowledged and the new events")
    wait_for(lambda: outbox.cursor(cab.store.conn, "events") == k, what="the cursor to catch up")
    time.sleep(0.2)
    assert event_ids(sub) == list(range(n + 1, k + 1))  # no event before the cursor went out again
    sub.close()


# ---- status, last will, commands -------------------------------------------------------------------------------


def status(**extra) -> dict:
    return {"schema": 1, "type": "status", "state": "online", "cabinet": CAB, **extra}


def retained(port: int) -> tuple[dict, bool]:
    """What a subscriber arriving now gets on the status topic."""
    late = Subscriber(port, STATUS_TOPIC)
    try:
        wait_for(lambda: late.got, what="a retained status")
        return late.got[0][1], late.got[0][2]
    finally:
        late.close()


def test_the_status_is_retained_republished_after_a_reconnect_and_offline_after_a_stop(cab, broker,
                                                                                       links):
    early = Subscriber(broker.port, STATUS_TOPIC)
    link = links(broker.port, backoff=(0.05, 0.2))
    link.start()
    wait_for(lambda: link.connected, what="the link to connect")
    link.publish_status(status(free={"S": 7}))
    link.publish_status(status(free={"S": 6}))  # the latest wins
    wait_for(lambda: early.payloads() and early.payloads()[-1]["free"] == {"S": 6}, what="the status")
    early.close()
    assert retained(broker.port) == (status(free={"S": 6}), True)
    broker.stop()  # no persistence: the broker forgets the retained status
    wait_for(lambda: not link.connected, what="the link to see the broker gone")
    broker.start()
    wait_for(lambda: link.connected, what="the link to reconnect")
    assert retained(broker.port) == (status(free={"S": 6}), True)
    assert link.stop()
    body, flag = retained(broker.port)
    assert flag and body["state"] == "offline" and body["reason"] == "stopped" and body["cabinet"] == CAB


KILLED_KIOSK = """
import dataclasses, sys, time
from pathlib import Path
from kiosk import config
from kiosk.keys import Keyring
from kiosk.mqtt_link import MqttLink

port, data = int(sys.argv[1]), Path(sys.argv[2])
cfg = config.load(config.default_config_path())
cfg = dataclasses.replace(cfg, data_dir=data, secret_file=data / "cabinet.key",
                          mqtt=config.MqttConfig(host="127.0.0.1", port=port, keepalive_s=5))
link = MqttLink(cfg, cfg.db_path, Keyring.load_or_create(cfg.secret_file), on_command=None)
link.publish_status({"schema": 1, "type": "status", "state": "online", "cabinet": cfg.cabinet_id})
link.start()
time.sleep(60)
"""


@pytest.mark.parametrize("sig", [pytest.param(signal.SIGKILL, id="killed"),
                                 pytest.param(signal.SIGSTOP, id="frozen", marks=pytest.mark.slow)])
def test_the_last_will_marks_the_cabinet_offline_when_the_kiosk_is_killed(tmp_path, broker, sig):
    """Killed: the kernel closes the socket and the broker sends the will at once. Frozen (SIGSTOP, like a
    cut cable or a hung machine): the socket stays open and only the keepalive (5 s here) exposes it. Debian's
    mosquitto 2.0.11 sweeps for silent clients every few seconds, so the will comes 1.5 × keepalive plus up
    to about 5 s after the last packet (measured: 9.8–11.7 s at keepalive 5)."""
    sub = Subscriber(broker.port, STATUS_TOPIC)
    proc = subprocess.Popen([sys.executable, "-c", KILLED_KIOSK, str(broker.port), str(tmp_path / "killed")],
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: [p["state"] for p in sub.payloads()] == ["online"], timeout=20,
                 what="the killed kiosk's online status")
        killed = time.monotonic()
        proc.send_signal(sig)
        wait_for(lambda: len(sub.payloads()) == 2, timeout=20, what="the last will")
        elapsed = time.monotonic() - killed
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        proc.stderr.close()
        sub.close()
    will = sub.payloads()[1]
    assert will == {"schema": 1, "type": "status", "state": "offline", "cabinet": CAB, "reason": "connection lost"}
    if sig == signal.SIGKILL:
        assert elapsed < 2.0
    else:
        assert 5 * 1.5 - 1.5 <= elapsed <= 5 * 1.5 + 5 + 1.5
    assert retained(broker.port) == (will, True)


def test_a_remote_command_reaches_on_command_as_raw_bytes_and_results_go_to_cmd_result(cab, broker,
                                                                                        links):
    got: list[bytes] = []
    link = links(broker.port, on_command=got.append)
    link.start()
    wait_for(lambda: link.connected, what="the link to connect")
    ops = Subscriber(broker.port, f"lockers/{CAB}/cmd/result")
    raw = '{"cmd":"open","box":"A01","by":"运维"}'.encode() + b"\xff"  # passed on untouched, even invalid UTF-8
    deadline = time.monotonic() + 5
    while not got and time.monotonic() < deadline:  # the link subscribes right after it connects
        ops.publish(f"lockers/{CAB}/cmd", raw)
        time.sleep(0.1)
    assert got and set(got) == {raw} and link.stats["commands"] == len(got)
    result = {"schema": 1, "type": "command_result", "id": "c-1", "ok": True, "message": "opened A01"}
    link.publish_result(result)
    wait_for(lambda: ops.payloads(), what="the command result")
    assert ops.payloads() == [result]
    ops.close()


# ---- configuration, failures --------------------------------------------------------------------------------------


def test_the_client_gets_the_credentials_the_tls_files_and_the_last_will(cab, tmp_path):
    files = {name: tmp_path / f"{name}.pem" for name in ("ca", "cert", "key")}
    for f in files.values():
        f.write_text("not read by this test")
    cfg = dataclasses.replace(cab.cfg, mqtt=MqttConfig(
        host="mqtt.example.com", port=8883, tls=True, ca_file=files["ca"], cert_file=files["cert"],
        key_file=files["key"], username="SZ-NS-0042", password="s3cret"))
    calls: dict[str, object] = {}

    class Recording(mqtt.Client):
        def username_pw_set(self, username, password=None):
            calls["auth"] = (username, password)
            super().username_pw_set(username, password)

        def tls_set(self, **kw):
            calls["tls"] = kw

    client = build_client(cfg, factory=Recording)
    assert calls["auth"] == ("SZ-NS-0042", "s3cret")
    assert calls["tls"] == {"ca_certs": str(files["ca"]), "certfile": str(files["cert"]),
                            "keyfile": str(files["key"]), "cert_reqs": ssl.CERT_REQUIRED,
                            "tls_version": ssl.PROTOCOL_TLS_CLIENT}
    assert client.protocol == MQTTProtocolVersion.MQTTv5 and client._client_id == b"kiosk-SZ-NS-0042"
    assert client._will_topic == STATUS_TOPIC.encode() and client._will_retain and client._will_qos == 1
    assert json.loads(client._will_payload)["state"] == "offline"
    assert "password" not in json.loads(client._will_payload)
    # Without TLS and credentials, neither is set.
    calls.clear()
    build_client(dataclasses.replace(cab.cfg, mqtt=MqttConfig(host="h")), factory=Recording)
    assert calls == {}


def test_a_missing_tls_file_is_reported_in_one_line(cab, links):
    states: list[tuple[bool, str]] = []
    link = links(free_port(), tls=True, ca_file=Path("/nonexistent/ca.pem"), backoff=(0.05, 0.1),
                 on_state=lambda ok, line: states.append((ok, line)))
    link.start()
    wait_for(lambda: states, what="the state")
    assert states[0] == (False, "MQTT client setup failed: TLS file not found: /nonexistent/ca.pem (retrying)")


def test_a_wrong_port_reports_cannot_connect_retries_with_bounded_backoff_and_stops_promptly(cab, links,
                                                                                            caplog):
    port = free_port()  # nothing listens there
    states: list[tuple[bool, str]] = []
    link = links(port, password="s3cret-password", username="u", backoff=(0.05, 0.2),
                 on_state=lambda ok, line: states.append((ok, line)))
    link.start()
    time.sleep(2.0)
    attempts = link.stats["connect_attempts"]
    # Doubling from 0.05 s without the 0.2 s cap would allow at most 7 attempts in 2 s; no backoff, hundreds.
    assert 9 <= attempts <= 20, attempts
    assert states == [(False, f"cannot connect to broker 127.0.0.1:{port}: Connection refused (retrying)")]
    started = time.monotonic()
    assert link.stop(5)
    assert time.monotonic() - started < 1.0
    assert states[-1] == (False, "disconnected: the link is stopped")
    assert "s3cret-password" not in caplog.text


def test_no_broker_configured_means_no_link(cab):
    with pytest.raises(ValueError, match="no broker"):
        MqttLink(cab.cfg, cab.cfg.db_path, cab.keys, on_command=None)
