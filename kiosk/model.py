"""What the service hands back to its callers: plain frozen records, outcomes and errors.

Outcomes that a customer or courier is expected to meet (a wrong password, a locked box) are return values,
so the screen can switch on them; only misuse and faults are exceptions. Each error carries a stable ``code``
the UI translates, and an English one-line message for logs and the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Courier:
    id: int
    number: str
    name: str
    active: bool
    fingers: tuple[int, ...] = ()


@dataclass(frozen=True)
class Parcel:
    id: int
    tracking: str
    box_no: str
    courier_no: str
    state: str
    phone: str | None
    created: float
    stored_at: float | None
    due_at: float | None
    wrong_tries: int
    reason: str | None
    review: bool


@dataclass(frozen=True)
class BoxState:
    """One box as the maintainer screen shows it (door and IR come from the lock bank, not from here)."""

    no: str
    size: str
    accessible: bool
    has_ir: bool
    enabled: bool
    parcel: "Parcel | None"
    locked_until: float | None


@dataclass(frozen=True)
class Clip:
    """One recorded video file of a transaction, as the audit event ``clip_recorded`` describes it."""

    id: int
    txn: str
    part: int
    kind: str
    file: str  # relative to the video directory
    started: float
    ended: float
    txn_started: float
    preroll_s: float
    frames: int
    bytes: int
    sha256: str
    boxes: tuple[str, ...]
    complete: bool
    note: str
    event_id: int
    deleted_at: float | None
    deleted_reason: str | None
    parcels: tuple[int, ...] = ()
    trackings: tuple[str, ...] = ()

    @property
    def duration(self) -> float:
        return max(0.0, self.ended - self.started)


@dataclass(frozen=True)
class Lockout:
    box_no: str
    parcel_id: int
    tracking: str
    courier_no: str
    started: float
    until: float


# ---- pickup outcomes -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Opened:
    """Right password: the door was told to open."""

    parcel: Parcel


@dataclass(frozen=True)
class WrongPassword:
    """``tries_left`` is None when the box holds no collectable parcel (said the same way on screen)."""

    tries_left: int | None


@dataclass(frozen=True)
class BoxLocked:
    until: float


@dataclass(frozen=True)
class Throttled:
    retry_at: float


@dataclass(frozen=True)
class Expired:
    """The right password, but past its expiry: the courier must re-issue it."""


@dataclass(frozen=True)
class Unavailable:
    """The password was right but the lock could not be commanded; the password still works."""

    message: str


PickupResult = Opened | WrongPassword | BoxLocked | Throttled | Expired | Unavailable


# ---- door-closed outcomes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DoorClosed:
    """What closing a door meant: ``action`` is stored, deposit_empty, collected, refused, unconfirmed or none."""

    box_no: str
    action: str
    parcel: Parcel | None = None


# ---- errors ----------------------------------------------------------------------------------------------


class KioskError(Exception):
    code = "error"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.details = details


class InvalidInput(KioskError):
    code = "invalid_input"


class NotRecognised(KioskError):
    code = "not_recognised"


class WrongPin(KioskError):
    code = "wrong_pin"


class PinLocked(KioskError):
    code = "pin_locked"


class TooManyAttempts(KioskError):
    code = "throttled"


class NoFreeBox(KioskError):
    code = "no_free_box"


class InvalidState(KioskError):
    code = "invalid_state"


class NotYourParcel(KioskError):
    code = "not_your_parcel"


class UnknownBox(KioskError):
    code = "unknown_box"


class UnknownCourier(KioskError):
    code = "unknown_courier"


class DeviceFault(KioskError):
    """A device could not carry out a command; the message names the device and the reason."""

    code = "device"


class StorageFailure(KioskError):
    """The database could not be written (disk full, I/O error): nothing changed."""

    code = "storage"
