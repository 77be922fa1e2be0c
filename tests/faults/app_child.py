"""Child process for the whole-app kill tests: the real Composition, offscreen, on the emulators.

argv: CONFIG SCRIPT. SCRIPT is "deposit" or "pickup" (see STEPS). Before each step the child prints
``STEP <name> <events committed so far>`` and waits for a line on stdin: "go" runs the step, anything else
(or EOF) ends the child. The parent SIGKILLs it at the marker of its choice, so the whole app dies between two
steps with its devices, workers and database connection in whatever state they were. The pickup script first
makes its own stored parcel (no marker, never killed). A password that reaches the courier's handheld is
written to <data dir>/password. A script that runs to its end prints ``END`` and exits 0.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

PIN = "135790"
TRACKING = "SF-KILL-1"
# The steps of each flow, in order; the parent kills the child at the marker printed before one of them.
STEPS = {
    "deposit": ("login", "reserve", "door_open", "item_in", "door_closed", "end"),
    "pickup": ("begin", "password", "door_open", "accept", "item_out", "door_closed", "end"),
}


class Child:
    def __init__(self, config: str) -> None:
        from kiosk.__main__ import Composition

        self.comp = Composition(config, simulate=True)
        self.kiosk, self.svc, self.sim = self.comp.kiosk, self.comp.service, self.comp.locks.simulated
        self.bank = self.sim.bank
        self.data = self.kiosk.config.data_dir
        self.wait(lambda: all(self.bank.is_door_open(b.no) is not None for b in self.kiosk.config.boxes))
        self.comp.recover_when_doors_known()
        self.courier = self.parcel = None
        self.kiosk.handheld_message.connect(self._handheld)

    def _handheld(self, msg: dict) -> None:
        """The courier's handheld got a message: keep the password as the courier would forward it."""
        if msg.get("tracking") == TRACKING and "password" in msg:
            (self.data / "password").write_text(msg["password"])

    def wait(self, pred: Callable[[], bool], timeout: float = 8.0) -> None:
        deadline = time.monotonic() + timeout
        while not pred():
            if time.monotonic() > deadline:
                raise SystemExit(f"child: timed out waiting in step {self.step}")
            self.comp.qt.processEvents()
            time.sleep(0.01)

    def marker(self, name: str) -> bool:
        self.step = name
        n = self.svc.store.conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
        print(f"STEP {name} {n}", flush=True)
        return sys.stdin.readline().strip() == "go"

    @property
    def box(self) -> str:
        return self.parcel.box_no

    # ---- steps ---------------------------------------------------------------------------------------------
    def login(self) -> None:
        if self.svc.courier("C1001") is None:
            self.svc.add_courier("C1001", "Li Wei", PIN)
        self.courier = self.svc.login_pin("C1001", PIN)
        self.kiosk.begin_txn("deposit", "courier:C1001")

    def reserve(self) -> None:
        self.parcel = self.svc.start_deposit(self.courier, "M", TRACKING, consent=True)

    def door_open(self) -> None:
        self.wait(lambda: self.bank.is_door_open(self.box) is True)

    def item_in(self) -> None:
        self.sim.put_item(self.box, True)
        self.wait(lambda: self.bank.item_inside(self.box) is True)

    def item_out(self) -> None:
        self.sim.put_item(self.box, False)
        self.wait(lambda: self.bank.item_inside(self.box) is False)

    def door_closed(self) -> None:
        self.sim.close_door(self.box)
        self.wait(lambda: self.svc.parcel(self.parcel.id).state not in ("reserved", "picking")
                  and self.bank.is_door_open(self.box) is False)

    def end(self) -> None:
        self.kiosk.end_txn()
        self.kiosk.deliver()

    def begin(self) -> None:
        self.kiosk.begin_txn("pickup", "customer")

    def password(self) -> None:
        from kiosk.model import Opened

        result = self.svc.pickup(self.box, (self.data / "password").read_text())
        assert isinstance(result, Opened), result

    def accept(self) -> None:
        self.svc.accept(self.parcel.id)

    # ---- scripts ---------------------------------------------------------------------------------------------
    def run(self, script: str) -> int:
        if script == "pickup":  # a stored parcel first, never killed
            for step in STEPS["deposit"]:
                self.step = step
                getattr(self, step)()
        for step in STEPS[script]:
            if not self.marker(step):
                return 0
            getattr(self, step)()
        print("END", flush=True)
        return 0

    def stop(self) -> None:
        self.comp.app.window.allow_close()
        self.comp.app.window.close()
        self.comp.stop()


def main() -> int:
    child = Child(sys.argv[1])
    try:
        return child.run(sys.argv[2])
    finally:
        child.stop()


if __name__ == "__main__":
    raise SystemExit(main())
