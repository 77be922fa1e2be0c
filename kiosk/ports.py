"""The only doors between the core and the cabinet's devices.

The core must run (and be tested) without any hardware, so it talks to locks and sensors only through
these Protocols. The hardware layer implements them with real drivers or emulators; tests use in-memory
fakes. Everything is keyed by box number (``"A01"``): which relay, board address or GPIO pin a box uses is
the hardware layer's business, given to it as a ``{box_no: channel}`` mapping built from the config.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class LockBank(Protocol):
    """Every box's lock, door sensor and optional "item inside" (IR) sensor."""

    def unlock(self, box_no: str) -> None:
        """Ask for one lock pulse. Must return quickly (queue the command); failures arrive as events.

        Raises ``DeviceUnavailable`` only when it is known at once that the command cannot be sent.
        """

    def is_door_open(self, box_no: str) -> bool | None:
        """Last known door state; None when unknown (sensor fault, never read)."""

    def item_inside(self, box_no: str) -> bool | None:
        """Last known IR reading; None when the box has no IR sensor or the reading is unknown."""


class DoorEvents(Protocol):
    """What a lock bank reports, from whatever thread it runs on (the Qt worker re-emits as signals)."""

    def door_changed(self, box_no: str, is_open: bool) -> None: ...

    def item_changed(self, box_no: str, inside: bool) -> None: ...

    def open_not_detected(self, box_no: str) -> None:
        """An unlock was commanded but the door did not read open within the expected time."""

    def tamper(self, box_no: str) -> None:
        """A door opened with no unlock command."""

    def fault(self, device: str, message: str) -> None:
        """A device stopped answering or answered garbage; ``message`` is one human-readable line."""


class DeviceUnavailable(RuntimeError):
    """A device cannot take a command right now (port gone, bus master stopped)."""


class OfflineLocks:
    """A LockBank for commands that must never move a lock (CLI courier and log commands)."""

    def unlock(self, box_no: str) -> None:
        raise DeviceUnavailable("this command does not drive the locks")

    def is_door_open(self, box_no: str) -> bool | None:
        return None

    def item_inside(self, box_no: str) -> bool | None:
        return None
