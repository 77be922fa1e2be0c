"""The customer's journey: box number + password → the door opens → check → accept or refuse → close → thanks.

Why a flow object: it is the one place that calls the service for a customer and decides what each outcome
means on screen (``kiosk.model.PickupResult``: opened, wrong password, locked box, throttled, expired, lock
unavailable). It follows the one box it opened through the door events the core has already recorded: the
customer's choice (or none, when the door is shut first) is settled by the core, the screens only say so.
A password is passed straight from the field to the service; it is never kept, shown afterwards or logged.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from kiosk.model import BoxLocked, Expired, KioskError, Opened, Parcel, Throttled, Unavailable, WrongPassword

from .customer_screens import CheckScreen, CloseScreen, LockedScreen, PickupScreen, ReasonScreen, ThanksScreen

if TYPE_CHECKING:
    from .app import App

log = logging.getLogger(__name__)

# What closing the door without a choice meant (the core's action) → the thanks screen's outcome.
NO_CHOICE = {"collected": "collected", "refused": "stayed", "unconfirmed": "unconfirmed"}


class CustomerFlow(QObject):
    def __init__(self, app: "App") -> None:
        super().__init__()
        self.app = app
        self.kiosk = app.kiosk
        self.parcel: Parcel | None = None  # the parcel whose door this flow opened, until the door closes
        self.pickup = PickupScreen(app)
        self.check = CheckScreen(app)
        self.reason = ReasonScreen(app)
        self.closing = CloseScreen(app)
        self.locked = LockedScreen(app)
        self.thanks = ThanksScreen(app)
        for s in (self.pickup, self.check, self.reason, self.closing, self.locked, self.thanks):
            app.add(s)
        self.pickup.submitted.connect(self._submit)
        self.pickup.cancelled.connect(lambda: app.home())
        self.check.accepted.connect(self._accept)
        self.check.rejected.connect(lambda: app.go("pickup.reason", box=self._box()))
        self.reason.chosen.connect(self._reject)
        self.reason.back_requested.connect(lambda: app.go("pickup.check"))
        self.locked.time_up.connect(lambda: self.kiosk.tick())  # the core re-issues the password and it is delivered
        self.kiosk.door_event.connect(self._door)
        self.kiosk.unlock_failed.connect(self._unlock_failed)

    def begin(self) -> None:
        """A customer begins a pickup: filmed from here (with the pre-roll) until the door is shut again."""
        self.parcel = None
        self.kiosk.begin_txn("pickup", "customer")
        self.app.go("pickup")

    # ---- pickup ----------------------------------------------------------------------------------------

    def _submit(self, box: str, password: str) -> None:
        service = self.kiosk.service
        try:
            result = service.pickup(box, password)
        except KioskError as e:
            log.error("pickup failed: %s", e)
            self.app.error(self.tr("The cabinet cannot check passwords right now. Your password still works: "
                                   "please try again later."))
            return
        finally:
            self.kiosk.deliver()  # a lockout tells the courier at once
        if isinstance(result, Opened):
            self.parcel = result.parcel
            box_no = result.parcel.box_no
            self.app.go("pickup.check", box=box_no, tracking=result.parcel.tracking,
                        opened=self.kiosk.door_open(box_no) is True)
        elif isinstance(result, WrongPassword):
            self.pickup.show_wrong(result.tries_left)
        elif isinstance(result, BoxLocked):
            self.app.go("pickup.locked", box=service.box_no(box) or box.upper(), until=result.until)
        elif isinstance(result, Throttled):
            self.pickup.show_throttled(result.retry_at)
        elif isinstance(result, Expired):
            self.pickup.show_expired()
        elif isinstance(result, Unavailable):
            self.app.error(self.tr("Box {box} could not be opened because of a technical problem. Your password "
                                   "still works: please try again in a few minutes.").format(
                box=service.box_no(box) or box.upper()))

    # ---- the open box ----------------------------------------------------------------------------------

    def _box(self) -> str:
        return self.parcel.box_no if self.parcel is not None else ""

    def _accept(self) -> None:
        if self.parcel is None:
            return
        try:
            self.parcel = self.kiosk.service.accept(self.parcel.id)
        except KioskError as e:
            self._failed(e)
            return
        finally:
            self.kiosk.deliver()
        self.app.go("pickup.close", box=self._box(), mode="take")

    def _reject(self, reason: str) -> None:
        if self.parcel is None:
            return
        try:
            self.parcel = self.kiosk.service.reject(self.parcel.id, reason)
        except KioskError as e:
            self._failed(e)
            return
        finally:
            self.kiosk.deliver()
        self.app.go("pickup.close", box=self._box(), mode="put_back")

    def _failed(self, e: KioskError) -> None:
        log.error("pickup of box %s: %s", self._box(), e)
        box, self.parcel = self._box(), None
        self.app.error(self.tr("Your choice for box {box} could not be saved. Please close the door; the staff "
                               "will sort it out.").format(box=box))

    def _in_session(self) -> bool:
        return self.app.window.current() in (self.check, self.reason, self.closing)

    def _door(self, box: str, is_open: bool, action: str) -> None:
        if self.parcel is None or box != self.parcel.box_no or not self._in_session():
            return
        current = self.app.window.current()
        if is_open:
            if current is self.check:
                self.check.set_opened(True)
            return
        self.parcel = None
        if current is self.closing:
            outcome = "accepted" if self.closing.mode == "take" else "refused"
        else:  # closed on the check or reason screen: nobody chose, the core decided from the IR sensor
            outcome = NO_CHOICE.get(action, "unconfirmed")
        self.app.go("pickup.thanks", outcome=outcome)

    def _unlock_failed(self, box: str) -> None:
        if self.parcel is None or box != self.parcel.box_no or not self._in_session():
            return
        self.parcel = None
        self.app.error(self.tr("Box {box} did not open. Your password still works: please try again, or ask "
                               "your courier for help.").format(box=box))
