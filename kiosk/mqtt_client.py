"""The cabinet's paho client as the fleet broker sees it: identity, credentials, TLS, last will, topics.

Why a module of its own: everything here is decided once from the config before the first connection, and a
test must be able to check it (the credentials and the TLS files really reach paho) without a TLS broker; the
sending logic in ``mqtt_link`` then only publishes and counts acknowledgements.

Choices: paho-mqtt 2 with the VERSION2 callbacks and MQTT 5. ``reconnect_on_failure=False``: the link, not
paho, decides when to reconnect, so a failed attempt reports its real reason (refused, timed out, certificate
rejected) in one line and ``stop()`` is never stuck in paho's retry sleep. The last will is the retained
"offline" status, so the fleet sees a cabinet that lost power or network within 1.5 × keepalive.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from .config import Config, MqttConfig

SCHEMA = 1
CONNECT_TIMEOUT_S = 5.0  # TCP + TLS handshake; also bounds how long stop() can wait on an attempt in progress


def status_topic(cabinet_id: str) -> str:
    return f"lockers/{cabinet_id}/status"


def events_topic(cabinet_id: str) -> str:
    return f"lockers/{cabinet_id}/events"


def command_topic(cabinet_id: str) -> str:
    return f"lockers/{cabinet_id}/cmd"


def result_topic(cabinet_id: str) -> str:
    return f"lockers/{cabinet_id}/cmd/result"


def client_id(config: Config) -> str:
    return config.mqtt.client_id or f"kiosk-{config.cabinet_id}"


def offline_status(cabinet_id: str, reason: str, ts: float | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"schema": SCHEMA, "type": "status", "state": "offline", "cabinet": cabinet_id,
                            "reason": reason}
    if ts is not None:
        body["ts"] = ts
    return body


def encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def json_properties(packet: int = PacketTypes.PUBLISH) -> Properties:
    """MQTT 5 publish properties: UTF-8 JSON, so a generic fleet tool shows the payload as text."""
    props = Properties(packet)
    props.PayloadFormatIndicator = 1
    props.ContentType = "application/json"
    return props


def new_client(m: MqttConfig, client_id: str, factory: Callable[..., mqtt.Client] = mqtt.Client,
               **options: Any) -> mqtt.Client:
    """An unconnected MQTT 5 client with the config's credentials and TLS (the cabinet's link and the courier's
    handheld alike). Raises FileNotFoundError / ssl.SSLError / ValueError naming a TLS file that cannot be used."""
    client = factory(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=MQTTProtocolVersion.MQTTv5,
                     **options)
    if m.username:
        client.username_pw_set(m.username, m.password or None)
    if m.tls:
        for f in (m.ca_file, m.cert_file, m.key_file):
            if f is not None and not f.is_file():
                raise FileNotFoundError(f"TLS file not found: {f}")
        client.tls_set(ca_certs=str(m.ca_file) if m.ca_file else None,
                       certfile=str(m.cert_file) if m.cert_file else None,
                       keyfile=str(m.key_file) if m.key_file else None,
                       cert_reqs=ssl.CERT_REQUIRED, tls_version=ssl.PROTOCOL_TLS_CLIENT)
    return client


def build_client(config: Config, factory: Callable[..., mqtt.Client] = mqtt.Client) -> mqtt.Client:
    """The cabinet's configured, unconnected client, with its retained "offline" last will. Raises OSError /
    ssl.SSLError / ValueError with paho's or OpenSSL's reason when a TLS file cannot be loaded (the caller turns
    it into one line)."""
    client = new_client(config.mqtt, client_id(config), factory, reconnect_on_failure=False)
    client.connect_timeout = CONNECT_TIMEOUT_S
    client.will_set(status_topic(config.cabinet_id),
                    encode(offline_status(config.cabinet_id, "connection lost")), qos=1, retain=True,
                    properties=json_properties(PacketTypes.WILLMESSAGE))
    return client
