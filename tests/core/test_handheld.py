"""The reference courier handheld and the operator's `kiosk command`, as real processes against a real
mosquitto on 127.0.0.1 (tests/broker.py); the test's own MQTT client runs paho's loop in the test thread."""

from __future__ import annotations

import json
import os
import re
import selectors
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import cv2
import numpy as np
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from kiosk import outbox, remote
from kiosk.config import default_config_path, with_data_dir
from kiosk.handheld_text import render
from tests import broker as mosquitto

broker = mosquitto.broker  # the fixture: a real mosquitto on 127.0.0.1, one per test

KEY = bytes(range(32))
ENV = {**os.environ, "TZ": "UTC", "PYTHONIOENCODING": "utf-8"}


def write_config(tmp_path: Path, port: int) -> Path:
    text = with_data_dir(default_config_path().read_text(), "state")
    text, n = re.subn(r'(?m)^host = "".*$', f'host = "127.0.0.1"\nport = {port}', text)
    assert n == 1
    p = tmp_path / "cabinet.toml"
    p.write_text(text)
    return p


def kiosk(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "kiosk", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, encoding="utf-8", env=ENV)


def wait_for_line(proc: subprocess.Popen, needle: str, timeout: float = 10.0) -> str:
    """Read the process's stderr until a line holds ``needle`` (the handheld says when it is subscribed)."""
    seen = []
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stderr, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if sel.select(timeout=0.1):
                line = proc.stderr.readline()
                if not line:
                    break
                seen.append(line)
                if needle in line:
                    return line
    proc.kill()
    out, err = proc.communicate(timeout=5)
    pytest.fail(f"no {needle!r} on stderr; got {''.join(seen) + err!r}, stdout {out!r}")


class TestClient:
    """A paho client driven in the test thread: publish with acknowledgement, collect messages."""

    __test__ = False

    def __init__(self, port: int, subscribe: str | None = None) -> None:
        self.c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"test-{os.getpid()}-{id(self)}",
                             protocol=MQTTProtocolVersion.MQTTv5)
        self.ready = subscribe is None
        self.acked: set[int] = set()
        self.received: list[mqtt.MQTTMessage] = []
        self.c.on_connect = lambda c, u, f, rc, p: c.subscribe(subscribe, qos=1) if subscribe else None
        self.c.on_subscribe = lambda c, u, mid, rcs, p: setattr(self, "ready", True)
        self.c.on_publish = lambda c, u, mid, rc, p: self.acked.add(mid)
        self.c.on_message = lambda c, u, m: self.received.append(m)
        self.c.connect("127.0.0.1", port)
        self.until(lambda: self.c.is_connected() and self.ready, "connect")

    def until(self, cond, what: str, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not cond():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            assert self.c.loop(timeout=0.05) == mqtt.MQTT_ERR_SUCCESS

    def publish(self, topic: str, payload: dict | bytes) -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
        info = self.c.publish(topic, data, qos=1)
        self.until(lambda: info.mid in self.acked, "PUBACK")

    def close(self) -> None:
        self.c.disconnect()
        self.c.loop(timeout=0.1)


def decode_terminal_qr(block: list[str]) -> str:
    """Turn half-block text back into pixels (light where a block is drawn) and read it with OpenCV."""
    light = {" ": (0, 0), "▀": (1, 0), "▄": (0, 1), "█": (1, 1)}
    rows = []
    for line in block:
        pairs = [light[ch] for ch in line]
        rows += [[top for top, _ in pairs], [bottom for _, bottom in pairs]]
    img = (np.kron(np.array(rows, np.uint8), np.ones((8, 8), np.uint8)) * 255)
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(img)
    return text


def qr_lines(stdout: str) -> list[str]:
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Show this QR")) + 1
    end = next(i for i in range(start, len(lines)) if not lines[i])
    return lines[start:end]


def test_a_deposit_password_reaches_the_handheld_once_with_its_qr(tmp_path, broker, cab):
    config = write_config(tmp_path, broker.port)
    c = cab.courier()
    p, pw = cab.deposit(c)
    cab.svc.pickup(p.box_no, pw)
    cab.svc.reject(p.id, "damaged")
    password, refused = outbox.pending(cab.store.conn, cab.keys)
    assert password.topic == "lockers/SZ-NS-0042/courier/C1001" and refused.kind == "notice"

    proc = kiosk("handheld", "C1001", "--count", "2", "--timeout", "10", "--config", str(config))
    try:
        wait_for_line(proc, "listening on lockers/+/courier/C1001")
        client = TestClient(broker.port)
        client.publish(password.topic, password.payload)
        client.publish(password.topic, password.payload)  # a QoS 1 repeat: same msg_id
        client.publish("lockers/SZ-NS-0042/courier/C2002", {**refused.payload, "msg_id": "not-for-C1001"})
        elsewhere = {**refused.payload, "cabinet": {**refused.payload["cabinet"], "id": "SZ-NS-0077"}}
        client.publish(refused.topic.replace("SZ-NS-0042", "SZ-NS-0077"), elsewhere)  # another cabinet
        client.close()
        out, err = proc.communicate(timeout=15)
    finally:
        proc.kill()
        proc.wait(5)
    assert proc.returncode == 0, err
    expires = datetime.fromtimestamp(password.payload["expires"], timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    for line in ["== Parcel ready for pickup ==", "Site:        Nanshan Science Park, Building 3",
                 "Address:     1 Keji Road, Nanshan District, Shenzhen", "Position:    22.54310, 113.95100",
                 "Cabinet:     SZ-NS-0042", f"Box:         {p.box_no}", f"Password:    {pw}",
                 f"Valid until: {expires}", "Tracking no: SF100200300"]:
        assert line in out.splitlines()
    assert out.count("Password:") == 1  # the repeat was dropped by msg_id
    assert decode_terminal_qr(qr_lines(out)) == f"PLK1:SZ-NS-0042:{p.box_no}:{pw}"
    notice = out.strip().splitlines()[-1]
    assert "Parcel SF100200300 was REFUSED by the customer (damaged): collect it back from " in notice
    assert f"box {p.box_no} at SZ-NS-0077" in notice  # a courier serves many cabinets
    assert "not-for-C1001" not in out


def test_handheld_comes_back_after_a_broker_restart(tmp_path, broker):
    proc = kiosk("handheld", "C1001", "--count", "1", "--timeout", "20",
                 "--config", str(write_config(tmp_path, broker.port)))
    try:
        wait_for_line(proc, "listening on")
        broker.stop()  # persistence is off: the broker forgets the session, the handheld must subscribe again
        broker.start()
        wait_for_line(proc, "listening on", timeout=15)
        client = TestClient(broker.port)
        client.publish("lockers/SZ-NS-0042/courier/C1001", notice(event="overdue", msg_id="after-restart"))
        client.close()
        out, err = proc.communicate(timeout=15)
    finally:
        proc.kill()
        proc.wait(5)
    assert proc.returncode == 0, err
    assert "Parcel SF1 is OVERDUE in box A05 at SZ-NS-0042 (Nanshan): collect it back." in out


def test_a_stable_client_id_gets_what_was_sent_while_the_handheld_was_off(tmp_path, broker):
    config = str(write_config(tmp_path, broker.port))
    first = kiosk("handheld", "C1001", "--client-id", "handheld-C1001-phone", "--timeout", "0.3", "--config", config)
    _, err = first.communicate(timeout=20)
    assert first.returncode == 0 and "listening on" in err  # subscribed, then idle: exit 0 without --count
    client = TestClient(broker.port)
    client.publish("lockers/SZ-NS-0042/courier/C1001", notice(event="collected", msg_id="while-off"))
    client.close()
    again = kiosk("handheld", "C1001", "--client-id", "handheld-C1001-phone", "--count", "1", "--timeout", "5",
                  "--config", config)
    out, err = again.communicate(timeout=20)
    assert again.returncode == 0, err
    assert "Parcel SF1 was collected from box A05 at SZ-NS-0042 (Nanshan)." in out


def test_handheld_gives_up_after_the_idle_timeout(tmp_path, broker):
    proc = kiosk("handheld", "C1001", "--count", "1", "--timeout", "0.5",
                 "--config", str(write_config(tmp_path, broker.port)))
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 1 and out == ""
    assert err.strip().splitlines()[-1] == "handheld: no message for 0.5 s (0 of 1 printed)"


def test_handheld_says_when_the_broker_is_missing_or_unreachable(tmp_path):
    proc = kiosk("handheld", "C1001", "--count", "1", "--timeout", "1")  # the simulated config: no broker
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 1
    assert err.strip() == "error: no MQTT broker is configured: set [mqtt] host in the config (--config F)"
    port = mosquitto.free_port()
    proc = kiosk("handheld", "C1001", "--count", "1", "--config", str(write_config(tmp_path, port)))
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 1 and err.startswith(f"error: cannot reach the MQTT broker at 127.0.0.1:{port}")
    assert "Traceback" not in err


def test_kiosk_command_signs_publishes_and_prints_the_cabinets_result(tmp_path, broker, cab):
    config = write_config(tmp_path, broker.port)
    key_file = tmp_path / "command.key"
    key_file.write_text(KEY.hex() + "\n")
    key_file.chmod(0o600)
    cab.clock.set(time.time())  # the command is stamped with the real clock
    client = TestClient(broker.port, subscribe="lockers/SZ-NS-0042/cmd")
    try:
        proc = kiosk("command", "open", "--box", "A01", "--reason", "stuck door", "--by", "ops-ana",
                     "--key-file", str(key_file), "--wait", "10", "--config", str(config))
        client.until(lambda: client.received, "the command", timeout=15)
        raw = client.received[0].payload
        sent = json.loads(raw)
        assert client.received[0].qos == 1
        cmd = remote.verify(remote.parse(raw), KEY, cabinet_id="SZ-NS-0042", now=time.time(), max_age=60)
        assert (cmd.cmd, cmd.box, cmd.reason, cmd.by, cmd.cabinet) == ("open", "A01", "stuck door", "ops-ana",
                                                                      "SZ-NS-0042")
        # Play the cabinet: execute it and answer on cmd/result.
        result = cab.svc.remote_command(raw, KEY)
        client.publish("lockers/SZ-NS-0042/cmd/result", {**result, "id": "someone-else"})  # not ours: ignored
        client.publish("lockers/SZ-NS-0042/cmd/result", result)
        out, err = proc.communicate(timeout=15)
        assert proc.returncode == 0, err
        assert out.strip() == "ok: box A01 opened (empty)"
        assert f"command {sent['id']} (open) published to lockers/SZ-NS-0042/cmd" in err
        assert cab.locks.unlocks == ["A01"]
        # The same bytes again are a replay: the cabinet refuses, the tool exits 1 and says why.
        assert not cab.svc.remote_command(raw, KEY)["ok"]
    finally:
        client.close()


def test_kiosk_command_without_an_answer_times_out(tmp_path, broker):
    key_file = tmp_path / "command.key"
    key_file.write_text(KEY.hex())
    key_file.chmod(0o600)
    proc = kiosk("command", "status", "--key-file", str(key_file), "--wait", "0.5",
                 "--config", str(write_config(tmp_path, broker.port)))
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 1 and out == ""
    assert err.strip().splitlines()[-1] == ("error: no result on lockers/SZ-NS-0042/cmd/result within 0.5 s "
                                            "(is the cabinet online?)")


def test_kiosk_command_prints_a_refusal_and_exits_1(tmp_path, broker, cab):
    key_file = tmp_path / "command.key"
    key_file.write_text(bytes(range(1, 33)).hex())  # not the cabinet's key
    key_file.chmod(0o600)
    cab.clock.set(time.time())
    client = TestClient(broker.port, subscribe="lockers/SZ-NS-0042/cmd")
    try:
        proc = kiosk("command", "open", "--box", "A01", "--key-file", str(key_file),
                     "--config", str(write_config(tmp_path, broker.port)))
        client.until(lambda: client.received, "the command", timeout=15)
        client.publish("lockers/SZ-NS-0042/cmd/result", cab.svc.remote_command(client.received[0].payload, KEY))
        out, err = proc.communicate(timeout=15)
    finally:
        client.close()
    assert proc.returncode == 1, err
    assert out.strip() == "NOT DONE: refused: signature does not match (wrong key, or the command was altered)"
    assert cab.locks.unlocks == []


# ---------------------------------------------------------------------------------------------- text only


CAB = {"id": "SZ-NS-0042", "site": "Nanshan", "address": "1 Keji Road", "lat": 22.5, "lon": 113.9}


def notice(**fields) -> dict:
    return {"schema": 1, "type": "notice", "msg_id": "m1", "ts": 1_780_000_000, "cabinet": CAB, "box": "A05",
            "tracking": "SF1", **fields}


@pytest.mark.parametrize("fields, expected", [
    ({"event": "collected"}, "Parcel SF1 was collected from box A05 at SZ-NS-0042 (Nanshan)."),
    ({"event": "refused", "reason": "wrong_item"},
     "Parcel SF1 was REFUSED by the customer (wrong item): collect it back from box A05 at SZ-NS-0042 (Nanshan)."),
    ({"event": "refused", "reason": "closed_without_choice"},
     "Parcel SF1 was REFUSED by the customer (door closed without accepting or refusing): collect it back from "
     "box A05 at SZ-NS-0042 (Nanshan)."),
    ({"event": "overdue"}, "Parcel SF1 is OVERDUE in box A05 at SZ-NS-0042 (Nanshan): collect it back."),
    ({"event": "locked", "until": 1_780_001_800},
     "box A05 at SZ-NS-0042 (Nanshan) is LOCKED after wrong passwords until 2026-05-28 20:56 UTC; a new password "
     "follows then, or clear it with your finger. Parcel SF1."),
    ({"event": "teleported"}, "Parcel SF1 in box A05 at SZ-NS-0042 (Nanshan): teleported."),
])
def test_each_notice_is_one_clear_line(monkeypatch, fields, expected):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        line = render(notice(**fields))
    finally:
        monkeypatch.undo()
        time.tzset()
    assert "\n" not in line and line == f"2026-05-28 20:26 UTC  {expected}"


def test_odd_payloads_become_one_line_and_cannot_drive_the_terminal():
    assert render(["x"]) == "ignored: a message that is not a JSON object"
    assert render({"schema": 2, "msg_id": "m9"}) == "ignored: message m9 has schema 2, this client reads 1"
    assert render({"schema": 1, "type": "poem", "msg_id": "m9"}) == "ignored: message m9 of unknown type poem"
    line = render(notice(event="collected", tracking="SF1\x1b[2J\nrm -rf"))
    assert "\x1b" not in line and "\n" not in line and "SF1 [2J rm -rf" in line
    text = render({"schema": 1, "type": "password", "msg_id": "m2", "reason": ["odd"]}, qr=False)
    assert text.splitlines()[0] == "== Pickup password ==" and "Password:    ?" in text
