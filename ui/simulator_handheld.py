"""The simulated courier handheld: every message the cabinet sent, worded as a courier would forward it.

Why a phone inside the simulator: on a real cabinet the password reaches only the courier's handheld (MQTT),
and the customer learns it from the courier. With no broker, a developer plays both people here: the list
shows the messages (passwords included: this is the courier's phone, not the kiosk screen), and "copy"
puts the newest password on the clipboard to type it on the kiosk as the customer. Messages are kept as
payloads and re-worded on every language change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget


def _when(ts: object) -> str:
    try:
        return datetime.fromtimestamp(float(ts)).strftime("%Y-%m-%d %H:%M")  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError, OSError):
        return "?"


KEPT = 500  # messages the simulated handheld keeps


class HandheldView(QListWidget):
    """Newest message on top. ``add(payload)`` for each message the kiosk delivers."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sim.handheld")
        self.setWordWrap(True)
        self.setAlternatingRowColors(True)
        self.payloads: list[dict[str, Any]] = []

    def add(self, payload: dict[str, Any]) -> None:
        self.payloads.append(payload)
        self.insertItem(0, self._item(payload))
        if len(self.payloads) > KEPT:  # a simulator left running for days: the oldest messages go
            del self.payloads[0]
            self.takeItem(self.count() - 1)

    def newest_password(self, tracking: str | None = None) -> dict[str, Any] | None:
        """The newest password message (for one parcel when ``tracking`` is given)."""
        for p in reversed(self.payloads):
            if p.get("type") == "password" and (tracking is None or p.get("tracking") == tracking):
                return p
        return None

    def texts(self) -> list[str]:
        """What the list shows, newest first."""
        return [self.item(i).text() for i in range(self.count())]

    def changeEvent(self, e: QEvent) -> None:
        if e.type() == QEvent.Type.LanguageChange:
            self.clear()
            for p in self.payloads:
                self.insertItem(0, self._item(p))
        super().changeEvent(e)

    def _item(self, p: dict[str, Any]) -> QListWidgetItem:
        head = self.tr("{time} to courier {courier}").format(time=_when(p.get("ts")), courier=p.get("courier_no", "?"))
        item = QListWidgetItem(f"{head}\n{self.describe(p)}")
        item.setToolTip(str(p.get("topic", "")))
        return item

    def describe(self, p: dict[str, Any]) -> str:
        """One message in words: what the courier would forward (passwords) or needs to know (notices)."""
        cab = p.get("cabinet") or {}
        where = self.tr("{site}, cabinet {id}, box {box}").format(
            site=cab.get("site", "?"), id=cab.get("id", "?"), box=p.get("box", "?"))
        tracking = p.get("tracking", "?")
        if p.get("type") == "password":
            text = self.tr("{where}: your parcel {tracking}, pickup password {password}, valid until {expiry}").format(
                where=where, tracking=tracking, password=p.get("password", "?"), expiry=_when(p.get("expires")))
            reason = p.get("reason")
            if reason == "lockout_cleared":
                return self.tr("New password after the lockout was cleared. {text}").format(text=text)
            if reason == "lockout_expired":
                return self.tr("New password after the lockout ended. {text}").format(text=text)
            return text
        event = p.get("event")
        if event == "collected":
            return self.tr("{where}: parcel {tracking} was collected.").format(where=where, tracking=tracking)
        if event == "refused":
            return self.tr("{where}: parcel {tracking} was refused ({reason}). Please take it back from the "
                           "cabinet.").format(where=where, tracking=tracking, reason=self.reason(p.get("reason")))
        if event == "overdue":
            return self.tr("{where}: parcel {tracking} was not collected in time. Please take it back from the "
                           "cabinet.").format(where=where, tracking=tracking)
        if event == "locked":
            return self.tr("{where}: the box is locked until {until} after too many wrong passwords for parcel "
                           "{tracking}. Your finger on the sensor clears it; otherwise a new password follows "
                           "then.").format(where=where, tracking=tracking, until=_when(p.get("until")))
        if event == "unconfirmed":
            return self.tr("{where}: the door of parcel {tracking} was closed without a choice and the box has no "
                           "sensor; a maintainer will check it.").format(where=where, tracking=tracking)
        return self.tr("{where}: message about parcel {tracking}: {event}").format(
            where=where, tracking=tracking, event=event or p.get("type", "?"))

    def reason(self, code: object) -> str:
        return {
            "damaged": self.tr("damaged"),
            "wrong_item": self.tr("wrong item"),
            "not_ordered": self.tr("not ordered"),
            "other": self.tr("other reason"),
            "closed_without_choice": self.tr("the door was closed with the parcel still inside"),
        }.get(str(code), str(code))
