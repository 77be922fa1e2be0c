"""The courier's journey at the cabinet: log in, deposit parcels, take back returns, clear lockouts.

Why a flow object apart from the screens: a deposit outlives any one screen (the door opens on the form,
closes on the door screen, and may close after the courier was sent home by an error), so the logged-in
courier, the one deposit whose door is open and the one return being collected live here, and so does the
single subscription to the kiosk's door events. Screens (``courier_screens``) render that state and forward
taps to the methods below; every service call and every decision about where to go next is made here.

Messages are kept as callables (``lambda: self.tr(...)``) rather than strings, so a notice already on screen
switches language with everything else.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer

from kiosk import validate
from kiosk.model import (Courier, DeviceFault, InvalidInput, KioskError, Lockout, NoFreeBox, Parcel, PinLocked,
                         StorageFailure, TooManyAttempts, WrongPin)

from .courier_screens import (DoorScreen, FormScreen, LockoutsScreen, LoginScreen, MenuScreen, ReturnsScreen,
                              SentScreen, SizeScreen)

if TYPE_CHECKING:
    from .app import App

log = logging.getLogger(__name__)
Text = Callable[[], str]


@dataclass
class Deposit:
    """The parcel whose box the courier opened, and what its door has done since."""

    parcel: Parcel
    courier: Courier
    door_open: bool = True  # commanded open until its close is reported
    empty: bool = False  # the door closed with nothing inside
    cancelled: bool = False


class CourierFlow(QObject):
    def __init__(self, app: "App") -> None:
        super().__init__()
        self.app = app
        self.kiosk = app.kiosk
        self.service = app.kiosk.service
        self.courier: Courier | None = None
        self.deposit: Deposit | None = None
        self.returning: Parcel | None = None  # the return whose door is open
        self.size = "M"
        self.accessible = False
        # Deposits whose courier was sent home while the door was open: box → deposit (see _door_event).
        self._orphans: dict[str, Deposit] = {}
        self.login_screen = LoginScreen(app, self)
        self.menu_screen = MenuScreen(app, self)
        self.size_screen = SizeScreen(app, self)
        self.form_screen = FormScreen(app, self)
        self.door_screen = DoorScreen(app, self)
        self.sent_screen = SentScreen(app, self)
        self.returns_screen = ReturnsScreen(app, self)
        self.lockouts_screen = LockoutsScreen(app, self)
        for s in (self.login_screen, self.menu_screen, self.size_screen, self.form_screen, self.door_screen,
                  self.sent_screen, self.returns_screen, self.lockouts_screen):
            app.add(s)
        self.kiosk.door_event.connect(self._door_event)
        self.kiosk.unlock_failed.connect(self._unlock_failed)
        app.window.screen_changed.connect(self._screen_changed)

    # ---- entry points ----------------------------------------------------------------------------------

    def begin(self, courier: Courier) -> None:
        """A courier was identified (finger on the home screen, or number + PIN): their visit is filmed."""
        self.courier = courier
        self.kiosk.begin_txn("courier", f"courier:{courier.number}")
        self.menu()

    def begin_pin(self) -> None:
        self.courier = None
        self.app.go("courier.login")

    def login(self, number: str, pin: str) -> None:
        try:
            courier = self.service.login_pin(number, pin)
        except WrongPin as e:
            left = e.details.get("tries_left")
            if left is None:
                self.login_screen.show_error(lambda: self.tr(
                    "Courier number or PIN is wrong. Check both and try again."))
            elif left == 0:
                minutes = f"{self.kiosk.config.couriers.pin_lock_minutes:g}"
                self.login_screen.show_error(lambda: self.tr(
                    "Courier number or PIN is wrong. PIN login is now paused for {minutes} minutes: use your "
                    "finger on the sensor instead.").format(minutes=minutes))
            else:
                self.login_screen.show_error(lambda: self.tr(
                    "Courier number or PIN is wrong. {n} tries left before PIN login pauses.").format(n=left))
            return
        except PinLocked as e:
            until = _hhmm(float(e.details.get("until") or 0))
            self.login_screen.show_error(lambda: self.tr(
                "PIN login for this courier is paused until {time}. Use your finger on the sensor, or try again "
                "then.").format(time=until))
            return
        except TooManyAttempts as e:
            wait = max(1, math.ceil(float(e.details.get("retry_at") or 0) - self.service.clock.now()))
            self.login_screen.show_error(lambda: self.tr(
                "Too many wrong tries at this cabinet. Please wait {seconds} seconds, then try again.").format(
                    seconds=wait))
            return
        except KioskError as e:
            self._fail(e)
            return
        self.begin(courier)

    # ---- menu ------------------------------------------------------------------------------------------

    def menu(self, notice: Text | None = None) -> None:
        self.app.go("courier.menu", notice=notice)

    def logout(self) -> None:
        self.app.home()  # _screen_changed forgets the courier

    def returns(self) -> list[Parcel]:
        return self.service.returns_for(self.courier) if self.courier else []

    def lockouts(self) -> list[Lockout]:
        if self.courier is None:
            return []
        return [lo for lo in self.service.lockouts() if lo.courier_no == self.courier.number]

    # ---- deposit ---------------------------------------------------------------------------------------

    def start(self) -> None:
        if not self.kiosk.camera_ok():  # policy: no deposit without video (video.require_camera_for_deposit)
            self.menu(lambda: self.tr("The camera is offline, so deposits are paused at this cabinet. Returns "
                                      "still work. Please call support."))
            return
        self.app.go("courier.size", accessible=self.accessible)

    def free_counts(self, accessible: bool) -> dict[str, int]:
        return self.service.free_counts(accessible_only=accessible)

    def choose_size(self, size: str, accessible: bool) -> None:
        self.size, self.accessible = size, accessible
        self.app.go("courier.form", size=size, accessible=accessible)

    def open_box(self, tracking: str, phone: str) -> None:
        """Reserve a box and open it; form errors stay on the form."""
        courier = self.courier
        if courier is None:
            self.app.home()
            return
        try:
            validate.tracking(tracking)
        except InvalidInput:
            self.form_screen.show_error(lambda: self.tr(
                "That tracking number does not look right: use 4 to 40 letters, digits or '-'."))
            return
        try:
            p = self.service.start_deposit(courier, self.size, tracking, phone or None, consent=True,
                                           accessible=self.accessible)
        except InvalidInput as e:
            field = e.details.get("field")
            if field == "phone":
                self.form_screen.show_error(lambda: self.tr(
                    "The phone number must be 5 to 20 digits. Correct it, or leave it empty."))
            elif field == "tracking":
                self.form_screen.show_error(lambda: self.tr(
                    "This parcel is already in this cabinet. Check the tracking number."))
            else:
                self.form_screen.show_error(lambda: self.tr("Please check what you typed and try again."))
            return
        except NoFreeBox:
            size, acc = self.size, self.accessible
            if acc:
                self.form_screen.show_error(lambda: self.tr(
                    "No low box of size {size} or larger is free now. Go back and choose another size, "
                    "or untick \"Low box\".").format(size=size))
            else:
                self.form_screen.show_error(lambda: self.tr(
                    "No box of size {size} or larger is free now. Go back and choose another size.").format(
                        size=size))
            return
        except KioskError as e:
            self._fail(e)
            return
        if self._cancelled_by_lock(p):
            return
        self.deposit = Deposit(p, courier)
        self.app.go("courier.door")

    def cancel(self) -> None:
        d = self.deposit
        if d is None:
            self.menu()
            return
        try:
            self.service.cancel_deposit(d.courier, d.parcel.id)
        except KioskError as e:
            p = self.service.parcel(d.parcel.id)
            if p is not None and p.state == "stored":  # the door closed just before the tap: it is stored
                self._stored(p)
            elif p is not None and p.state == "cancelled":
                self._after_cancel(d)
            else:
                self._fail(e)
            return
        d.cancelled = True
        if d.door_open:
            self.door_screen.refresh()  # "take the parcel out and close the door"; the close goes to the menu
        else:
            self._after_cancel(d)

    def reopen(self) -> None:
        d = self.deposit
        if d is None:
            self.menu()
            return
        try:
            p = self.service.reopen(d.courier, d.parcel.id)
        except KioskError as e:
            self._fail(e)
            return
        if self._cancelled_by_lock(p):
            return
        d.door_open, d.empty = True, False
        self.door_screen.refresh()

    def _cancelled_by_lock(self, p: Parcel) -> bool:
        """The lock could not even be commanded: the core has cancelled the deposit already."""
        now = self.service.parcel(p.id)
        if now is not None and now.state == "cancelled":
            self.deposit = None
            box = p.box_no
            self.menu(lambda: self.tr("Door {box} did not open, so the deposit was cancelled. Please try again; "
                                      "if it happens again, call support.").format(box=box))
            return True
        return False

    def _after_cancel(self, d: Deposit) -> None:
        self.deposit = None
        box = d.parcel.box_no
        self.menu(lambda: self.tr("Deposit cancelled. Box {box} is free again.").format(box=box))

    def _stored(self, p: Parcel) -> None:
        self.deposit = None
        self.kiosk.deliver()  # the handheld gets the password now
        self.app.go("courier.sent", parcel=p)

    def another(self) -> None:
        self.app.go("courier.size", accessible=self.accessible)

    # ---- returns ---------------------------------------------------------------------------------------

    def open_return(self) -> None:
        if self.courier is None or self.returning is not None:
            return
        waiting = self.returns()
        if not waiting:
            self.menu()
            return
        p = waiting[0]
        try:
            self.service.collect_return(self.courier, p.id)
        except KioskError as e:
            self._fail(e)
            return
        self.kiosk.deliver()
        self.returning = p
        self.returns_screen.refresh()

    def _return_closed(self, p: Parcel) -> None:
        """That door is shut: open the next return's box at once (the courier is collecting them all)."""
        self.returning = None
        if self.returns():
            self.open_return()
        else:
            self.menu(lambda: self.tr("All returns collected. Thank you."))

    # ---- lockouts --------------------------------------------------------------------------------------

    def clear_lockout(self, box: str) -> None:
        if self.courier is None:
            return
        try:
            self.service.clear_lockout(self.courier, box)
        except KioskError as e:
            if isinstance(e, (StorageFailure, DeviceFault)):
                self._fail(e)
            else:
                self.lockouts_screen.refresh(lambda: self.tr(
                    "Box {box} is no longer locked. Nothing to do.").format(box=box))
            return
        self.kiosk.deliver()
        self.lockouts_screen.refresh(lambda: self.tr(
            "Box {box} unlocked — a new password was sent to your handheld.").format(box=box))

    # ---- devices ---------------------------------------------------------------------------------------

    def _door_event(self, box: str, is_open: bool, action: str) -> None:
        d = self.deposit
        if d is not None and box == d.parcel.box_no:
            d.door_open = is_open
            if is_open:
                d.empty = False
                self.door_screen.refresh()
            elif d.cancelled:
                self._after_cancel(d)
            elif action == "stored":
                p = self.service.parcel(d.parcel.id)
                self._stored(p or d.parcel)
            elif action == "deposit_empty":
                d.empty = True
                self.door_screen.refresh()
            else:  # the deposit ended some other way (e.g. a maintainer released the box)
                self.deposit = None
                self.menu()
            return
        r = self.returning
        if r is not None and box == r.box_no and not is_open:
            self._return_closed(r)
            return
        orphan = self._orphans.get(box)
        if orphan is not None and not is_open:
            del self._orphans[box]
            if action == "deposit_empty":  # nobody is here to put the parcel in: free the box
                self._quiet_cancel(orphan)

    def _unlock_failed(self, box: str) -> None:
        d = self.deposit
        if d is not None and box == d.parcel.box_no:
            self.deposit = None  # the core cancelled the reserved parcel
            if d.cancelled:
                self._after_cancel(d)
            else:
                self.menu(lambda: self.tr("Door {box} did not open, so the deposit was cancelled. Please try "
                                          "again; if it happens again, call support.").format(box=box))
            return
        r = self.returning
        if r is not None and box == r.box_no:
            self.returning = None
            self.returns_screen.refresh(lambda: self.tr(
                "Door {box} did not open. The parcel is still inside: please call support.").format(box=box))

    # ---- leaving ---------------------------------------------------------------------------------------

    def _screen_changed(self, name: str) -> None:
        if not name.startswith("courier."):
            self._forget()

    def _forget(self) -> None:
        """Log the courier out. A deposit left with its door shut and nothing inside is cancelled; one whose
        door is still open is watched until it closes."""
        d = self.deposit
        if d is not None and not d.cancelled:
            if d.door_open:
                self._orphans[d.parcel.box_no] = d
            else:
                self._quiet_cancel(d)
        self.courier = None
        self.deposit = None
        self.returning = None
        self.accessible = False
        self.login_screen.reset()
        self.form_screen.reset()

    def _quiet_cancel(self, d: Deposit) -> None:
        try:
            self.service.cancel_deposit(d.courier, d.parcel.id)
        except KioskError as e:
            log.warning("could not cancel the abandoned deposit in %s: %s", d.parcel.box_no, e)

    def _fail(self, e: KioskError) -> None:
        log.error("courier flow: %s", e)  # core messages never carry passwords or PINs
        if isinstance(e, StorageFailure):
            self.app.error(self.tr("The cabinet cannot save data right now, so nothing was changed."))
        elif isinstance(e, DeviceFault):
            self.app.error(self.tr("A lock of the cabinet is not responding."))
        else:
            self.app.error(self.tr("The cabinet could not do that right now."))

    def home_later(self) -> None:
        """Go home from inside a screen's enter() without nesting screen changes."""
        QTimer.singleShot(0, self.app.home)


def _hhmm(ts: float) -> str:
    return datetime.fromtimestamp(ts).strftime("%H:%M")
