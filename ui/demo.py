"""``kiosk demo --out DIR``: the whole cabinet played once, offscreen, with a picture of every screen.

Why a scripted demo through the real app: it is the proof a reviewer (or CI) can run in one command that the
screens, the drivers and the core work together — a maintainer enrols a courier's finger on the emulated
sensor, the courier deposits, the password reaches the simulated handheld, a customer locks the box with
wrong passwords, the courier's finger clears it, the customer collects; a second parcel is refused and taken
back. Every action is a tap on a widget (by objectName) or a hand on the simulator panel; every outcome is
checked through the service and the emulated lock board, and each screen is saved as a PNG in Chinese and
English. Exit 0 only if every step behaved.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from .demo_hands import Hands, StepFailed

MAINTAINER_PIN = "24680135"  # the simulated cabinet's (assets/simulated.toml)
COURIER, COURIER_NAME, COURIER_PIN, FINGER = "C2001", "Zhang Min", "135790", 7
MARKER = ".kiosk-demo"


def _night_start(text: str) -> str:
    m = re.search(r'(?m)^\s*night_start\s*=\s*("[^"]*")', text)
    return m.group(1) if m else '"22:00"'


def prepare(out: Path, config: str | None) -> Path:
    """DIR/cabinet.toml: the given (or default) config with a fresh data dir DIR/data."""
    from kiosk.config import ConfigError, default_config_path, with_data_dir

    out.mkdir(parents=True, exist_ok=True)
    data = out / "data"
    if data.exists():
        if not (data / MARKER).exists() and any(data.iterdir()):
            raise StepFailed(f"{data} exists and was not made by kiosk demo; choose another --out")
        shutil.rmtree(data)
    data.mkdir()
    (data / MARKER).write_text("made by kiosk demo; deleted by the next run\n")
    source = Path(config or default_config_path())
    if not source.is_file():
        raise ConfigError(f"{source}: no such config file")
    text = source.read_text(encoding="utf-8")
    text = with_data_dir(text, "data")
    text = re.sub(r'(?m)^(\s*secret_file\s*=.*)$', r"# \1  (the demo keeps its own key)", text)
    # Daylight whatever the hour (pictures of the screens as most people see them), and never the host's backlight.
    text = re.sub(r'(?m)^(\s*night_end\s*=\s*)"[^"]*"', lambda m: m.group(1) + _night_start(text), text)
    text = re.sub(r'(?m)^(\s*backlight\s*=\s*)"[^"]*"', r'\1"none"', text)
    if not re.search(r"(?m)^\[display\]", text):
        text += '\n[display]\nnight_start = "22:00"\nnight_end = "22:00"\nbacklight = "none"\n'

    path = out / "cabinet.toml"
    path.write_text(text, encoding="utf-8")
    return path


class Demo:
    def __init__(self, comp: Any, panel: Any, out: Path, say=print) -> None:
        self.comp = comp
        self.svc = comp.service
        self.kiosk = comp.kiosk
        self.emu = comp.locks.simulated.emulator
        self.cfg = comp.ctx.config
        self.h = Hands(comp.app.window, panel, comp.kiosk, out)
        self.panel = panel
        self.say = say
        self.steps = 0
        self.enrol_steps: list[str] = []
        self.pickup_shown = False
        if comp.kiosk.fingerprint is not None:
            comp.kiosk.fingerprint.enrol_step.connect(self.enrol_steps.append)

    # ---- checks ------------------------------------------------------------------------------------

    def step(self, text: str) -> None:
        self.steps += 1
        self.say(f"{self.steps:2d}. {text}")

    @staticmethod
    def check(ok: object, what: str) -> None:
        if not ok:
            raise StepFailed(what)

    def pulses(self, box: str) -> int:
        from hardware.simulated import board_lock

        where = board_lock(self.cfg.box(box).lock)
        return sum(1 for p in self.emu.pulses() if (p.board, p.lock) == where)

    def door(self, box: str) -> bool | None:
        return self.comp.locks.bank.is_door_open(box)

    def parcel(self, tracking: str) -> Any:
        found = self.svc.parcels(tracking=tracking)
        return found[-1] if found else None

    def handheld(self, tracking: str, event: str | None = None) -> dict | None:
        for p in reversed(self.panel.handheld.payloads):
            if p.get("tracking") == tracking and (p.get("type") == "password" if event is None
                                                  else p.get("event") == event):
                return p
        return None

    # ---- the hands at the cabinet (simulator panel) ---------------------------------------------------

    def finger(self, on: bool) -> None:
        self.h.find("sim.finger.number", root=self.panel).setValue(FINGER)
        self.h.tap_panel("sim.finger.place" if on else "sim.finger.lift")

    def close_door(self, box: str, item: bool) -> None:
        self.panel.refresh()
        self.h.checked(f"sim.item.{box}", item, self.panel)
        self.h.wait(lambda: self.comp.locks.bank.item_inside(box) is item, f"the IR sensor of {box} reads {item}")
        if self.door(box):
            self.h.tap_panel(f"sim.door.{box}")
        self.h.wait(lambda: self.door(box) is False, f"door {box} reads closed")

    def home(self) -> None:
        """From wherever a flow ends: its own way home (logout, done), as a person would.

        A screen may still be settling (a door report on its way moves it on), so look again until a way
        home shows or the time is up.
        """
        ways = ("courier.logout", "thanks.home", "locked.home", "courier.done", "courier.lockouts.back",
                "courier.returns.done", "maint.exit", "error.home")
        deadline = time.monotonic() + 8
        while self.h.screen() != "home":
            name = self.h.screen()
            way = next((b for b in ways if self.h.has(b) and self.h.find(b, wait_ms=0).isEnabled()), None)
            if way is not None and self.h.screen() == name:
                self.h.tap(way)
                self.h.wait(lambda: self.h.screen() != name, f"leave screen {name}")
            elif time.monotonic() > deadline:
                raise StepFailed(f"no way home from screen {name!r}")
            else:
                self.h.pause(50)

    def courier_login(self) -> None:
        self.h.wait_screen("home")
        self.finger(True)
        self.h.wait_screen("courier.menu", timeout_ms=8000)
        self.finger(False)

    # ---- the story ---------------------------------------------------------------------------------

    def run(self) -> None:
        h = self.h
        h.wait_screen("home")
        self.step("Home screen")
        h.shot()
        self.enrol()
        box, tracking = self.deposit("M", "SF1000000001")
        password = self.read_password(tracking)
        self.lockout(box, tracking, password)
        password = self.clear_lockout(box, tracking)
        self.pickup(box, tracking, password, accept=True)
        box2, tracking2 = self.deposit("S", "YT2000000002")
        self.pickup(box2, tracking2, self.read_password(tracking2), accept=False)
        self.take_back(box2, tracking2)
        if self.comp.recorder is not None:
            self.video(tracking, tracking2)
        self.step("Audit log verifies")
        v = self.svc.verify_log()
        self.check(v.ok, f"the audit chain is broken: {v}")
        h.shot("simulator", widget=self.panel)
        self.say("Summary:")
        for tracking in (tracking, tracking2):
            p = self.parcel(tracking)
            why = f" (refused: {p.reason})" if p.reason else ""
            self.say(f"  parcel {p.tracking}  box {p.box_no}  {p.state}{why}  {self.pulses(p.box_no)} unlock pulses")
        self.say(f"  audit log: {v.count} events, hash chain verified; courier handheld: "
                 f"{len(self.panel.handheld.payloads)} messages")

    def video(self, *trackings: str) -> None:
        """Every transaction ends on video: each parcel has clips whose hashes are in the log, and the refused
        parcel's evidence bundle (records, chain proof, clips) is exported and verifies."""
        from kiosk import evidence, evidence_check

        self.step("Every transaction is on video; the refused parcel's evidence bundle verifies")
        wait_ms = int((self.cfg.video.postroll_s + 8) * 1000)
        unfilmed = ("SELECT COUNT(*) FROM transactions t WHERE NOT EXISTS (SELECT 1 FROM clips k WHERE k.txn = t.id)")
        self.h.wait(lambda: not self.svc.txns.open and self.svc.store.query(unfilmed)[0][0] == 0,
                    "the recorder has saved the clip of every transaction", timeout_ms=wait_ms)
        for t in trackings:
            for k in self.svc.clips(tracking=t):
                self.say(f"  clip {k.txn}-{k.part} ({k.kind}, {k.duration:.1f} s, boxes {' '.join(k.boxes) or 'none'}): "
                         f"{self.svc.clip_path(k)}")
        bundle = evidence.build(self.svc, trackings[-1], self.h.out / f"evidence-{trackings[-1]}.zip")
        verdict = evidence_check.verify(bundle.path)
        self.check(verdict.ok, f"the evidence bundle verifies ({'; '.join(verdict.problems)})")
        self.say(f"  evidence bundle: {bundle.path} ({len(bundle.clips)} clips)")

    def enrol(self) -> None:
        h = self.h
        self.step("Maintainer logs in with the PIN")
        h.tap("home.maintain")
        h.wait_screen("maint.login")
        h.shot()
        h.fill("maint.pin", MAINTAINER_PIN)
        h.tap("maint.submit")
        h.wait_screen("maint")
        h.shot()
        self.step(f"Maintainer adds courier {COURIER} and enrols finger {FINGER} on the emulated sensor")
        if not h.has("maint.courier.number") and h.has("maint.courier.new"):
            h.tap("maint.courier.new")  # the form opens from the couriers list
        h.fill("maint.courier.number", COURIER)
        h.fill("maint.courier.name", COURIER_NAME)
        h.fill("maint.courier.pin", COURIER_PIN)
        h.tap("maint.courier.add")
        h.wait(lambda: self.svc.courier(COURIER) is not None, f"courier {COURIER} added")
        h.pause(50)
        self.enrol_steps.clear()
        if not h.has(f"maint.courier.{COURIER}.enrol") and h.has("maint.couriers"):
            h.tap_row("maint.couriers", COURIER)  # a courier's actions show when their row is selected
        h.tap(f"maint.courier.{COURIER}.enrol")
        for wanted, finger_on in (("place_finger", True), ("lift_finger", False), ("place_again", True)):
            h.wait(lambda w=wanted: w in self.enrol_steps, f"the sensor asks: {wanted}", 8000)
            if wanted == "place_finger":
                h.shot("maint_enrol")
            self.finger(finger_on)
        h.wait(lambda: "stored" in self.enrol_steps, "the sensor stores the template", 8000)
        self.finger(False)
        h.wait(lambda: bool(self.svc.courier(COURIER).fingers), f"courier {COURIER} has a finger slot")
        h.shot("maint_enrolled")
        if h.has("maint.enrol.done"):
            h.tap("maint.enrol.done")
        h.tap("maint.exit")
        h.wait_screen("home")

    def deposit(self, size: str, tracking: str) -> tuple[str, str]:
        h = self.h
        self.step(f"Courier puts a finger on the sensor and deposits {tracking} (size {size})")
        self.courier_login()
        h.shot()
        h.tap("courier.deposit")
        h.wait_screen("courier.size")
        h.shot()
        h.tap(f"courier.size.{size}")
        h.wait_screen("courier.form")
        h.fill("courier.tracking", tracking)
        if h.has("kbd.done"):
            h.tap("kbd.done")
        h.checked("courier.consent", True)
        h.shot()
        h.tap("courier.open")
        h.wait_screen("courier.door")
        p = self.parcel(tracking)
        self.check(p is not None and p.state == "reserved", f"parcel {tracking} reserved")
        box = p.box_no
        h.wait(lambda: self.pulses(box) >= 1 and self.door(box) is True, f"box {box} pulsed and its door open")
        h.shot()
        self.step(f"The parcel goes into box {box} and the door closes")
        self.close_door(box, item=True)
        h.wait(lambda: self.svc.parcel(p.id).state == "stored", f"parcel {tracking} stored")
        h.wait_screen("courier.sent")
        h.shot()
        self.home()
        return box, tracking

    def read_password(self, tracking: str) -> str:
        self.step(f"The password for {tracking} arrives on the courier's handheld")
        self.h.wait(lambda: self.handheld(tracking) is not None, f"password message for {tracking}")
        msg = self.handheld(tracking)
        self.h.shot("handheld", widget=self.panel)
        return str(msg["password"])

    def pickup_attempt(self, box: str, password: str) -> None:
        h = self.h
        if h.screen() != "pickup":
            h.tap("home.pickup")
            h.wait_screen("pickup")
            if not self.pickup_shown:
                h.shot()
                self.pickup_shown = True
        h.fill("pickup.box", box)
        h.fill("pickup.password", password)
        h.tap("pickup.submit")

    def lockout(self, box: str, tracking: str, password: str) -> None:
        h = self.h
        self.step(f"A customer types three wrong passwords for box {box}")
        p = self.parcel(tracking)
        tries = self.cfg.lockout.max_tries
        wrong = "".join(str((int(c) + 1) % 10) if c.isdigit() else ("B" if c != "B" else "C") for c in password)
        for i in range(1, tries + 1):
            self.pickup_attempt(box, wrong)
            if i < tries:
                h.wait(lambda i=i: self.svc.parcel(p.id).wrong_tries == i, f"wrong try {i} counted")
                h.wait_screen("pickup")
                if i == 1:
                    h.shot("pickup_wrong")
        h.wait_screen("pickup.locked")
        self.check(any(lo.box_no == box for lo in self.svc.lockouts()), f"box {box} locked in the service")
        self.check(self.pulses(box) == 1, f"box {box} was not pulsed by a wrong password")
        h.shot()
        h.wait(lambda: self.handheld(tracking, "locked") is not None, "the courier is told about the lockout")
        self.home()

    def clear_lockout(self, box: str, tracking: str) -> str:
        h = self.h
        self.step(f"The courier's finger clears the lockout of box {box}; a new password goes out")
        old = self.handheld(tracking)
        self.courier_login()
        h.tap("courier.lockouts")
        h.wait_screen("courier.lockouts")
        h.shot()
        h.tap(f"courier.lockout.{box}")
        h.wait(lambda: not any(lo.box_no == box for lo in self.svc.lockouts()), f"lockout of {box} cleared")
        h.wait(lambda: self.handheld(tracking) is not old, "a new password on the handheld")
        h.pause(50)
        h.shot("courier_lockout_cleared")
        self.home()
        return self.read_password(tracking)

    def pickup(self, box: str, tracking: str, password: str, accept: bool) -> None:
        h = self.h
        self.step(f"The customer opens box {box} with the password and {'accepts' if accept else 'refuses'} it")
        before = self.pulses(box)
        self.pickup_attempt(box, password)
        h.wait_screen("pickup.check")
        p = self.parcel(tracking)
        self.check(p.state == "picking", f"parcel {tracking} is being picked up (state {p.state})")
        h.wait(lambda: self.pulses(box) == before + 1 and self.door(box) is True, f"box {box} pulsed open")
        h.shot()
        if accept:
            h.tap("pickup.accept")
        else:
            h.tap("pickup.reject")
            h.wait_screen("pickup.reason")
            h.shot()
            h.tap("reject.reason.damaged")
        h.wait_screen("pickup.close")
        h.shot()
        self.close_door(box, item=not accept)
        h.wait_screen("pickup.thanks")
        h.shot()
        state, event = ("collected", "collected") if accept else ("refused", "refused")
        p = self.svc.parcel(p.id)
        self.check(p.state == state, f"parcel {tracking} is {state} (it is {p.state})")
        if not accept:
            self.check(p.reason == "damaged", f"refusal reason recorded as damaged (got {p.reason})")
        h.wait(lambda: self.handheld(tracking, event) is not None, f"the courier is told: {event}")
        self.home()

    def take_back(self, box: str, tracking: str) -> None:
        h = self.h
        self.step(f"The courier takes the refused parcel {tracking} back from box {box}")
        before = self.pulses(box)
        self.courier_login()
        h.tap("courier.returns")
        h.wait_screen("courier.returns")
        h.shot()
        h.tap("courier.returns.open")
        h.wait(lambda: self.parcel(tracking).state == "returned", f"parcel {tracking} returned")
        h.wait(lambda: self.pulses(box) == before + 1 and self.door(box) is True, f"box {box} pulsed open")
        h.shot("courier_returns_open")
        self.close_door(box, item=False)
        h.pause(100)
        self.home()


def run(out: str | Path, config: str | None = None, say=print) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    out = Path(out).resolve()
    comp = panel = None
    demo: Demo | None = None
    t0 = time.monotonic()
    try:
        cfg_path = prepare(out, config)
        from kiosk.__main__ import Composition

        from .simulator import SimulatorPanel

        comp = Composition(str(cfg_path), simulate=True)
        panel = SimulatorPanel(comp.kiosk)
        panel.show()
        comp.app.window.show()
        say(f"kiosk demo: cabinet {comp.ctx.config.cabinet_id}, data in {comp.ctx.config.data_dir}, "
            f"pictures in {out}")
        demo = Demo(comp, panel, out, say)
        demo.h.wait(lambda: all(comp.locks.bank.is_door_open(b.no) is not None for b in comp.ctx.config.boxes),
                    "the lock board reports every door")
        demo.run()
    except StepFailed as e:
        where = f"step {demo.steps}" if demo is not None else "set-up"
        print(f"demo FAILED at {where}: {e}", file=sys.stderr)
        if demo is not None:
            try:
                demo.h.shot("FAILED")
            except Exception:  # a picture of the failure is a bonus, never a second failure
                pass
        return 1
    except Exception as e:  # a bug on the way is a failed demo too, said in one line plus where
        if demo is None:
            raise  # a config or data problem: the command line reports it in one line
        import traceback

        traceback.print_exc()
        print(f"demo FAILED at step {demo.steps}: unexpected {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    finally:
        if panel is not None:
            panel.close()
        if comp is not None:
            comp.app.window.allow_close()
            comp.app.window.close()
            comp.stop()
    shots = demo.h.shots
    if demo.h.problems:
        print(f"demo FAILED: every step completed, but {len(demo.h.problems)} thing(s) misbehaved on the way:\n  "
              + "\n  ".join(demo.h.problems), file=sys.stderr)
        return 1
    say(f"demo passed: {demo.steps} steps in {time.monotonic() - t0:.1f} s; {len(shots)} pictures "
        f"({len(shots) // 2} screens in zh and en) in {out}")
    return 0
