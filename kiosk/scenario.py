"""A scripted day at the cabinet, run headless on emulated devices: the start command until the UI lands.

It does the real work the touchscreen will do — courier login, deposit through the lock board, the password
to the (simulated) handheld, a wrong try, the pickup, the accept — against the real database, the real audit
chain and whatever LockBank the composition root hands it, and checks every step. Door events arrive from the
device thread on a queue and are handled here, on the one thread that owns the database (Anki's pattern).
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from . import audit, outbox
from .model import Opened, WrongPassword
from .service import CabinetService

DEMO_COURIER, DEMO_PIN = "C1001", "246810"


class Person(Protocol):
    """Hands at the cabinet: in simulation, the emulator's doors and IR sensors."""

    def put_item(self, box_no: str, inside: bool) -> None: ...

    def close_door(self, box_no: str) -> None: ...


class QueuedDoorEvents:
    """DoorEvents that hand every report to the owner thread through a queue."""

    def __init__(self) -> None:
        self.q: queue.Queue[tuple[str, str, object]] = queue.Queue()

    def door_changed(self, box_no: str, is_open: bool) -> None:
        self.q.put(("door", box_no, is_open))

    def item_changed(self, box_no: str, inside: bool) -> None:
        self.q.put(("item", box_no, inside))

    def open_not_detected(self, box_no: str) -> None:
        self.q.put(("open_not_detected", box_no, None))

    def tamper(self, box_no: str) -> None:
        self.q.put(("tamper", box_no, None))

    def fault(self, device: str, message: str) -> None:
        self.q.put(("fault", device, message))


class ScenarioFailed(RuntimeError):
    pass


@dataclass
class Scenario:
    svc: CabinetService
    person: Person
    events: QueuedDoorEvents
    say: Callable[[str], None] = print
    timeout: float = 5.0

    def wait_door(self, box_no: str, is_open: bool) -> None:
        """Handle device reports until the door reads as wanted (bounded)."""
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            try:
                kind, who, value = self.events.q.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if kind == "fault":
                self.say(f"  ! device fault: {who}: {value}")
            elif kind == "door" and who == box_no and value is True:
                self.svc.door_opened(box_no)
            elif kind == "door" and value is False:
                out = self.svc.door_closed(who)
                if who == box_no:
                    self.say(f"  door {box_no} closed → {out.action}")
            elif kind in ("tamper", "open_not_detected"):
                self.say(f"  ! {kind} at {who}")
            if kind == "door" and who == box_no and value is is_open:
                return
        raise ScenarioFailed(f"door {box_no} did not read {'open' if is_open else 'closed'} within {self.timeout} s")

    def handheld(self) -> list[outbox.Message]:
        """The simulated courier handheld: takes delivery of pending messages."""
        return self.svc.take_outbox()

    def check(self, ok: bool, what: str) -> None:
        self.say(f"  {'ok ' if ok else 'FAIL'} {what}")
        if not ok:
            raise ScenarioFailed(what)

    def run(self) -> None:
        svc, say = self.svc, self.say
        cfg = svc.config
        say(f"Cabinet {cfg.cabinet_id} — {cfg.site} ({len(cfg.boxes)} boxes); free: {svc.free_counts()}")
        if svc.courier(DEMO_COURIER) is None or not svc.courier(DEMO_COURIER).active:
            svc.add_courier(DEMO_COURIER, "Demo Courier", DEMO_PIN, actor="simulation")
        settled = svc.recover()
        if settled:
            say(f"recovered {len(settled)} interrupted session(s) from the last run")
        svc.tick()

        say("1. Courier logs in with number + PIN")
        courier = svc.login_pin(DEMO_COURIER, DEMO_PIN)
        self.check(courier.number == DEMO_COURIER, f"courier {courier.number} ({courier.name}) logged in")

        tracking = f"SF{int(time.time() * 1000) % 10**12:012d}"
        say(f"2. Deposit of parcel {tracking}, size M, recipient agreed")
        p = svc.start_deposit(courier, "M", tracking, phone="13800138000", consent=True)
        say(f"  box {p.box_no} commanded open")
        self.wait_door(p.box_no, True)
        self.person.put_item(p.box_no, True)
        self.person.close_door(p.box_no)
        self.wait_door(p.box_no, False)
        p = svc.parcel(p.id)
        self.check(p is not None and p.state == "stored", f"parcel stored in {p.box_no}")

        say("3. The courier's handheld receives the password with the cabinet's information")
        msg = next(m for m in self.handheld() if m.kind == "password" and m.payload["tracking"] == tracking)
        b = msg.payload
        say(f"  [handheld of {msg.courier_no}] {b['cabinet']['site']} · cabinet {b['cabinet']['id']} · "
            f"box {b['box']} · parcel {b['tracking']} · password {b['password']}")
        password = b["password"]

        say("4. Customer types a wrong password, then the right one")
        wrong = "".join(str((int(ch) + 1) % 10) if ch.isdigit() else "2" for ch in password)
        r = svc.pickup(p.box_no, wrong)
        self.check(r == WrongPassword(cfg.lockout.max_tries - 1), f"wrong password refused, {r.tries_left} tries left")
        r = svc.pickup(p.box_no, password)
        self.check(isinstance(r, Opened), "right password opens the box")
        self.wait_door(p.box_no, True)

        say("5. Customer checks the parcel, accepts it, takes it out and closes the door")
        svc.accept(p.id)
        self.person.put_item(p.box_no, False)
        self.person.close_door(p.box_no)
        self.wait_door(p.box_no, False)
        self.check(svc.parcel(p.id).state == "collected", "parcel collected")
        notices = [m.payload.get("event") for m in self.handheld() if m.payload.get("tracking") == tracking]
        self.check("collected" in notices, "courier told the parcel was collected")

        v = audit.verify(svc.store.conn)
        self.check(v.ok, f"audit chain verifies ({v.count} events)")
        kinds = [e.kind for e in audit.events(svc.store.conn, tracking=tracking)]
        say(f"  evidence for {tracking}: {' → '.join(kinds)}")
