"""The outbox sender: one thread that carries the cabinet's messages to the fleet broker and nothing is lost.

Why built this way:

- The outbox table is the only durable queue. A row is marked sent only when the broker's PUBACK for it has
  arrived; until then it stays pending in the database, across broker restarts, network outages and kiosk
  restarts. Every payload carries a stable ``msg_id`` (events their ``id``), so the QoS 1 repeats this allows
  are recognisable by the receiver.
- Hence a fresh MQTT session on every connection (``clean_start=True``, session expiry 0): a broker-side
  session would only duplicate what the outbox already guarantees, would be lost anyway when a broker without
  persistence restarts, and would queue remote commands for us while we are away, which are stale (refused
  by their timestamp) by the time we return. What was published but not acknowledged is published again:
  within a run paho re-sends its unacknowledged messages on the next connection (same packet id, so the
  acknowledgement still finds its row); after a restart the link starts from the pending rows and the events
  cursor. Subscriptions are renewed on every connection.
- Audit events go out in id order; ``publish_cursor`` ("events") advances only over a contiguous run of
  acknowledged ids, so a restart re-sends exactly the unacknowledged tail and skips nothing.
- SQLite is touched only on this thread, through its own ``Store`` (WAL lets it run beside the kiosk's
  connection). paho's callbacks run on paho's network thread and only put items on a queue that this thread
  drains; acknowledgements collected in one drain are written in one transaction. Remote commands are the
  exception: ``on_command`` is called on paho's thread with the raw bytes, and the composition root bridges
  them to the thread that owns the core.
- This thread, not paho, reconnects (exponential backoff with jitter, so a fleet does not stampede a broker
  that comes back), so every failed attempt is reported in one line with its reason and ``stop()`` never
  waits in paho's retry sleep. ``on_state`` is called on every change of (connected, message).
- Errors are one-line log messages naming the message id, never the payload (it may hold a password).
"""

from __future__ import annotations

import logging
import queue
import random
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from . import outbox
from .config import Config
from .keys import Keyring, SecretError
from .mqtt_client import (build_client, command_topic, encode, events_topic, json_properties, offline_status,
                          result_topic, status_topic)
from .store import Store, StoreError

log = logging.getLogger(__name__)

EVENTS = "events"  # the publish_cursor stream of the audit log
POLL_S = 1.0  # rows written without a notify() (another process, a missed call) are found this often
CONNACK_TIMEOUT_S = 10.0  # a broker that accepted TCP but never answers the CONNECT is dropped after this
STOP_FLUSH_S = 1.5  # on stop, how long the graceful "offline" status may wait for its acknowledgement
MAX_RESULTS = 100  # command results kept while disconnected (they are answers, not records: the log has them)


class MqttLink(threading.Thread):
    def __init__(self, config: Config, db_path: Path, keys: Keyring, *,
                 on_command: Callable[[bytes], None] | None,
                 on_state: Callable[[bool, str], None] | None = None, clock: Callable[[], float] = time.time,
                 batch: int = 50, backoff: tuple[float, float] = (0.5, 30.0)) -> None:
        if not config.mqtt.enabled:
            raise ValueError("mqtt.host: no broker is configured, so there is no link to start")
        super().__init__(name=f"mqtt-link-{config.cabinet_id}", daemon=True)
        self.config = config
        self.db_path = Path(db_path)
        self.keys = keys
        self.on_command = on_command
        self.on_state = on_state
        self.clock = clock
        self.batch = max(1, int(batch))
        self.backoff = (max(0.01, float(backoff[0])), max(float(backoff[0]), float(backoff[1])))
        self.connected = False  # written by the link's thread only
        self.stats: dict[str, int] = dict.fromkeys(
            ("published", "acked", "sent", "events", "failed", "retries", "connect_attempts", "connects",
             "disconnects", "commands"), 0)
        self._inbox: queue.SimpleQueue[tuple] = queue.SimpleQueue()
        self._stopping = threading.Event()
        self._addr = f"{config.mqtt.host}:{config.mqtt.port}"
        self._cab = config.cabinet_id
        self._props = json_properties()
        # Everything below belongs to the link's thread.
        self._client: mqtt.Client | None = None
        self._gen = 0  # connection generation: connect/disconnect callbacks of an older one are ignored
        self._connecting = False
        self._connack_deadline = 0.0
        self._next_attempt = 0.0
        self._delay = self.backoff[0]
        self._state: tuple[bool, str] | None = None
        self._window = self.batch
        self._inflight: dict[int, tuple[str, Any]] = {}  # paho mid -> (kind, key)
        self._out_after = 0  # highest outbox row id handed to paho
        self._out_count = 0
        self._cursor = 0  # events: highest id acknowledged in order (durable in publish_cursor)
        self._ev_after = 0  # highest event id handed to paho
        self._ev_seq: deque[int] = deque()  # event ids in flight or refused, in id order
        self._ev_acked: set[int] = set()
        self._ev_count = 0
        self._retry: dict[tuple[str, Any], float] = {}  # (kind, key) refused by the broker -> when to retry
        self._failures: dict[tuple[str, Any], int] = {}
        self._status: dict[str, Any] | None = None
        self._status_due = False
        self._results: deque[dict[str, Any]] = deque(maxlen=MAX_RESULTS)
        self._to_sent: list[str] = []  # database writes collected during one step
        self._to_failed: list[tuple[str, str]] = []
        self._cursor_dirty = False
        self._offline_acked = False

    # ---- any thread --------------------------------------------------------------------------------------

    def notify(self) -> None:
        """New outbox rows or audit events exist: look now rather than at the next poll."""
        self._inbox.put(("notify",))

    def publish_status(self, status: dict[str, Any]) -> None:
        """The retained status; the latest one wins and is published again after every reconnect."""
        self._inbox.put(("status", dict(status)))

    def publish_result(self, result: dict[str, Any]) -> None:
        self._inbox.put(("result", dict(result)))

    def stop(self, timeout: float = 10.0) -> bool:
        """Publish the retained "offline" status (when connected), disconnect, end the thread."""
        self._stopping.set()
        self._inbox.put(("stop",))
        if not self.is_alive() or threading.current_thread() is self:
            return not self.is_alive()
        self.join(timeout)
        return not self.is_alive()

    # ---- the link's thread ---------------------------------------------------------------------------------

    def run(self) -> None:
        try:
            store = Store(self.db_path)
        except StoreError as e:
            self._set_state(False, f"outbox database unusable: {e}")
            self._stopping.wait()
            return
        try:
            self._cursor = self._ev_after = outbox.cursor(store.conn, EVENTS)
            while not self._stopping.is_set():
                self._step(store)
        except Exception as e:  # a bug: rows stay pending and go out after a restart
            log.exception("mqtt link stopped by an error: %s", e)
            self._set_state(False, f"link stopped by an error: {e}")
        finally:
            try:
                self._shutdown(store)
            finally:
                store.close()

    def _step(self, store: Store) -> None:
        now = time.monotonic()
        if not self.connected and not self._connecting and now >= self._next_attempt:
            self._connect()
        elif self._connecting and now >= self._connack_deadline:
            self._abandon(f"broker {self._addr} did not answer the connection within {CONNACK_TIMEOUT_S:.0f} s")
        if self.connected:
            self._pump(store.conn)
        self._commit(store)
        self._drain(self._wait_s())
        self._commit(store)

    def _wait_s(self) -> float:
        now = time.monotonic()
        t = POLL_S
        if self._connecting:
            t = min(t, self._connack_deadline - now)
        elif not self.connected:
            t = min(t, self._next_attempt - now)
        elif self._retry:
            t = min(t, min(self._retry.values()) - now)
        return max(0.0, t)

    # ---- connection ----------------------------------------------------------------------------------------

    def _connect(self) -> None:
        m = self.config.mqtt
        self.stats["connect_attempts"] += 1
        if self._client is None:
            try:
                self._client = self._build()
            except (OSError, ValueError) as e:  # ssl.SSLError is an OSError
                self._fail(f"MQTT client setup failed: {_reason(e)}")
                return
        else:
            self._client.loop_stop()  # the last connection's network thread has ended: join it
        self._gen += 1
        self._client.user_data_set(self._gen)
        try:
            self._client.connect(m.host, m.port, keepalive=m.keepalive_s, clean_start=True)
        except (OSError, ValueError) as e:
            self._fail(f"cannot connect to broker {self._addr}: {_reason(e)}")
            return
        self._client.loop_start()
        self._connecting = True
        self._connack_deadline = time.monotonic() + CONNACK_TIMEOUT_S

    def _build(self) -> mqtt.Client:
        client = build_client(self.config)
        client.max_inflight_messages_set(self.batch + 10)  # the window plus status and results
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        return client

    def _fail(self, message: str) -> None:
        """Not connected, for the reason given: try again after the backoff (with jitter)."""
        self._next_attempt = time.monotonic() + self._delay * random.uniform(0.75, 1.0)
        self._delay = min(self._delay * 2, self.backoff[1])
        self._set_state(False, message + " (retrying)")

    def _abandon(self, message: str) -> None:
        assert self._client is not None
        self._connecting = False
        self._client.disconnect()
        self._client.loop_stop()
        self._fail(message)

    def _set_state(self, connected: bool, message: str, level: int = logging.WARNING) -> None:
        if self._state == (connected, message):
            return
        self._state = (connected, message)
        log.log(logging.INFO if connected else level, "mqtt: %s", message)
        if self.on_state is not None:
            try:
                self.on_state(connected, message)
            except Exception as e:  # noqa: BLE001 - a display problem must not stop the sending
                log.error("mqtt: state callback failed: %s", e)

    # ---- paho's thread: only queue what happened -------------------------------------------------------------

    def _on_connect(self, _client, gen, _flags, reason, properties) -> None:
        receive_max = getattr(properties, "ReceiveMaximum", None) if properties is not None else None
        self._inbox.put(("connack", gen, not reason.is_failure, str(reason), receive_max))

    def _on_disconnect(self, _client, gen, _flags, reason, _properties) -> None:
        self._inbox.put(("disconnect", gen, str(reason)))

    def _on_publish(self, _client, _gen, mid, reason, _properties) -> None:
        self._inbox.put(("ack", mid, str(reason) if reason.is_failure else None))

    def _on_subscribe(self, _client, _gen, _mid, reason_codes, _properties) -> None:
        refused = [str(r) for r in reason_codes if r.is_failure]
        if refused:
            log.error("mqtt: broker refused the subscription to %s: %s", command_topic(self._cab), refused[0])

    def _on_message(self, _client, _gen, msg: mqtt.MQTTMessage) -> None:
        if msg.topic != command_topic(self._cab):
            return
        self.stats["commands"] += 1
        if self.on_command is None:
            log.warning("mqtt: remote command ignored: this kiosk has no command handler")
            return
        try:
            self.on_command(bytes(msg.payload))
        except Exception as e:  # noqa: BLE001 - a bad command must not stop paho's network thread
            log.error("mqtt: remote command handler failed: %s", e)

    # ---- the queue --------------------------------------------------------------------------------------------

    def _drain(self, timeout: float) -> None:
        try:
            items = [self._inbox.get(timeout=timeout) if timeout > 0 else self._inbox.get_nowait()]
        except queue.Empty:
            return
        while len(items) < 2000:
            try:
                items.append(self._inbox.get_nowait())
            except queue.Empty:
                break
        for item in items:
            self._handle(item)

    def _handle(self, item: tuple) -> None:
        kind = item[0]
        if kind == "ack":
            self._acked(item[1], item[2])
        elif kind == "connack":
            _, gen, ok, reason, receive_max = item
            if gen != self._gen or not self._connecting:
                return
            self._connecting = False
            if not ok:
                self._fail(f"broker {self._addr} refused the connection: {reason}")
                return
            assert self._client is not None
            self.connected = True
            self._delay = self.backoff[0]
            self.stats["connects"] += 1
            self._window = max(1, min(self.batch, receive_max)) if receive_max else self.batch
            self._client.subscribe(command_topic(self._cab), qos=1)
            self._status_due = self._status is not None
            self._set_state(True, f"connected to broker {self._addr}")
        elif kind == "disconnect":
            _, gen, reason = item
            if gen != self._gen or not (self.connected or self._connecting):
                return
            was, self.connected, self._connecting = self.connected, False, False
            if was:
                self.stats["disconnects"] += 1
                self._fail(f"connection to broker {self._addr} lost: {reason}")
            else:
                self._fail(f"broker {self._addr} closed the connection: {reason}")
        elif kind == "status":
            self._status, self._status_due = item[1], True
        elif kind == "result":
            self._results.append(item[1])
        # "notify" and "stop" only wake the loop.

    def _acked(self, mid: int, refused: str | None) -> None:
        what = self._inflight.pop(mid, None)
        if what is None:
            return
        kind, key = what
        if kind == "outbox":
            self._out_count -= 1
        elif kind == "event":
            self._ev_count -= 1
        elif kind == "offline":
            self._offline_acked = True
        if refused is not None:
            self.stats["failed"] += 1
            name = key[1] if kind == "outbox" else key
            log.error("mqtt: broker refused %s %s: %s", kind, name, refused)
            if kind == "outbox":
                self._to_failed.append((key[1], f"broker refused: {refused}"))
                self._later(("outbox", key[1]))
            elif kind == "event":
                self._later(("event", key))
            return
        self.stats["acked"] += 1
        if kind == "outbox":
            self._to_sent.append(key[1])
            self._failures.pop(("outbox", key[1]), None)
        elif kind == "event":
            self.stats["events"] += 1
            self._failures.pop(("event", key), None)
            self._ev_acked.add(key)
            while self._ev_seq and self._ev_seq[0] in self._ev_acked:
                self._cursor = self._ev_seq.popleft()
                self._ev_acked.discard(self._cursor)
                self._cursor_dirty = True

    def _later(self, key: tuple[str, Any]) -> None:
        n = self._failures[key] = self._failures.get(key, 0) + 1
        self._retry[key] = time.monotonic() + min(self.backoff[1], self.backoff[0] * 2 ** (n - 1))

    def _commit(self, store: Store) -> None:
        """The acknowledgements and refusals collected so far, in one transaction (one fsync)."""
        if not (self._to_sent or self._to_failed or self._cursor_dirty):
            return
        now = self.clock()
        try:
            with store.transaction() as c:
                for msg_id in self._to_sent:
                    outbox.mark_sent(c, msg_id, now)
                for msg_id, error in self._to_failed:
                    outbox.mark_failed(c, msg_id, error)
                if self._cursor_dirty:
                    outbox.set_cursor(c, EVENTS, self._cursor)
        except sqlite3.Error as e:  # kept for the next step; a restart would re-send them (same ids)
            log.error("mqtt: cannot record %d acknowledgements: %s", len(self._to_sent), e)
            return
        self.stats["sent"] += len(self._to_sent)
        self._to_sent.clear()
        self._to_failed.clear()
        self._cursor_dirty = False

    # ---- publishing -----------------------------------------------------------------------------------------

    def _room(self) -> int:
        return self._window - self._out_count - self._ev_count

    def _pump(self, conn: sqlite3.Connection) -> None:
        now = time.monotonic()
        for key, due in sorted(self._retry.items(), key=lambda kv: kv[1]):
            if due > now or self._room() <= 0:
                break
            del self._retry[key]
            self.stats["retries"] += 1
            if key[0] == "outbox":
                row = outbox.pending_row(conn, key[1])
                if row is not None:
                    self._send_row(row)
            else:
                self._send_events(_events(conn, "id = ?", key[1], 1), retry=True)
        while self._room() > 0:  # passwords first: they are what a courier waits for
            rows = outbox.pending_rows(conn, self._room(), self._out_after)
            if not rows:
                break
            for row in rows:
                self._out_after = row["id"]
                self._send_row(row)
        while self._room() > 0:
            evs = _events(conn, "id > ?", self._ev_after, self._room())
            if not evs:
                break
            self._ev_after = evs[-1]["id"]
            self._send_events(evs)
        if self._status_due and self._status is not None:
            self._status_due = False
            err = self._publish(status_topic(self._cab), self._status, ("status", None), retain=True)
            if err:
                log.error("mqtt: status not published: %s", err)
        while self._results:
            result = self._results.popleft()
            err = self._publish(result_topic(self._cab), result, ("result", result.get("id")))
            if err:
                log.error("mqtt: command result %s not published: %s", result.get("id"), err)

    def _send_row(self, row: sqlite3.Row) -> None:
        msg_id = row["msg_id"]
        try:
            m = outbox.unseal(self.keys, row)
        except SecretError as e:  # never deliverable with this key: recorded, not retried in this run
            self.stats["failed"] += 1
            log.error("mqtt: outbox message %s cannot be sent: %s", msg_id, e)
            self._to_failed.append((msg_id, str(e)))
            return
        err = self._publish(m.topic, m.payload, ("outbox", (row["id"], msg_id)))
        if err:
            self.stats["failed"] += 1
            if ("outbox", msg_id) not in self._failures:
                log.error("mqtt: outbox message %s not published: %s", msg_id, err)
            self._to_failed.append((msg_id, err))
            self._later(("outbox", msg_id))
            return
        self._out_count += 1

    def _send_events(self, rows: list[sqlite3.Row], retry: bool = False) -> None:
        for r in rows:
            body = {"schema": 1, "type": "event", "id": r["id"], "ts": r["ts"], "kind": r["kind"],
                    "actor": r["actor"], "box": r["box_no"], "tracking": r["tracking"], "hash": r["hash"],
                    "prev_hash": r["prev_hash"]}
            if not retry:
                self._ev_seq.append(r["id"])
            err = self._publish(events_topic(self._cab), body, ("event", r["id"]))
            if err:
                self.stats["failed"] += 1
                if ("event", r["id"]) not in self._failures:
                    log.error("mqtt: event %s not published: %s", r["id"], err)
                self._later(("event", r["id"]))
            else:
                self._ev_count += 1

    def _publish(self, topic: str, body: dict[str, Any], what: tuple[str, Any], retain: bool = False) -> str | None:
        """Hand one message to paho (QoS 1); None when it is in flight (sent, or queued for the next
        connection), else the reason in one line."""
        assert self._client is not None
        try:
            info = self._client.publish(topic, encode(body), qos=1, retain=retain, properties=self._props)
        except (ValueError, TypeError) as e:
            return f"cannot publish to {topic}: {e}"
        if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
            return f"cannot publish to {topic}: {mqtt.error_string(info.rc)}"
        self._inflight[info.mid] = what
        self.stats["published"] += 1
        return None

    # ---- stop ---------------------------------------------------------------------------------------------

    def _shutdown(self, store: Store) -> None:
        client = self._client
        if client is None:
            return
        if self.connected:
            offline = offline_status(self._cab, "stopped", self.clock())
            if self._publish(status_topic(self._cab), offline, ("offline", None), retain=True) is None:
                # The broker answers in order: once this is acknowledged, so is everything sent before it.
                deadline = time.monotonic() + STOP_FLUSH_S
                while not self._offline_acked and time.monotonic() < deadline:
                    self._drain(deadline - time.monotonic())
                self._commit(store)
        if self.connected or self._connecting:
            client.disconnect()  # a normal DISCONNECT: the broker discards the will; "offline" is published
        client.loop_stop()
        self.connected = self._connecting = False
        self._set_state(False, "disconnected: the link is stopped", logging.INFO)


def _events(conn: sqlite3.Connection, where: str, value: int, limit: int) -> list[sqlite3.Row]:
    """Audit events to publish: no ``data`` column (it may hold personal details; the fleet gets the chain)."""
    return conn.execute("SELECT id, ts, kind, actor, box_no, tracking, hash, prev_hash FROM events"
                        f" WHERE {where} ORDER BY id LIMIT ?", (value, limit)).fetchall()


def _reason(e: BaseException) -> str:
    """An exception as a short line: OpenSSL's verify message, the OS error text, or str()."""
    text = getattr(e, "verify_message", None) or getattr(e, "strerror", None) or str(e) or type(e).__name__
    return " ".join(str(text).split())[:200]
