"""The reference clients at the other end of a cabinet's topics: a courier's handheld and an operator's command.

Why built this way: they are what an integrator copies, so they use nothing but paho-mqtt 2 (MQTT 5, QoS 1)
and the config's broker settings (host, port, TLS, credentials), and they run paho's network loop in the
calling thread (``client.loop``) so a deadline is a plain comparison and no thread is left behind.

The handheld subscribes to ``lockers/+/courier/<no>`` (a courier serves many cabinets). QoS 1 means the broker
may deliver a message twice, so it drops repeats by the stable ``msg_id`` every payload carries. Its client
id is ``handheld-<no>-<random>`` by default, so a courier's phone and tablet do not throw each other off; the
broker then keeps its session only across short outages within one run. A handheld that must also receive
what was sent while it was off uses a stable ``client_id``: its session (and the broker's queue of QoS 1
messages for it) outlives the program.

The operator's ``send_command`` subscribes to the cabinet's ``cmd/result`` first, publishes the signed command
at QoS 1, waits for the broker's acknowledgement, then for the result carrying the command's id.
"""

from __future__ import annotations

import json
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TextIO

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from .config import MqttConfig
from .handheld_text import render
from .mqtt_client import new_client

SEEN_MAX = 10_000  # msg_ids remembered for de-duplication
PERSISTENT_SESSION_S = 7 * 24 * 3600  # a handheld with a stable client id: the broker queues for a week
RUN_SESSION_S = 300  # a random client id: the session survives short outages within the run only


class ClientError(RuntimeError):
    """The broker cannot be used (not configured, unreachable, refused us); the message is one line."""


def courier_filter(courier_no: str) -> str:
    return f"lockers/+/courier/{courier_no}"


def make_client(cfg: MqttConfig, client_id: str) -> mqtt.Client:
    if not cfg.enabled:
        raise ClientError("no MQTT broker is configured: set [mqtt] host in the config (--config F)")
    try:
        return new_client(cfg, client_id)
    except FileNotFoundError as e:
        raise ClientError(str(e)) from None


def _connect(client: mqtt.Client, cfg: MqttConfig, *, clean_start: bool, session_s: int) -> None:
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = session_s
    try:
        client.connect(cfg.host, cfg.port, cfg.keepalive_s, clean_start=clean_start, properties=props)
    except (OSError, ValueError) as e:
        raise ClientError(f"cannot reach the MQTT broker at {cfg.host}:{cfg.port}: {e}") from None


class Handheld:
    """Prints every message for one courier, once, until ``count`` messages or ``timeout`` idle seconds."""

    def __init__(self, cfg: MqttConfig, courier_no: str, out: TextIO, err: TextIO, *, client_id: str = "",
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.cfg, self.courier_no, self.out, self.err, self.clock = cfg, courier_no, out, err, clock
        self.persistent = bool(client_id)
        self.client = make_client(cfg, client_id or f"handheld-{courier_no}-{secrets.token_hex(4)}")
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message
        self.client.on_disconnect = self._on_disconnect
        self.seen: OrderedDict[str, None] = OrderedDict()
        self.printed = 0
        self.fatal: str | None = None
        self._last_activity = self.clock()

    def run(self, count: int | None = None, timeout: float | None = None) -> int:
        """Exit status: 0 when ``count`` messages were printed (or, without ``count``, at the idle timeout)."""
        _connect(self.client, self.cfg, clean_start=not self.persistent,
                 session_s=PERSISTENT_SESSION_S if self.persistent else RUN_SESSION_S)
        backoff = 0.5
        self._last_activity = self.clock()
        try:
            while self.fatal is None and (count is None or self.printed < count):
                if timeout is not None and self.clock() - self._last_activity > timeout:
                    if count is None:
                        return 0
                    self.err.write(f"handheld: no message for {timeout:g} s ({self.printed} of {count} printed)\n")
                    return 1
                rc = self.client.loop(timeout=0.2)
                if rc == mqtt.MQTT_ERR_SUCCESS:
                    backoff = 0.5
                    continue
                time.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
                try:
                    self.client.reconnect()
                except (OSError, ValueError) as e:
                    self.err.write(f"handheld: broker {self.cfg.host}:{self.cfg.port} unreachable ({e}); retrying\n")
            if self.fatal is not None:
                self.err.write(f"handheld: {self.fatal}\n")
                return 1
            return 0
        finally:
            self._disconnect()

    def _disconnect(self) -> None:
        props = None
        if not self.persistent:  # nothing should queue up for a client id nobody will use again
            props = Properties(PacketTypes.DISCONNECT)
            props.SessionExpiryInterval = 0
        try:
            self.client.disconnect(properties=props)
            self.client.loop(timeout=0.1)
        except (OSError, ValueError):
            pass

    # paho callbacks: run inside client.loop(), in run()'s thread

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            self.fatal = f"the broker refused the connection: {reason_code}"
            return
        client.subscribe(courier_filter(self.courier_no), qos=1)

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:
        if any(rc.is_failure for rc in reason_codes):
            self.fatal = f"the broker refused the subscription to {courier_filter(self.courier_no)}: {reason_codes[0]}"
            return
        self.err.write(f"handheld: courier {self.courier_no} listening on {courier_filter(self.courier_no)} "
                       f"at {self.cfg.host}:{self.cfg.port}\n")
        self.err.flush()
        self._last_activity = self.clock()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:  # paho says "Unspecified error" for a dropped connection: say what happened
            self.err.write(f"handheld: lost the connection to {self.cfg.host}:{self.cfg.port}; reconnecting\n")

    def _on_message(self, client, userdata, msg: mqtt.MQTTMessage) -> None:
        self._last_activity = self.clock()
        try:
            payload: Any = json.loads(msg.payload.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            self._print(f"ignored: a message on {msg.topic} that is not UTF-8 JSON")
            return
        msg_id = payload.get("msg_id") if isinstance(payload, dict) else None
        if isinstance(msg_id, str):
            if msg_id in self.seen:
                return  # a QoS 1 repeat, or the cabinet re-sent after a lost acknowledgement
            self.seen[msg_id] = None
            if len(self.seen) > SEEN_MAX:
                self.seen.popitem(last=False)
        self._print(render(payload))

    def _print(self, text: str) -> None:
        self.out.write(text + "\n\n")
        self.out.flush()
        self.printed += 1


def send_command(cfg: MqttConfig, cabinet_id: str, command: dict[str, Any], wait: float,
                 log: Callable[[str], None] = lambda s: None) -> dict[str, Any] | None:
    """Publish a signed command to ``lockers/<cabinet>/cmd``; return its result, or None if ``wait`` is 0.

    Raises ``ClientError`` when the broker cannot be reached, does not acknowledge, or no result comes in time.
    """
    topic, result_topic = f"lockers/{cabinet_id}/cmd", f"lockers/{cabinet_id}/cmd/result"
    client = make_client(cfg, f"operator-{secrets.token_hex(4)}")
    state: dict[str, Any] = {"connected": None, "subscribed": wait <= 0, "acked": None, "result": None}

    def on_connect(c, u, flags, rc, props):
        if rc.is_failure:
            state["connected"] = f"the broker refused the connection: {rc}"
            return
        state["connected"] = True
        if wait > 0:
            c.subscribe(result_topic, qos=1)

    def on_subscribe(c, u, mid, rcs, props):
        refused = any(r.is_failure for r in rcs)
        state["subscribed"] = f"the broker refused the subscription to {result_topic}: {rcs[0]}" if refused else True

    def on_message(c, u, msg):
        try:
            r = json.loads(msg.payload.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return
        if isinstance(r, dict) and r.get("id") == command.get("id"):
            state["result"] = r

    def on_publish(c, u, mid, rc, props):
        state["acked"] = True if not rc.is_failure else f"the broker refused the command: {rc}"

    client.on_connect, client.on_subscribe = on_connect, on_subscribe
    client.on_message, client.on_publish = on_message, on_publish
    _connect(client, cfg, clean_start=True, session_s=0)
    connect_by = time.monotonic() + max(wait, 10.0)
    try:
        def pump(until: Callable[[], Any], deadline: float, what: str) -> None:
            while not until():
                if time.monotonic() > deadline:
                    raise ClientError(what)
                if client.loop(timeout=0.1) != mqtt.MQTT_ERR_SUCCESS:
                    raise ClientError(f"lost the connection to the broker at {cfg.host}:{cfg.port}")
                for key in ("connected", "subscribed", "acked"):
                    if isinstance(state[key], str):
                        raise ClientError(state[key])

        pump(lambda: state["connected"] is True and state["subscribed"] is True, connect_by,
             f"the broker at {cfg.host}:{cfg.port} did not accept the connection in time")
        client.publish(topic, json.dumps(command, ensure_ascii=False, sort_keys=True), qos=1)
        pump(lambda: state["acked"] is True, connect_by, "the broker did not acknowledge the command")
        log(f"command {command.get('id')} ({command.get('cmd')}) published to {topic}")
        if wait <= 0:
            return None
        pump(lambda: state["result"] is not None, time.monotonic() + wait,
             f"no result on {result_topic} within {wait:g} s (is the cabinet online?)")
        return state["result"]
    finally:
        try:
            client.disconnect()
            client.loop(timeout=0.1)
        except (OSError, ValueError):
            pass
