"""The cabinet's use cases: every one is one method, one SQLite transaction and one audit event.

Why this shape: a parcel locker is judged in disputes ("my parcel was not there", "I never refused it"), so
each state change must be atomic with the event that proves it and the message that announces it. Hardware is
reached only through ``LockBank``; the lock is commanded *after* the transaction commits, so the log never
lacks an opening that happened, and a failed command is undone by its own compensating transaction.

Parcel states (DESIGN.md section 3, plus ``picking``, ``unconfirmed`` and ``released``, see DESIGN.md):
reserved → stored → picking → collected | refused;  stored → overdue;  refused | overdue → returned;
reserved → cancelled;  picking --door closed, no choice--> collected | refused | unconfirmed;
any occupying state --maintainer--> released.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from . import audit, clips, outbox, passwords, pins, throttle, validate
from .clock import Clock, SystemClock
from .config import SIZES, Config
from .keys import Keyring
from .model import (BoxLocked, BoxState, Clip, Courier, DeviceFault, DoorClosed, Expired, InvalidInput,
                    InvalidState, KioskError, Lockout, NoFreeBox, NotRecognised, NotYourParcel, Opened, Parcel,
                    PickupResult, PinLocked, StorageFailure, Throttled, TooManyAttempts, Unavailable, UnknownBox, UnknownCourier,
                    WrongPassword, WrongPin)
from .ports import DeviceUnavailable, LockBank
from .schema import ACTIVE_STATES
from .store import Store
from .transactions import TransactionTracker

log = logging.getLogger(__name__)
T = TypeVar("T")

_ACTIVE_SQL = "(" + ", ".join(f"'{s}'" for s in ACTIVE_STATES) + ")"
_PARCEL_SQL = ("SELECT p.*, c.number AS courier_no FROM parcels p JOIN couriers c ON c.id = p.courier_id")


class CabinetService:
    def __init__(self, config: Config, store: Store, keys: Keyring, locks: LockBank,
                 clock: Clock | None = None) -> None:
        self.config = config
        self.store = store
        self.keys = keys
        self.locks = locks
        self.clock = clock or SystemClock()
        self._box_index = {validate.box_key(b.no): b.no for b in config.boxes}
        self.txns = TransactionTracker()  # which transaction is on camera; the UI context listens
        self.txns.on_complete.append(self._txn_complete)
        self._orphan_deposits: set[int] = set()  # deposits whose door was open at start-up (see recover)
        from .remote import RefusalBudget

        self.refusals = RefusalBudget()  # refused remote commands entered in the log one by one (kiosk/remote.py)
        self._sync_boxes()

    # ------------------------------------------------------------------------------------------ plumbing

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        try:
            with self.store.transaction() as c:
                yield c
        except sqlite3.OperationalError as e:
            log.error("database write failed: %s", e)
            raise StorageFailure(f"the cabinet cannot save data right now ({e}); nothing was changed") from None

    def _event(self, c: sqlite3.Connection, kind: str, actor: str, parcel: Parcel | None = None,
               box_no: str | None = None, **data: Any) -> int:
        box_no = box_no or (parcel.box_no if parcel else None)
        txn = self.txns.txn_for(box_no)
        if txn is not None and "txn" not in data:
            data["txn"] = txn  # ties the event to the clip of its transaction
        return audit.append(c, self.clock.now(), kind, actor, box_no=box_no,
                            parcel_id=parcel.id if parcel else None, tracking=parcel.tracking if parcel else None,
                            data=data)

    def _message(self, c: sqlite3.Connection, event_id: int, kind: str, parcel: Parcel, **payload: Any) -> str:
        cab = self.config
        body = {"cabinet": {"id": cab.cabinet_id, "site": cab.site, "address": cab.address,
                            "lat": cab.lat, "lon": cab.lon},
                "box": parcel.box_no, "tracking": parcel.tracking, **payload}
        return outbox.enqueue(c, self.keys, now=self.clock.now(), kind=kind,
                              topic=outbox.courier_topic(cab.cabinet_id, parcel.courier_no),
                              courier_no=parcel.courier_no, payload=body, event_id=event_id)

    def _sync_boxes(self) -> None:
        """Make the boxes table match the config; a box removed from the config is disabled, not deleted."""
        with self._tx() as c:
            have = {r["no"]: r for r in c.execute("SELECT * FROM boxes")}
            changes: dict[str, list[str]] = {"added": [], "changed": [], "disabled": []}
            for b in self.config.boxes:
                row = (b.size, int(b.accessible), int(b.ir), 1)
                old = have.get(b.no)
                if old is None:
                    c.execute("INSERT INTO boxes (no, size, accessible, has_ir, enabled) VALUES (?, ?, ?, ?, ?)",
                              (b.no, *row))
                    changes["added"].append(b.no)
                elif (old["size"], old["accessible"], old["has_ir"], old["enabled"]) != row:
                    c.execute("UPDATE boxes SET size = ?, accessible = ?, has_ir = ?, enabled = ? WHERE no = ?",
                              (*row, b.no))
                    changes["changed"].append(b.no)
            for no, old in have.items():
                if self.config.box(no) is None and old["enabled"]:
                    c.execute("UPDATE boxes SET enabled = 0 WHERE no = ?", (no,))
                    changes["disabled"].append(no)
            if any(changes.values()):
                self._event(c, "boxes_configured", "system", **{k: v for k, v in changes.items() if v})

    def _parcel(self, c: sqlite3.Connection, where: str, params: tuple) -> Parcel | None:
        r = c.execute(f"{_PARCEL_SQL} WHERE {where}", params).fetchone()
        return _parcel(r) if r else None

    def _active_parcel(self, c: sqlite3.Connection, box_no: str) -> Parcel | None:
        return self._parcel(c, f"p.box_no = ? AND p.state IN {_ACTIVE_SQL}", (box_no,))

    def _set_state(self, c: sqlite3.Connection, p: Parcel, state: str, **cols: Any) -> Parcel:
        now = self.clock.now()
        sets = {"state": state, "updated": now, **cols}
        if state in ("collected", "returned", "cancelled", "released"):
            sets.setdefault("finished_at", now)
        assign = ", ".join(f"{k} = ?" for k in sets)
        c.execute(f"UPDATE parcels SET {assign} WHERE id = ?", (*sets.values(), p.id))
        return self._parcel(c, "p.id = ?", (p.id,))  # type: ignore[return-value]

    def box_no(self, entered: str) -> str | None:
        """The configured box a customer meant ('a7' → 'A07'), or None."""
        key = validate.box_key(entered)
        return self._box_index.get(key) if key else None

    def _require_box(self, entered: str) -> str:
        no = self.box_no(entered)
        if no is None:
            raise UnknownBox(f"there is no box {entered!r} in this cabinet", box=entered)
        return no

    def _void_passwords(self, c: sqlite3.Connection, p: Parcel, reason: str) -> None:
        """The parcel's live password (if any) stops working now; the row stays as evidence."""
        c.execute("UPDATE passwords SET void_at = ?, void_reason = ? WHERE parcel_id = ?"
                  " AND used_at IS NULL AND void_at IS NULL", (self.clock.now(), reason, p.id))

    def _issue_password(self, c: sqlite3.Connection, p: Parcel) -> tuple[str, float]:
        """Void any live password of the parcel and draw a new one; returns (code, expiry)."""
        now = self.clock.now()
        self._void_passwords(c, p, "replaced")
        cfg = self.config.passwords

        def is_live(code: str) -> bool:
            d = passwords.digest(self.keys.password_key, code)
            return c.execute("SELECT 1 FROM passwords WHERE digest = ? AND used_at IS NULL AND void_at IS NULL"
                             " AND expires > ?", (d, now)).fetchone() is not None

        code = passwords.generate_unique(passwords.ALPHABETS[cfg.alphabet], cfg.length, is_live)
        expires = now + cfg.expiry_hours * 3600
        c.execute("INSERT INTO passwords (parcel_id, digest, created, expires) VALUES (?, ?, ?, ?)",
                  (p.id, passwords.digest(self.keys.password_key, code), now, expires))
        return code, expires

    def _password_message(self, c: sqlite3.Connection, event_id: int, p: Parcel, code: str, expires: float,
                          reason: str) -> None:
        self._message(c, event_id, "password", p, password=code, expires=expires, reason=reason,
                      qr=passwords.qr_payload(self.config.cabinet_id, p.box_no, code))

    def _unlock(self, box_no: str) -> str | None:
        """Command the lock after commit; returns an error line if it could not even be queued."""
        try:
            self.locks.unlock(box_no)
            txn = self.txns.current or self.txns.txn_for(box_no)
            if txn is not None:
                self.txns.door_commanded(txn, box_no)
            return None
        except DeviceUnavailable as e:
            log.error("unlock %s failed: %s", box_no, e)
            return str(e)

    # ------------------------------------------------------------------------------------------ couriers

    def add_courier(self, number: str, name: str, pin: str, actor: str = "maintainer") -> Courier:
        number, name = validate.courier_no(number), validate.name(name)
        pin_hash = pins.hash_pin(validate.pin(pin, self.config.couriers.pin_min_length))
        with self._tx() as c:
            row = c.execute("SELECT id, active FROM couriers WHERE number = ?", (number,)).fetchone()
            if row and row["active"]:
                raise InvalidInput(f"courier {number} already exists", field="courier_no")
            if row:  # re-activating a removed courier keeps the history of their parcels
                c.execute("UPDATE couriers SET name = ?, pin_hash = ?, active = 1, pin_failures = 0,"
                          " pin_locked_until = NULL WHERE id = ?", (name, pin_hash, row["id"]))
            else:
                c.execute("INSERT INTO couriers (number, name, pin_hash, created) VALUES (?, ?, ?, ?)",
                          (number, name, pin_hash, self.clock.now()))
            self._event(c, "courier_added", actor, courier=number, name=name)
            return self._courier(c, number)  # type: ignore[return-value]

    def remove_courier(self, number: str, actor: str = "maintainer") -> Courier:
        """Deactivate (their parcels keep pointing at them) and free their fingerprint slots."""
        with self._tx() as c:
            courier = self._courier(c, number)
            if courier is None or not courier.active:
                raise UnknownCourier(f"no active courier {number}", courier=number)
            c.execute("UPDATE couriers SET active = 0 WHERE id = ?", (courier.id,))
            c.execute("DELETE FROM fingers WHERE courier_id = ?", (courier.id,))
            self._event(c, "courier_removed", actor, courier=number, fingers=list(courier.fingers))
            return self._courier(c, number)  # type: ignore[return-value]

    def couriers(self, include_inactive: bool = False) -> list[Courier]:
        c = self.store.conn
        sql = "SELECT number FROM couriers" + ("" if include_inactive else " WHERE active = 1") + " ORDER BY number"
        return [self._courier(c, r[0]) for r in c.execute(sql).fetchall()]  # type: ignore[misc]

    def courier(self, number: str) -> Courier | None:
        return self._courier(self.store.conn, number)

    def _courier(self, c: sqlite3.Connection, number: str) -> Courier | None:
        r = c.execute("SELECT * FROM couriers WHERE number = ?", (number,)).fetchone()
        if r is None:
            return None
        slots = tuple(s[0] for s in c.execute("SELECT slot FROM fingers WHERE courier_id = ? ORDER BY slot", (r["id"],)))
        return Courier(r["id"], r["number"], r["name"], bool(r["active"]), slots)

    def assign_finger(self, number: str, slot: int, actor: str = "maintainer") -> Courier:
        """Record that sensor slot ``slot`` holds this courier's template (after enrolment on the sensor)."""
        with self._tx() as c:
            courier = self._courier(c, number)
            if courier is None or not courier.active:
                raise UnknownCourier(f"no active courier {number}", courier=number)
            owner = c.execute("SELECT courier_id FROM fingers WHERE slot = ?", (slot,)).fetchone()
            if owner and owner[0] != courier.id:
                raise InvalidInput(f"fingerprint slot {slot} already belongs to another courier", field="slot")
            c.execute("INSERT OR REPLACE INTO fingers (slot, courier_id, enrolled) VALUES (?, ?, ?)",
                      (slot, courier.id, self.clock.now()))
            self._event(c, "finger_enrolled", actor, courier=number, slot=slot)
            return self._courier(c, number)  # type: ignore[return-value]

    def login_finger(self, slot: int) -> Courier:
        with self._tx() as c:
            r = c.execute("SELECT c.number FROM fingers f JOIN couriers c ON c.id = f.courier_id"
                          " WHERE f.slot = ? AND c.active = 1", (slot,)).fetchone()
            if r is None:
                self._event(c, "courier_login_failed", "courier:?", method="finger", slot=slot)
                result: Courier | KioskError = NotRecognised("this finger is not enrolled to an active courier")
            else:
                result = self._courier(c, r[0])  # type: ignore[assignment]
                self._event(c, "courier_login", f"courier:{r[0]}", method="finger", slot=slot)
        return _raise_or(result)

    def login_pin(self, number: str, pin: str) -> Courier:
        number, pin = validate.typed(number), validate.typed(pin)
        cfg, now = self.config.couriers, self.clock.now()
        with self._tx() as c:
            wait = throttle.retry_at(c, self.config.throttle, now)
            r = c.execute("SELECT * FROM couriers WHERE number = ? AND active = 1", (number.strip(),)).fetchone()
            if wait is not None:
                result: Courier | KioskError = TooManyAttempts("too many failed attempts; wait", retry_at=wait)
            elif r is not None and r["pin_locked_until"] and r["pin_locked_until"] > now:
                result = PinLocked("PIN login for this courier is paused", until=r["pin_locked_until"])
            elif not pins.verify_pin(pin, r["pin_hash"] if r is not None else None):
                throttle.record_failure(c, now, "pin")
                left = None
                if r is not None:
                    failures = r["pin_failures"] + 1
                    until = now + cfg.pin_lock_minutes * 60 if failures >= cfg.pin_max_failures else None
                    c.execute("UPDATE couriers SET pin_failures = ?, pin_locked_until = ? WHERE id = ?",
                              (0 if until else failures, until, r["id"]))
                    left = 0 if until else cfg.pin_max_failures - failures
                self._event(c, "courier_login_failed", f"courier:{number.strip()[:20]}", method="pin", tries_left=left)
                result = WrongPin("courier number or PIN is wrong", tries_left=left)
            else:
                c.execute("UPDATE couriers SET pin_failures = 0, pin_locked_until = NULL WHERE id = ?", (r["id"],))
                self._event(c, "courier_login", f"courier:{r['number']}", method="pin")
                result = self._courier(c, r["number"])  # type: ignore[assignment]
        return _raise_or(result)

    # ------------------------------------------------------------------------------------------ deposit

    def free_counts(self, accessible_only: bool = False) -> dict[str, int]:
        counts = {s: 0 for s in SIZES}
        for no, size, _acc in self._free_boxes(self.store.conn, accessible_only):
            counts[size] += 1
        return counts

    def _free_boxes(self, c: sqlite3.Connection, accessible_only: bool) -> list[tuple[str, str, bool]]:
        rows = c.execute(
            "SELECT b.no, b.size, b.accessible FROM boxes b WHERE b.enabled = 1 AND b.out_of_service IS NULL"
            f" AND NOT EXISTS (SELECT 1 FROM parcels p WHERE p.box_no = b.no AND p.state IN {_ACTIVE_SQL})"
            + (" AND b.accessible = 1" if accessible_only else "") + " ORDER BY b.no").fetchall()
        # A door already open cannot be trusted to hold a parcel: leave it out until it closes.
        return [(r[0], r[1], bool(r[2])) for r in rows if self.locks.is_door_open(r[0]) is not True]

    def start_deposit(self, courier: Courier, size: str, tracking: str, phone: str | None = None,
                      consent: bool = False, accessible: bool = False) -> Parcel:
        """Reserve the smallest free box that fits (an accessible one on request) and open its door."""
        if size not in SIZES:
            raise InvalidInput(f"size must be one of {', '.join(SIZES)}", field="size")
        if not consent:
            raise InvalidInput("the recipient must have agreed to locker delivery", field="consent")
        tracking, phone = validate.tracking(tracking), validate.phone(phone)
        now = self.clock.now()
        with self._tx() as c:
            if c.execute(f"SELECT 1 FROM parcels WHERE tracking = ? AND state IN {_ACTIVE_SQL}", (tracking,)).fetchone():
                raise InvalidInput(f"parcel {tracking} is already in this cabinet", field="tracking")
            fits = [b for b in self._free_boxes(c, accessible) if SIZES.index(b[1]) >= SIZES.index(size)]
            if not fits:
                raise NoFreeBox(f"no free {'accessible ' if accessible else ''}box of size {size} or larger",
                                size=size)
            # Smallest size first; keep accessible boxes for those who ask for them.
            no = min(fits, key=lambda b: (SIZES.index(b[1]), b[2] and not accessible, b[0]))[0]
            cur = c.execute("INSERT INTO parcels (tracking, box_no, courier_id, phone, consent, state, created,"
                            " updated) VALUES (?, ?, ?, ?, 1, 'reserved', ?, ?)",
                            (tracking, no, courier.id, phone, now, now))
            p = self._parcel(c, "p.id = ?", (cur.lastrowid,))
            assert p is not None
            self._event(c, "deposit_started", f"courier:{courier.number}", p, size=size, asked_accessible=accessible,
                        phone_given=phone is not None, consent=True)
        self._after_unlock(p)
        return p

    def _after_unlock(self, p: Parcel) -> None:
        error = self._unlock(p.box_no)
        if error is not None:
            self.unlock_failed(p.box_no, error)

    def reopen(self, courier: Courier, parcel_id: int) -> Parcel:
        """Open a reserved box again (e.g. the door was closed before the parcel went in)."""
        with self._tx() as c:
            p = self._courier_parcel(c, courier, parcel_id, ("reserved",))
            self._event(c, "deposit_reopened", f"courier:{courier.number}", p)
        self._after_unlock(p)
        return p

    def cancel_deposit(self, courier: Courier, parcel_id: int) -> Parcel:
        with self._tx() as c:
            p = self._courier_parcel(c, courier, parcel_id, ("reserved",))
            p = self._set_state(c, p, "cancelled")
            self._event(c, "deposit_cancelled", f"courier:{courier.number}", p)
            return p

    def _courier_parcel(self, c: sqlite3.Connection, courier: Courier, parcel_id: int,
                        states: tuple[str, ...]) -> Parcel:
        p = self._parcel(c, "p.id = ?", (parcel_id,))
        if p is None:
            raise InvalidState(f"no parcel {parcel_id}")
        if p.courier_no != courier.number:
            raise NotYourParcel(f"parcel {p.tracking} belongs to another courier")
        if p.state not in states:
            raise InvalidState(f"parcel {p.tracking} is {p.state}, expected {' or '.join(states)}")
        return p

    # ------------------------------------------------------------------------------------------ doors

    def door_closed(self, box_no: str) -> DoorClosed:
        """A door reported closed: finishes a deposit, or ends a pickup in which nobody chose."""
        box_no = self._require_box(box_no)
        try:
            return self._door_closed(box_no)
        finally:
            self.txns.door_closed(box_no)  # its transaction may be over: the recorder stops after post-roll

    def _door_closed(self, box_no: str) -> DoorClosed:
        with self._tx() as c:
            p = self._active_parcel(c, box_no)
            inside = self.locks.item_inside(box_no)
            if p is not None and p.state == "reserved":
                if inside is False and p.id in self._orphan_deposits:  # shut empty after a restart: give it back
                    self._orphan_deposits.discard(p.id)
                    p = self._set_state(c, p, "cancelled")
                    self._event(c, "deposit_cancelled", "system", p, reason="closed empty after a restart")
                    return DoorClosed(box_no, "none", p)
                if inside is False:
                    self._event(c, "deposit_empty", "device", p)
                    return DoorClosed(box_no, "deposit_empty", p)
                p = self._store_deposit(c, p, inside, "deposit_stored", "device")
                return DoorClosed(box_no, "stored", p)
            if p is not None and p.state == "picking":
                if inside is False:
                    p, action = self._set_state(c, p, "collected"), "collected"
                elif inside is True:
                    p, action = self._set_state(c, p, "refused", reason="closed_without_choice"), "refused"
                else:  # no IR sensor: nobody knows whether the parcel was taken; keep the box until checked
                    p, action = self._set_state(c, p, "unconfirmed", review=1), "unconfirmed"
                eid = self._event(c, "closed_without_choice", "device", p, outcome=action, item_inside=inside)
                self._message(c, eid, "notice", p, event=action, reason="closed_without_choice")
                return DoorClosed(box_no, action, p)
            self._event(c, "door_closed", "device", p, box_no=box_no, item_inside=inside)
            return DoorClosed(box_no, "none", p)

    def _store_deposit(self, c: sqlite3.Connection, p: Parcel, inside: bool | None, kind: str, actor: str,
                       **data: Any) -> Parcel:
        """The parcel is in and the door shut: stored, password drawn, courier told (one event)."""
        now = self.clock.now()
        # Unknown IR where a sensor exists, or no sensor at all after a crash: someone should look.
        review = inside is None and (self._has_ir(c, p.box_no) or kind == "recovered")
        p = self._set_state(c, p, "stored", stored_at=now, due_at=now + self.config.free_hours * 3600,
                            review=int(review))
        code, expires = self._issue_password(c, p)
        eid = self._event(c, kind, actor, p, item_inside=inside, expires=expires, **data)
        self._password_message(c, eid, p, code, expires, "deposit")
        return p

    def _restore_pickup(self, c: sqlite3.Connection, p: Parcel) -> Parcel:
        """The customer never got the parcel: back to stored, and the password they used works again."""
        c.execute("UPDATE passwords SET used_at = NULL WHERE id = (SELECT id FROM passwords WHERE"
                  " parcel_id = ? AND used_at IS NOT NULL ORDER BY id DESC LIMIT 1)", (p.id,))
        return self._set_state(c, p, "stored")

    def _undo_return(self, c: sqlite3.Connection, box_no: str, window_s: float = 120.0) -> Parcel | None:
        """A return whose door never opened: the parcel is still inside, as refused or overdue again."""
        p = self._parcel(c, "p.box_no = ? AND p.state = 'returned' AND p.finished_at >= ? ORDER BY p.finished_at"
                            " DESC LIMIT 1", (box_no, self.clock.now() - window_s))
        if p is None:
            return None
        was = next((e.data.get("was") for e in reversed(audit.events(c, parcel_id=p.id))
                    if e.kind == "return_collected"), None)
        return self._set_state(c, p, was, finished_at=None) if was in ("refused", "overdue") else p

    def _has_ir(self, c: sqlite3.Connection, box_no: str) -> bool:
        return bool(c.execute("SELECT has_ir FROM boxes WHERE no = ?", (box_no,)).fetchone()[0])

    def door_opened(self, box_no: str, commanded: bool = True) -> None:
        """Evidence of every opening; an opening nobody commanded is a tamper alarm."""
        box_no = self._require_box(box_no)
        if not commanded or self.txns.txn_for(box_no) is None:  # nobody's transaction: film it on its own
            self._begin_txn("tamper" if not commanded else "maintenance", "device", flow=False, boxes=(box_no,))
        with self._tx() as c:
            p = self._active_parcel(c, box_no)
            self._event(c, "door_opened" if commanded else "tamper", "device", p, box_no=box_no,
                        state=p.state if p else None)

    def unlock_failed(self, box_no: str, reason: str) -> Parcel | None:
        """The lock could not be opened: put the parcel back where it was so nothing is lost."""
        box_no = self._require_box(box_no)
        with self._tx() as c:
            p = self._active_parcel(c, box_no)
            if p is not None and p.state == "picking":
                p = self._restore_pickup(c, p)
            elif p is not None and p.state == "reserved":
                p = self._set_state(c, p, "cancelled")
            elif p is None:
                p = self._undo_return(c, box_no)
            self._event(c, "unlock_failed", "device", p, box_no=box_no, reason=reason[:200],
                        state=p.state if p else None)
        self.txns.door_never_opened(box_no)
        return p

    def recover(self) -> list[Parcel]:
        """At start-up, settle sessions a crash or power cut left open, using the doors' and IR's state now.

        A deposit whose door is closed completes if a parcel is inside (or there is no IR sensor to say
        otherwise: then it is flagged for review rather than risk overwriting a parcel), else it is cancelled.
        A pickup whose door is closed is collected if the box is empty; a parcel still inside goes back to
        ``stored`` with its password restored, since nobody can say the customer saw it. Open doors are left to
        the door events that will follow.
        """
        settled = []
        for p in self.parcels(states=("reserved", "picking")):
            if self.locks.is_door_open(p.box_no) is not False:
                if p.state == "reserved":  # its courier's screen is gone: nobody can reopen or cancel it
                    self._orphan_deposits.add(p.id)
                continue
            inside = self.locks.item_inside(p.box_no)
            with self._tx() as c:
                p = self._parcel(c, "p.id = ?", (p.id,))
                if p is None or p.state not in ("reserved", "picking"):
                    continue
                was = p.state
                if p.state == "reserved" and inside is False:
                    p = self._set_state(c, p, "cancelled")
                    self._event(c, "recovered", "system", p, was=was, state=p.state, item_inside=inside)
                elif p.state == "reserved":
                    p = self._store_deposit(c, p, inside, "recovered", "system", was=was, state="stored")
                elif inside is False:
                    p = self._set_state(c, p, "collected")
                    eid = self._event(c, "recovered", "system", p, was=was, state=p.state, item_inside=inside)
                    self._message(c, eid, "notice", p, event="collected")
                elif inside is True:
                    p = self._restore_pickup(c, p)
                    self._event(c, "recovered", "system", p, was=was, state=p.state, item_inside=inside)
                else:
                    p = self._set_state(c, p, "unconfirmed", review=1)
                    self._event(c, "recovered", "system", p, was=was, state=p.state, item_inside=inside)
            settled.append(p)
        return settled

    def doors_open_without_session(self) -> list[str]:
        """At start-up, after :meth:`recover`: doors that read open while no deposit or pickup holds their box.

        Nobody is known to be at such a door (the session that opened it died with the kiosk, or it was forced),
        so each gets a ``door_open_at_start`` event and the caller raises an alarm for the maintainer.
        """
        busy = {p.box_no for p in self.parcels(states=("reserved", "picking"))}
        found = [b.no for b in self.config.boxes if b.no not in busy and self.locks.is_door_open(b.no) is True]
        for box_no in found:
            with self._tx() as c:
                p = self._active_parcel(c, box_no)
                self._event(c, "door_open_at_start", "system", p, box_no=box_no, state=p.state if p else None)
        return found

    # ------------------------------------------------------------------------------------------ pickup

    def pickup(self, box_entered: str, password: str) -> PickupResult:
        box_entered, password = validate.typed(box_entered), validate.typed(password)
        now = self.clock.now()
        self.expire_lockouts()
        box_no = self.box_no(box_entered)
        cfg = self.config.lockout
        with self._tx() as c:
            wait = throttle.retry_at(c, self.config.throttle, now)
            if wait is not None:
                return Throttled(wait)
            if box_no is not None:
                lock = c.execute("SELECT until FROM lockouts WHERE box_no = ? AND ended_at IS NULL", (box_no,)).fetchone()
                if lock is not None:
                    return BoxLocked(lock[0])
            p = self._active_parcel(c, box_no) if box_no else None
            if p is not None and p.state not in ("stored", "overdue"):
                p = None
            rows = c.execute("SELECT id, digest, expires FROM passwords WHERE parcel_id = ? AND used_at IS NULL"
                             " AND void_at IS NULL ORDER BY id DESC", (p.id if p else -1,)).fetchall()
            live = next((r for r in rows if r["expires"] > now), None)
            stale = next((r for r in rows if r["expires"] <= now), None)
            # Always compute and compare one digest, so timing says nothing about the box's contents.
            ok = passwords.matches(self.keys.password_key, password, live["digest"] if live else b"\0" * 32)
            if ok and p is not None and live is not None:
                c.execute("UPDATE passwords SET used_at = ? WHERE id = ?", (now, live["id"]))
                p = self._set_state(c, p, "picking", wrong_tries=0)
                self._event(c, "pickup_opened", "customer", p)
                result: PickupResult = Opened(p)
            elif p is not None and stale is not None and passwords.matches(self.keys.password_key, password,
                                                                          stale["digest"]):
                self._event(c, "pickup_expired", "customer", p)
                return Expired()
            else:
                throttle.record_failure(c, now, "pickup")
                if p is None:
                    self._event(c, "pickup_failed", "customer", box_no=box_no, box_entered=box_entered[:8])
                    return WrongPassword(None)
                tries = p.wrong_tries + 1
                if tries < cfg.max_tries:
                    p = self._set_state(c, p, p.state, wrong_tries=tries)
                    self._event(c, "pickup_failed", "customer", p, tries_left=cfg.max_tries - tries)
                    return WrongPassword(cfg.max_tries - tries)
                until = now + cfg.minutes * 60
                self._void_passwords(c, p, "lockout")
                c.execute("INSERT INTO lockouts (box_no, parcel_id, started, until) VALUES (?, ?, ?, ?)",
                          (p.box_no, p.id, now, until))
                p = self._set_state(c, p, p.state, wrong_tries=tries)
                eid = self._event(c, "box_locked", "customer", p, until=until, tries=tries)
                self._message(c, eid, "notice", p, event="locked", until=until)
                return BoxLocked(until)
        error = self._unlock(p.box_no)
        if error is not None:
            self.unlock_failed(p.box_no, error)
            return Unavailable(error)
        return result

    def accept(self, parcel_id: int) -> Parcel:
        with self._tx() as c:
            p = self._customer_parcel(c, parcel_id)
            p = self._set_state(c, p, "collected")
            eid = self._event(c, "parcel_collected", "customer", p)
            self._message(c, eid, "notice", p, event="collected")
            return p

    def reject(self, parcel_id: int, reason: str) -> Parcel:
        reason = validate.reason(reason)
        with self._tx() as c:
            p = self._customer_parcel(c, parcel_id)
            p = self._set_state(c, p, "refused", reason=reason)
            eid = self._event(c, "parcel_refused", "customer", p, reason=reason)
            self._message(c, eid, "notice", p, event="refused", reason=reason)
            return p

    def _customer_parcel(self, c: sqlite3.Connection, parcel_id: int) -> Parcel:
        p = self._parcel(c, "p.id = ?", (parcel_id,))
        if p is None or p.state != "picking":
            raise InvalidState("this parcel is not open for pickup", parcel=parcel_id)
        return p

    # ------------------------------------------------------------------------------------------ lockouts

    def lockouts(self) -> list[Lockout]:
        rows = self.store.query(
            "SELECT l.box_no, l.parcel_id, p.tracking, c.number, l.started, l.until FROM lockouts l"
            " JOIN parcels p ON p.id = l.parcel_id JOIN couriers c ON c.id = p.courier_id"
            " WHERE l.ended_at IS NULL ORDER BY l.until")
        return [Lockout(*r) for r in rows]

    def clear_lockout(self, actor: Courier | str, box_entered: str) -> Parcel:
        """The parcel's courier (by finger) or a maintainer ends a lockout; a new password goes out at once."""
        box_no = self._require_box(box_entered)
        who = f"courier:{actor.number}" if isinstance(actor, Courier) else actor
        with self._tx() as c:
            row = c.execute("SELECT id, parcel_id FROM lockouts WHERE box_no = ? AND ended_at IS NULL",
                            (box_no,)).fetchone()
            if row is None:
                raise InvalidState(f"box {box_no} is not locked", box=box_no)
            p = self._parcel(c, "p.id = ?", (row["parcel_id"],))
            assert p is not None
            if isinstance(actor, Courier) and p.courier_no != actor.number:
                raise NotYourParcel(f"the parcel in {box_no} belongs to another courier", box=box_no)
            p = self._end_lockout(c, row["id"], p, who)
            code, expires = self._issue_password(c, p)
            eid = self._event(c, "lockout_cleared", who, p, expires=expires)
            self._password_message(c, eid, p, code, expires, "lockout_cleared")
            return p

    def reissue_password(self, box_entered: str, actor: str) -> Parcel:
        """A new password for the parcel waiting in a box (the courier lost the message, or support asks):
        the old one stops working, the new one goes to the courier. Not while the box is locked out."""
        box_no = self._require_box(box_entered)
        with self._tx() as c:
            p = self._active_parcel(c, box_no)
            if p is None or p.state not in ("stored", "overdue"):
                raise InvalidState(f"box {box_no} holds no parcel waiting for its customer", box=box_no)
            if c.execute("SELECT 1 FROM lockouts WHERE box_no = ? AND ended_at IS NULL", (box_no,)).fetchone():
                raise InvalidState(f"box {box_no} is locked after wrong passwords: clear the lockout instead",
                                   box=box_no)
            code, expires = self._issue_password(c, p)
            eid = self._event(c, "password_reissued", actor, p, expires=expires, reason="requested")
            self._password_message(c, eid, p, code, expires, "requested")
            return p

    def remote_command(self, raw: bytes, key: bytes | None) -> dict[str, Any]:
        """A signed command from the fleet (``kiosk/remote.py``): verified, logged, done; returns the result."""
        from . import remote

        return remote.execute(self, raw, key)

    def _end_lockout(self, c: sqlite3.Connection, lockout_id: int, p: Parcel, by: str) -> Parcel:
        c.execute("UPDATE lockouts SET ended_at = ?, ended_by = ? WHERE id = ?", (self.clock.now(), by, lockout_id))
        return self._set_state(c, p, p.state, wrong_tries=0)

    def expire_lockouts(self) -> list[Parcel]:
        """Lockouts past their end: a new password goes to the courier automatically (claim 5)."""
        done = []
        for row in self.store.query("SELECT id, parcel_id FROM lockouts WHERE ended_at IS NULL AND until <= ?",
                                    (self.clock.now(),)):
            with self._tx() as c:
                if c.execute("SELECT ended_at FROM lockouts WHERE id = ?", (row["id"],)).fetchone()[0] is not None:
                    continue
                p = self._end_lockout(c, row["id"], self._parcel(c, "p.id = ?", (row["parcel_id"],)), "timeout")
                code, expires = self._issue_password(c, p)
                eid = self._event(c, "password_reissued", "system", p, expires=expires, reason="lockout_expired")
                self._password_message(c, eid, p, code, expires, "lockout_expired")
                done.append(p)
        return done

    # ------------------------------------------------------------------------------------------ periodic

    def sweep_overdue(self) -> list[Parcel]:
        done = []
        now = self.clock.now()
        for row in self.store.query("SELECT id FROM parcels WHERE state = 'stored' AND due_at <= ?", (now,)):
            with self._tx() as c:
                p = self._parcel(c, "p.id = ? AND p.state = 'stored'", (row[0],))
                if p is None:
                    continue
                p = self._set_state(c, p, "overdue")
                eid = self._event(c, "parcel_overdue", "system", p, due_at=p.due_at)
                self._message(c, eid, "notice", p, event="overdue")
                done.append(p)
        return done

    def tick(self) -> dict[str, int]:
        """Run from a timer (the UI's, or the headless loop): lockout ends, overdue parcels, old failures, a count
        of remote refusals not entered one by one."""
        reissued = self.expire_lockouts()
        overdue = self.sweep_overdue()
        with self._tx() as c:
            pruned = throttle.prune(c, self.config.throttle, self.clock.now())
        from . import remote

        remote.flush_refusals(self)
        return {"reissued": len(reissued), "overdue": len(overdue), "pruned": pruned}

    # ------------------------------------------------------------------------------------------ returns

    def returns_for(self, courier: Courier) -> list[Parcel]:
        rows = self.store.query(f"{_PARCEL_SQL} WHERE p.courier_id = ? AND p.state IN ('refused', 'overdue')"
                                " ORDER BY p.box_no", (courier.id,))
        return [_parcel(r) for r in rows]

    def collect_return(self, courier: Courier, parcel_id: int) -> Parcel:
        """Open the box of a refused or overdue parcel for its courier; the parcel is then returned."""
        with self._tx() as c:
            p = self._courier_parcel(c, courier, parcel_id, ("refused", "overdue"))
            self._void_passwords(c, p, "returned")
            prior = p.state
            p = self._set_state(c, p, "returned")
            self._event(c, "return_collected", f"courier:{courier.number}", p, was=prior)
        error = self._unlock(p.box_no)
        if error is not None:
            return self.unlock_failed(p.box_no, error) or p
        return p

    def device_state(self, device: str, ok: bool, message: str) -> None:
        """A device came back or failed (camera, recorder): the log explains a gap in the video."""
        self._log_only("device_ok" if ok else "device_fault", None, device=device, message=message[:200])

    def _log_only(self, kind: str, p: Parcel | None, **data: Any) -> None:
        with self._tx() as c:
            self._event(c, kind, "device", p, **data)

    # ------------------------------------------------------------------------------------------ maintainer

    def maintainer_login(self, pin: str) -> None:
        """The diagnostic screen's door: the PIN hash comes from the config; repeated failures pause it."""
        cfg, now = self.config.ui, self.clock.now()
        if not cfg.maintainer_pin_hash:
            raise InvalidState("no maintainer PIN is configured (set ui.maintainer_pin_hash)")
        with self._tx() as c:
            since = now - cfg.maintainer_lock_minutes * 60
            n, last = c.execute("SELECT COUNT(*), MAX(ts) FROM failures WHERE kind = 'maintainer' AND ts > ?",
                                (since,)).fetchone()
            if n >= cfg.maintainer_max_failures:
                result: KioskError | None = PinLocked("maintainer login is paused after repeated failures",
                                                      until=last + cfg.maintainer_lock_minutes * 60)
            elif pins.verify_pin(pin, cfg.maintainer_pin_hash):
                c.execute("DELETE FROM failures WHERE kind = 'maintainer'")
                self._event(c, "maintainer_login", "maintainer")
                result = None
            else:
                throttle.record_failure(c, now, "maintainer")
                left = cfg.maintainer_max_failures - n - 1
                self._event(c, "maintainer_login_failed", "maintainer", tries_left=left)
                result = WrongPin("maintainer PIN is wrong", tries_left=left)
        if result is not None:
            raise result

    def maintainer_open(self, box_entered: str, reason: str, actor: str = "maintainer") -> Parcel | None:
        box_no = self._require_box(box_entered)
        self._maintenance_txn(actor, [box_no])
        with self._tx() as c:
            p = self._active_parcel(c, box_no)
            self._event(c, "maintainer_open", actor, p, box_no=box_no, reason=reason[:200])
        error = self._unlock(box_no)
        if error is not None:
            self._log_only("unlock_failed", p, reason=error)
            self.txns.door_never_opened(box_no)
            raise DeviceFault(f"box {box_no} could not be opened: {error}", box=box_no)
        return p

    def maintainer_open_all(self, reason: str, actor: str = "maintainer") -> list[str]:
        """Open every enabled box (after the screen's confirmation): one event listing them, then the pulses."""
        boxes = [b.no for b in self.boxes() if b.enabled]
        self._maintenance_txn(actor, boxes)
        with self._tx() as c:
            self._event(c, "maintainer_open_all", actor, reason=reason[:200], boxes=boxes)
        failed = [no for no in boxes if self._unlock(no) is not None]
        if failed:
            self._log_only("unlock_failed", None, boxes=failed, reason="open all")
            for no in failed:
                self.txns.door_never_opened(no)
        return [no for no in boxes if no not in failed]

    def force_release(self, box_entered: str, reason: str, actor: str = "maintainer") -> Parcel | None:
        """Free a box whatever it holds (stuck parcel, unconfirmed pickup); ends any lockout on it."""
        box_no = self._require_box(box_entered)
        with self._tx() as c:
            p = self._active_parcel(c, box_no)
            now = self.clock.now()
            c.execute("UPDATE lockouts SET ended_at = ?, ended_by = ? WHERE box_no = ? AND ended_at IS NULL",
                      (now, actor, box_no))
            if p is not None:
                self._void_passwords(c, p, "released")
                prior = p.state
                p = self._set_state(c, p, "released", reason=reason[:200])
                self._event(c, "box_released", actor, p, was=prior, reason=reason[:200])
            else:
                self._event(c, "box_released", actor, box_no=box_no, reason=reason[:200])
            return p

    # ------------------------------------------------------------------------------------------ video

    def begin_txn(self, kind: str, actor: str) -> str:
        """A screen flow starts (courier identified, customer begins a pickup): the recorder starts a clip."""
        return self._begin_txn(kind, actor, flow=True)

    def end_txn(self, txn: str | None = None) -> None:
        """The flow's screens went home; its clip ends once its doors are shut (plus the post-roll)."""
        self.txns.flow_ended(txn)

    def _begin_txn(self, kind: str, actor: str, *, flow: bool, boxes: tuple[str, ...] = ()) -> str:
        now = self.clock.now()
        with self._tx() as c:
            n = c.execute("SELECT COUNT(*) FROM transactions").fetchone()[0]
            txn = f"T{n + 1:06d}"
            first = c.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM events").fetchone()[0]
            c.execute("INSERT INTO transactions (id, kind, actor, started, first_event) VALUES (?, ?, ?, ?, ?)",
                      (txn, kind, actor, now, first))
        self.txns.started(txn, kind, actor, flow=flow)
        for box_no in boxes:  # held from now on, so it cannot end before its doors have opened and shut
            self.txns.door_commanded(txn, box_no)
        return txn

    def _maintenance_txn(self, actor: str, boxes: list[str]) -> None:
        """A maintainer's opening is filmed: in the current flow's clip, else in one of its own."""
        if self.txns.current is None:
            self._begin_txn("maintenance", actor, flow=False, boxes=tuple(boxes))

    def _txn_complete(self, txn: str) -> None:
        try:
            with self._tx() as c:
                c.execute("UPDATE transactions SET ended = ? WHERE id = ?", (self.clock.now(), txn))
        except StorageFailure as e:  # the clip still gets recorded; only the end time is missing
            log.error("transaction %s: %s", txn, e)

    def record_clip(self, *, txn: str, part: int, kind: str, path: str | Path, started: float, ended: float,
                    txn_started: float, preroll_s: float, frames: int, bytes: int, sha256: str,
                    boxes: tuple[str, ...] | list[str], complete: bool, note: str = "") -> Clip:
        """A finished clip: its row, the parcels it shows, and a ``clip_recorded`` event with its hash."""
        with self._tx() as c:
            return clips.record(c, self, txn=txn, part=part, kind=kind, file=self.clip_file(path),
                                started=started, ended=ended, txn_started=txn_started, preroll_s=preroll_s,
                                frames=frames, size=bytes, sha256=sha256, boxes=tuple(boxes),
                                complete=complete, note=note)

    def clip_file(self, path: str | Path) -> str:
        """A clip's name as stored: relative to the video directory when inside it."""
        p = Path(path)
        try:
            return p.resolve().relative_to(self.video_dir.resolve()).as_posix()
        except ValueError:
            return str(p)

    @property
    def video_dir(self) -> Path:
        return self.config.video_dir

    def clip_path(self, clip: Clip) -> Path:
        return self.video_dir / clip.file

    def clips(self, tracking: str | None = None, box: str | None = None, day: date | None = None,
              limit: int = 200) -> list[Clip]:
        """Newest first; deleted clips are listed too (``deleted_at`` set), their hashes stay in the log."""
        box_no = self.box_no(box) if box else None
        if box and box_no is None:
            return []
        return clips.query(self.store.conn, tracking=tracking, box=box_no, day=day, limit=limit)

    def apply_retention(self, free_bytes: Callable[[Path], int] | None = None) -> list[Clip]:
        """Delete clips past their age or beyond the quota, oldest first, never one held by an open dispute;
        and, while the disk is short of the reserve, more of the oldest. One event lists what went."""
        return clips.apply_retention(self, free_bytes)

    def evidence_exported(self, tracking: str, fingerprint: str, path: str, actor: str = "operator") -> None:
        """An evidence bundle left the cabinet: which parcel, which exact bundle, where to."""
        with self._tx() as c:
            self._event(c, "evidence_exported", actor, tracking=tracking, fingerprint=fingerprint, path=path)

    def support_exported(self, path: Path, size: int, sha256: str, actor: str = "maintainer") -> None:
        """A support bundle left the cabinet (kiosk/support.py): which file, how big, its SHA-256, where to."""
        with self._tx() as c:
            self._event(c, "support_exported", actor, file=path.name, dir=str(path.parent.resolve()), size=size,
                        sha256=sha256)

    def adopt_orphan_clips(self, probe: Callable[[Path], dict[str, Any]] | None = None) -> list[Clip]:
        """At start-up: clips on disk whose row was lost are registered from their sidecar, or, with the
        recorder's ``probe``, from the file itself when a kill left no sidecar."""
        return clips.adopt_orphans(self, probe)

    # ------------------------------------------------------------------------------------------ queries

    def parcel(self, parcel_id: int) -> Parcel | None:
        return self._parcel(self.store.conn, "p.id = ?", (parcel_id,))

    def parcels(self, tracking: str | None = None, states: tuple[str, ...] | None = None) -> list[Parcel]:
        where, params = [], []
        if tracking:
            where.append("p.tracking = ?")
            params.append(tracking)
        if states:
            where.append("p.state IN (" + ", ".join("?" * len(states)) + ")")
            params.extend(states)
        sql = _PARCEL_SQL + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY p.id"
        return [_parcel(r) for r in self.store.query(sql, tuple(params))]

    def boxes(self) -> list[BoxState]:
        c = self.store.conn
        active = {p.box_no: p for p in self.parcels(states=ACTIVE_STATES)}
        locks = dict(c.execute("SELECT box_no, until FROM lockouts WHERE ended_at IS NULL").fetchall())
        return [BoxState(r["no"], r["size"], bool(r["accessible"]), bool(r["has_ir"]), bool(r["enabled"]),
                         active.get(r["no"]), locks.get(r["no"]))
                for r in c.execute("SELECT * FROM boxes ORDER BY no")]

    def events(self, tracking: str | None = None, limit: int = 200) -> list[audit.Event]:
        """Newest first; ``tracking`` filters to one parcel's history."""
        return audit.events(self.store.conn, tracking=tracking.strip().upper() if tracking else None,
                            limit=limit, newest_first=True)

    def verify_log(self) -> audit.Verification:
        return audit.verify(self.store.conn)

    def outbox_counts(self) -> dict[str, int]:
        return outbox.counts(self.store.conn)

    def take_outbox(self, limit: int = 100) -> list[outbox.Message]:
        """A transport that delivers in-process (the simulated handheld) takes the pending messages:
        read and marked sent in one transaction, so none is handed over twice."""
        with self._tx() as c:
            msgs = outbox.pending(c, self.keys, limit)
            for m in msgs:
                outbox.mark_sent(c, m.msg_id, self.clock.now())
        return msgs

    def box_parcel(self, box_entered: str) -> Parcel | None:
        return self._active_parcel(self.store.conn, self._require_box(box_entered))


def _parcel(r: sqlite3.Row) -> Parcel:
    return Parcel(r["id"], r["tracking"], r["box_no"], r["courier_no"], r["state"], r["phone"], r["created"],
                  r["stored_at"], r["due_at"], r["wrong_tries"], r["reason"], bool(r["review"]))


def _raise_or(result: T | KioskError) -> T:
    if isinstance(result, KioskError):
        raise result
    return result
