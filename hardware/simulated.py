"""The simulated cabinet's lock hardware: a Kerong board chain emulated on a pty, driven by the real driver.

Why not an in-memory fake: "simulated" here means every unlock still crosses a serial line as real frames to
an emulated board, so the demo and the tests exercise the same driver a real cabinet runs. This module also
plays the person at the cabinet (closing doors, putting parcels in) for the headless scenario and, later, the
simulator panel.
"""

from __future__ import annotations

from kiosk.config import Config
from kiosk.ports import DoorEvents

from .kerong import KerongBank
from .kerong_emulator import KerongEmulator


def board_lock(channel: int) -> tuple[int, int]:
    """Channel c (1-based) is board (c-1)//16, lock (c-1)%16 — the same rule as KerongBank."""
    return (channel - 1) // 16, (channel - 1) % 16


class SimulatedLocks:
    """An emulated board chain sized to the config, and the real KerongBank on it."""

    def __init__(self, config: Config, events: DoorEvents, **bank_options: object) -> None:
        self._where = {b.no: board_lock(b.lock) for b in config.boxes}
        boards = sorted({board for board, _ in self._where.values()})
        self.emulator = KerongEmulator(boards).start()
        try:
            self.bank = KerongBank(self.emulator.port, {b.no: b.lock for b in config.boxes}, events,
                                   ir_boxes=[b.no for b in config.boxes if b.ir], **bank_options)
            self.bank.start()
        except Exception:
            self.emulator.stop()
            raise

    # The person at the cabinet.
    def put_item(self, box_no: str, inside: bool) -> None:
        self.emulator.set_item(*self._where[box_no], inside)

    def close_door(self, box_no: str) -> None:
        self.emulator.close_door(*self._where[box_no])

    def open_door(self, box_no: str) -> None:
        self.emulator.open_door(*self._where[box_no])

    def stop(self) -> None:
        try:
            self.bank.stop()
        finally:
            self.emulator.stop()
