"""The whole kiosk on a real broker: the password of a deposit made on the screens reaches the courier's topic,
the retained status tells the fleet how the cabinet is, and a signed remote command opens a box on the emulated
lock board while a forged one is refused — both in the audit log."""

from __future__ import annotations

import json
import secrets
import threading
import time
import uuid

import paho.mqtt.client as mqtt
import pytest

from kiosk import audit, remote
from tests import broker as mosquitto
from tests.ui.conftest import Harness
from tests.ui.test_end_to_end import Cabinet

CAB = "SZ-NS-0042"
broker = mosquitto.broker  # the fixture: a real mosquitto on 127.0.0.1, one per test


class Listener:
    """A paho subscriber that keeps every message by topic."""

    def __init__(self, port: int, topics: list[str]) -> None:
        self.got: dict[str, list[dict]] = {}
        self.lock = threading.Lock()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self.client.on_message = self._message
        self.client.connect("127.0.0.1", port)
        for t in topics:
            self.client.subscribe(t, qos=1)
        self.client.loop_start()

    def _message(self, _c, _u, msg) -> None:
        with self.lock:
            self.got.setdefault(msg.topic, []).append(json.loads(msg.payload))

    def on(self, topic: str) -> list[dict]:
        with self.lock:
            return list(self.got.get(topic, []))

    def publish(self, topic: str, body: dict) -> None:
        self.client.publish(topic, json.dumps(body), qos=1).wait_for_publish(5)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture
def fleet(qtbot, tmp_path, broker):
    key = secrets.token_bytes(32)
    key_file = tmp_path / "command.key"
    key_file.write_text(key.hex())
    key_file.chmod(0o600)
    h = Harness(qtbot, tmp_path, edits={
        'host = ""': f'host = "127.0.0.1"\nport = {broker.port}',
        '# command_key_file = "/etc/parcel-locker/command.key"': f'command_key_file = "{key_file}"'})
    listener = Listener(broker.port, [f"lockers/{CAB}/#"])
    h.service.add_courier("C1001", "Li Wei", "135790")
    h.comp.fingerprint_device.emulator.enrol_directly(1, 7)
    h.service.assign_finger("C1001", 1)
    c = Cabinet(h)
    yield c, listener, key
    c.close()
    listener.close()
    h.stop()


def command(key: bytes, cmd: str, **fields) -> dict:
    body = {"schema": 1, "id": str(uuid.uuid4()), "cmd": cmd, "cabinet": CAB, "by": "ops-7", "ts": time.time(),
            "nonce": secrets.token_hex(8), **fields}
    return remote.sign(body, key)


def test_password_status_and_signed_commands_over_a_real_broker(fleet):
    c, listener, key = fleet
    h = c.h
    h.qtbot.waitUntil(lambda: h.kiosk.devices.get("broker", (False,))[0], timeout=5000)
    h.qtbot.waitUntil(lambda: any(s.get("state") == "online" for s in listener.on(f"lockers/{CAB}/status")),
                      timeout=5000)
    box = c.deposit("SF7770001111")
    topic = f"lockers/{CAB}/courier/C1001"
    h.qtbot.waitUntil(lambda: any(m["type"] == "password" for m in listener.on(topic)), timeout=5000)
    (msg,) = [m for m in listener.on(topic) if m["type"] == "password"]
    assert msg["box"] == box and msg["tracking"] == "SF7770001111" and len(msg["password"]) == 6
    assert msg["cabinet"]["id"] == CAB and msg["qr"] == f"PLK1:{CAB}:{box}:{msg['password']}"
    h.qtbot.waitUntil(lambda: h.service.outbox_counts()["pending"] == 0, timeout=5000)  # acked → marked sent
    assert c.panel.handheld.payloads == []  # with a broker, the simulated handheld is not the transport

    before = c.pulses("A02")
    good = command(key, "open", box="A02", reason="courier called support")
    listener.publish(f"lockers/{CAB}/cmd", good)
    results = f"lockers/{CAB}/cmd/result"
    h.qtbot.waitUntil(lambda: any(r["id"] == good["id"] for r in listener.on(results)), timeout=5000)
    assert [r["ok"] for r in listener.on(results) if r["id"] == good["id"]] == [True]
    h.qtbot.waitUntil(lambda: c.pulses("A02") == before + 1, timeout=5000)

    forged = dict(good, box="A03", nonce=secrets.token_hex(8), id=str(uuid.uuid4()))  # edited after signing
    listener.publish(f"lockers/{CAB}/cmd", forged)
    listener.publish(f"lockers/{CAB}/cmd", good)  # the same command again: a replay
    h.qtbot.waitUntil(lambda: len([r for r in listener.on(results) if not r["ok"]]) == 2, timeout=5000)
    assert c.pulses("A03") == 0 and c.pulses("A02") == before + 1
    kinds = [e.kind for e in audit.events(h.service.store.conn) if e.kind.startswith("remote_command")]
    assert kinds == ["remote_command", "remote_command_refused", "remote_command_refused"]
    h.qtbot.waitUntil(lambda: "A02" in listener.on(f"lockers/{CAB}/status")[-1]["doors_open"], timeout=5000)
    status = listener.on(f"lockers/{CAB}/status")[-1]
    assert status["cabinet"] == CAB and status["free"]["M"] >= 1 and "broker" not in status["faults"]
    events = listener.on(f"lockers/{CAB}/events")
    assert [e["id"] for e in events] == sorted(e["id"] for e in events) and events[-1]["hash"]
