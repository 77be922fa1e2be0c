"""``kiosk emulate fingerprint|lockboard``: an emulator on a pty for a config, a driver or a person to use.

Like OctoPrint's virtual printer, the emulators are part of the product: point a config's ``port`` at the
printed path and the kiosk runs its real driver against them. Lines on stdin drive the emulated world
(``place 3``, ``open 0 4``, ``fault no_reply``…); ``help`` lists them. Without stdin it runs until stopped.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from typing import TextIO

from .fingerprint_emulator import FingerprintEmulator
from .kerong_emulator import KerongEmulator

LOCK_FAULTS = ("none", "no_reply", "bad_checksum", "duplicate_address", "garbage")
FINGER_FAULTS = ("none", "silence", "bad_checksum", "garbage", "slow", "wrong_password")


def _on_off(word: str) -> bool:
    if word not in ("on", "off"):
        raise ValueError("say on or off")
    return word == "on"


def lockboard_commands(emu: KerongEmulator) -> dict[str, tuple[str, Callable[..., str]]]:
    def fault(name: str) -> str:
        if name not in LOCK_FAULTS:
            raise ValueError(f"fault must be one of {', '.join(LOCK_FAULTS)}")
        emu.set_fault(None if name == "none" else name)  # type: ignore[arg-type]
        return f"fault {name}"

    return {
        "open": ("open BOARD LOCK — a person opens the door", lambda b, lk: (emu.open_door(int(b), int(lk)), "opened")[1]),
        "close": ("close BOARD LOCK — a person closes the door", lambda b, lk: (emu.close_door(int(b), int(lk)), "closed")[1]),
        "item": ("item BOARD LOCK on|off — IR sees a parcel", lambda b, lk, v: (emu.set_item(int(b), int(lk), _on_off(v)), "ok")[1]),
        "stuck": ("stuck BOARD LOCK on|off — the lock does not release", lambda b, lk, v: (emu.set_stuck(int(b), int(lk), _on_off(v)), "ok")[1]),
        "fault": (f"fault {'|'.join(LOCK_FAULTS)}", fault),
        "stall": ("stall BOARD N — the board answers its next N requests late, all at once",
                  lambda b, n: (emu.hold_replies(int(n), int(b)), f"board {b} holds its next {n} replies")[1]),
        "pulses": ("pulses — unlock pulses received so far", lambda: " ".join(f"{p.board}/{p.lock}" for p in emu.pulses()) or "none"),
    }


def fingerprint_commands(emu: FingerprintEmulator) -> dict[str, tuple[str, Callable[..., str]]]:
    def fault(name: str) -> str:
        if name not in FINGER_FAULTS:
            raise ValueError(f"fault must be one of {', '.join(FINGER_FAULTS)}")
        emu.set_fault(None if name == "none" else name)  # type: ignore[arg-type]
        return f"fault {name}"

    return {
        "place": ("place FINGER — a finger (any number) on the sensor", lambda n: (emu.place_finger(int(n)), "placed")[1]),
        "lift": ("lift — the finger leaves the sensor", lambda: (emu.lift_finger(), "lifted")[1]),
        "templates": ("templates — slot:finger pairs stored", lambda: " ".join(f"{s}:{f}" for s, f in sorted(emu.templates().items())) or "none"),
        "fault": (f"fault {'|'.join(FINGER_FAULTS)}", fault),
    }


def serve(title: str, commands: dict[str, tuple[str, Callable[..., str]]], stdin: TextIO, out: TextIO,
          stop: threading.Event) -> None:
    print(title, file=out, flush=True)
    for line in stdin:
        words = line.split()
        if not words:
            continue
        if words[0] in ("quit", "exit"):
            break
        if words[0] == "help" or words[0] not in commands:
            print("commands: " + "; ".join(h for h, _ in commands.values()) + "; quit", file=out, flush=True)
            continue
        try:
            print(commands[words[0]][1](*words[1:]), file=out, flush=True)
        except (TypeError, ValueError) as e:
            print(f"error: {e} (usage: {commands[words[0]][0]})", file=out, flush=True)
    else:
        stop.wait()  # stdin closed: keep serving until a signal


def run(device: str, boards: list[int], store: str | None) -> int:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set() or sys.stdin.close())
    if device == "lockboard":
        emu = KerongEmulator(boards).start()
        title = f"lockboard emulator on {emu.port} (boards {', '.join(map(str, boards))}, 19200 8N1)"
        commands = lockboard_commands(emu)
    else:
        emu = FingerprintEmulator(store_path=store)
        title = f"fingerprint emulator on {emu.port} (57600 baud)"
        commands = fingerprint_commands(emu)
    try:
        serve(title, commands, sys.stdin, sys.stdout, stop)
    except (ValueError, OSError):
        pass  # stdin closed by a signal
    finally:
        emu.stop()
    return 0
