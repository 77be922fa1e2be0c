"""The boxes tab of the maintainer screen: every box at a glance, a test-open and a force-release per box.

Why one-line rows and an action bar: 24 boxes (200 on a big cabinet) must be scannable on a 7" panel, and a
row tall enough for touch buttons shows three boxes at a time. So rows are one small-type line; tapping one
selects its box, and the bar under the table shows that box's buttons (``maint.door.A01.open``,
``maint.box.A01.release``) at full touch size, beside "Open all". Door and IR states come from the lock bank,
the rest from the service; the tab re-reads both every second while shown and whenever a door moves.
"""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QPushButton

from kiosk.model import BoxState, KioskError

from .maintainer import hhmm
from .maintainer_tabs import MaintTab, fixed_width, label, make_table, set_cell
from .widgets import button


class BoxesTab(MaintTab):
    COLS = 6

    def build(self) -> None:
        self.table = make_table("maint.boxes", self.COLS, 4)
        self.lay.addWidget(self.table, 1)
        bar = QHBoxLayout()
        self.info = label()
        bar.addWidget(self.info, 1)
        self.box_nos = [b.no for b in self.kiosk.config.boxes]
        self.table.setRowCount(len(self.box_nos))
        self.open_buttons: dict[str, QPushButton] = {}
        self.release_buttons: dict[str, QPushButton] = {}
        for no in self.box_nos:
            self.open_buttons[no] = fixed_width(button("", f"maint.door.{no}.open", "",
                                                       lambda _c=False, no=no: self._open(no)))
            self.release_buttons[no] = fixed_width(button("", f"maint.box.{no}.release", "danger",
                                                          lambda _c=False, no=no: self._ask_release(no)))
            for b in (self.open_buttons[no], self.release_buttons[no]):
                b.hide()
                bar.addWidget(b)
        self.open_all = fixed_width(button("", "maint.open_all", "danger", self._ask_open_all))
        bar.addWidget(self.open_all)
        self.lay.addLayout(bar)
        self.table.itemSelectionChanged.connect(self._show_actions)
        self.states: dict[str, BoxState] = {}

    def retranslate(self) -> None:
        self.open_all.setText(self.tr("Open all"))
        self.table.setHorizontalHeaderLabels([self.tr("Box"), self.tr("Size"), self.tr("Door"), self.tr("Item"),
                                              self.tr("Parcel"), self.tr("Locked until")])
        for no in self.box_nos:
            self.open_buttons[no].setText(self.tr("Test open {box}").format(box=no))
            self.release_buttons[no].setText(self.tr("Release {box}").format(box=no))
        self.parcel_states = {"reserved": self.tr("depositing"), "stored": self.tr("stored"),
                              "picking": self.tr("picking up"), "refused": self.tr("refused"),
                              "overdue": self.tr("overdue"), "unconfirmed": self.tr("unconfirmed")}
        self.refresh_if_shown()

    def selected(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return self.box_nos[rows[0].row()] if rows else None

    def refresh(self) -> None:
        try:
            self.states = {b.no: b for b in self.service.boxes()}
        except KioskError as e:
            self.screen.fail(self.tr("The boxes could not be read"), e)
            return
        bank = self.kiosk.locks.bank if self.kiosk.locks is not None else None
        for r, no in enumerate(self.box_nos):
            b = self.states.get(no)
            door = bank.is_door_open(no) if bank is not None else None
            item = bank.item_inside(no) if bank is not None and b is not None and b.has_ir else None
            size = (b.size + (" · " + self.tr("low") if b.accessible else "")) if b is not None else ""
            parcel = b.parcel if b is not None else None
            if b is not None and not b.enabled:
                text = self.tr("out of service")
            elif parcel is not None:
                text = f"{self.parcel_states.get(parcel.state, parcel.state)} · {parcel.tracking}"
            else:
                text = "—"
            cells = (no, size, self.tr("OPEN") if door else self.tr("closed") if door is False else "?",
                     self.tr("no sensor") if b is not None and not b.has_ir else
                     self.tr("inside") if item else self.tr("empty") if item is False else "?",
                     text, hhmm(b.locked_until) if b is not None and b.locked_until else "")
            for c, value in enumerate(cells):
                set_cell(self.table, r, c, value, warn=(c == 2 and bool(door)) or (c == 5 and bool(value)))
        self._show_actions()

    def _show_actions(self) -> None:
        sel = self.selected()
        for no in self.box_nos:
            b = self.states.get(no)
            self.open_buttons[no].setVisible(no == sel)
            self.release_buttons[no].setVisible(no == sel and b is not None
                                                and (b.parcel is not None or b.locked_until is not None))
        if sel is None:
            busy = sum(1 for b in self.states.values() if b.parcel is not None)
            bank = self.kiosk.locks.bank if self.kiosk.locks is not None else None
            opened = sum(1 for no in self.box_nos if bank is not None and bank.is_door_open(no))
            self.info.setText(self.tr("{n} boxes · {busy} in use · {open} doors open. Tap a box for its "
                                      "buttons.").format(n=len(self.box_nos), busy=busy, open=opened))
        else:
            self.info.setText(self.tr("Box {box}").format(box=sel))

    def select(self, no: str) -> None:
        self.table.selectRow(self.box_nos.index(no))

    # ---- actions -----------------------------------------------------------------------------------

    def _open(self, no: str) -> None:
        try:
            self.service.maintainer_open(no, "test open")
        except KioskError as e:
            self.screen.fail(self.tr("Box {box} could not be opened").format(box=no), e)
            return
        self.screen.say(self.tr("Box {box}: the lock was pulsed. Close the door when you are done.").format(box=no))
        self.refresh()

    def _ask_open_all(self) -> None:
        self.screen.confirm.ask("open_all", self.tr(
            "Open every door of this cabinet? Parcels stay recorded where they are. Stay with the cabinet and "
            "close every door afterwards."), lambda _reason: self._open_all())

    def _open_all(self) -> None:
        try:
            opened = self.service.maintainer_open_all("open all")
        except KioskError as e:
            self.screen.fail(self.tr("The boxes could not be opened"), e)
            return
        failed = sum(1 for b in self.states.values() if b.enabled) - len(opened)
        if failed > 0:
            self.screen.say(self.tr("{n} doors opened; {failed} could not be commanded. Check the Devices tab.")
                            .format(n=len(opened), failed=failed), error=True)
        else:
            self.screen.say(self.tr("{n} doors opened. Close every door when you are done.").format(n=len(opened)))
        self.refresh()

    def _ask_release(self, no: str) -> None:
        try:
            p = self.service.box_parcel(no)
        except KioskError as e:
            self.screen.fail(self.tr("Box {box} could not be read").format(box=no), e)
            return
        what = self.tr("parcel {tracking}").format(tracking=p.tracking) if p else self.tr("its lockout")
        self.screen.confirm.ask("release", self.tr(
            "Release box {box} and close the record of {what}? Its password stops working. The door does not "
            "open: use Test open to take a parcel out. Why?").format(box=no, what=what),
            lambda reason: self._release(no, reason))

    def _release(self, no: str, reason: str) -> None:
        try:
            self.service.force_release(no, reason)
        except KioskError as e:
            self.screen.fail(self.tr("Box {box} could not be released").format(box=no), e)
            return
        self.kiosk.deliver()
        self.screen.say(self.tr("Box {box} is free again.").format(box=no))
        self.refresh()
