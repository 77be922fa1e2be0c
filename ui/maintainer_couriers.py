"""The couriers tab of the maintainer screen: the list, adding a courier, fingerprint enrolment, removal.

Why enrolment lives here and talks to the sensor worker directly: claim 2 of the patent has couriers'
fingerprints enrolled beforehand, at the cabinet whose sensor will later recognise them; the template stays on
that sensor and only the slot number goes into the database (``assign_finger``). The sensor worker reports
each step as a signal, which the page turns into words; a stored template is always recorded, even if the
maintainer tapped Cancel a moment too late, so no template is left on the sensor without its courier.
"""

from __future__ import annotations

from PySide6.QtWidgets import (QGridLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QStackedWidget,
                               QVBoxLayout, QWidget)

from kiosk.model import Courier, KioskError

from .maintainer import TapField
from .maintainer_tabs import MaintTab, fixed_width, label, make_table, set_cell
from .widgets import button, wipe


class CouriersTab(MaintTab):
    def build(self) -> None:
        self.stack = QStackedWidget()
        self.lay.addWidget(self.stack, 1)
        self._build_list()
        self._build_form()
        self._build_enrol()
        self.shown: list[tuple[str, str, tuple[int, ...]]] | None = None
        self.couriers: dict[str, Courier] = {}
        self.state = "idle"  # idle | running | cancelling | finished
        self.enrol_for: Courier | None = None
        self.screen.keys.kbd.done.connect(self._next_field)
        fp = self.kiosk.fingerprint
        if fp is not None:
            fp.enrol_step.connect(self._step)
            fp.enrolled.connect(self._enrolled)
            fp.enrol_failed.connect(self._failed)

    def _build_list(self) -> None:
        page = QWidget()
        v = QVBoxLayout(page)
        v.setContentsMargins(0, 0, 0, 0)
        self.table = make_table("maint.couriers", 3, 1)
        self.table.itemSelectionChanged.connect(self._show_actions)
        v.addWidget(self.table, 1)
        self.bar = QHBoxLayout()
        self.sensor = label()
        self.bar.addWidget(self.sensor, 1)
        self.new = fixed_width(button("", "maint.courier.new", "primary", self._open_form))
        self.bar.addWidget(self.new)
        v.addLayout(self.bar)
        self.row_buttons: dict[str, tuple[QPushButton, QPushButton]] = {}
        self.list_page = page
        self.stack.addWidget(page)

    def _build_form(self) -> None:
        page = QWidget()
        v = QVBoxLayout(page)
        v.setContentsMargins(0, 0, 0, 0)
        grid = QGridLayout()
        self.number = TapField("maint.courier.number", self._type, 20)
        self.cname = TapField("maint.courier.name", self._type, 40)
        self.pin = TapField("maint.courier.pin", self._type, 12)
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.form_labels = [QLabel() for _ in range(3)]
        for i, (lb, field) in enumerate(zip(self.form_labels, (self.number, self.cname, self.pin))):
            lb.setObjectName("hint")
            grid.addWidget(lb, 0, i)
            grid.addWidget(field, 1, i)
            grid.setColumnStretch(i, 2 if field is self.cname else 1)
        self.space = fixed_width(button("", "maint.courier.space", "", lambda: self._insert(" ")))
        self.add = fixed_width(button("", "maint.courier.add", "primary", self._add))
        self.cancel_form = fixed_width(button("", "maint.courier.cancel", "", self._close_form))
        for i, b in enumerate((self.space, self.cancel_form, self.add)):
            grid.addWidget(b, 1, 3 + i)
        v.addLayout(grid)
        self.form_keys = QVBoxLayout()
        v.addLayout(self.form_keys, 1)
        self.form_page = page
        self.stack.addWidget(page)

    def _build_enrol(self) -> None:
        page = QWidget()
        v = QVBoxLayout(page)
        self.enrol_who = label("subtitle")
        self.step_text = label("maint.enrol.step")
        self.step_text.setStyleSheet(f"font-size: {self.screen.app.metrics['f_title']}px; font-weight: 700;")
        self.enrol_hint = label()
        v.addWidget(self.enrol_who)
        v.addWidget(self.step_text)
        v.addWidget(self.enrol_hint)
        v.addStretch(1)
        row = QGridLayout()
        self.enrol_cancel = button("", "maint.enrol.cancel", "", self._cancel_enrol)
        self.enrol_retry = button("", "maint.enrol.retry", "primary", self._retry)
        self.enrol_done = button("", "maint.enrol.done", "primary", self._finish)
        for i, b in enumerate((self.enrol_cancel, self.enrol_retry, self.enrol_done)):
            row.addWidget(b, 0, i)
        v.addLayout(row)
        self.enrol_page = page
        self.stack.addWidget(page)

    def retranslate(self) -> None:
        self.new.setText(self.tr("Add a courier"))
        self.table.setHorizontalHeaderLabels([self.tr("Number"), self.tr("Name"), self.tr("Fingerprints")])
        for lb, text in zip(self.form_labels, (self.tr("Courier number"), self.tr("Name"), self.tr("PIN (digits)"))):
            lb.setText(text)
        self.space.setText(self.tr("Space"))
        self.add.setText(self.tr("Add"))
        self.cancel_form.setText(self.tr("Cancel"))
        self.enrol_cancel.setText(self.tr("Cancel"))
        self.enrol_retry.setText(self.tr("Try again"))
        self.enrol_done.setText(self.tr("Done"))
        self.steps = {"place_finger": self.tr("Place the finger"), "lift_finger": self.tr("Lift the finger"),
                      "place_again": self.tr("Place the same finger again")}
        self._texts()
        self.shown = None
        self.refresh_if_shown()

    # ---- list --------------------------------------------------------------------------------------

    def refresh(self) -> None:
        try:
            couriers = self.service.couriers()
        except KioskError as e:
            self.screen.fail(self.tr("The couriers could not be read"), e)
            return
        self.couriers = {c.number: c for c in couriers}
        key = [(c.number, c.name, c.fingers) for c in couriers]
        if key == self.shown:
            return
        keep = self.selected()
        self.table.setRowCount(len(couriers))
        for r, c in enumerate(couriers):
            set_cell(self.table, r, 0, c.number)
            set_cell(self.table, r, 1, c.name)
            set_cell(self.table, r, 2, ", ".join(self.tr("slot {n}").format(n=s) for s in c.fingers)
                     or self.tr("none"))
        for number in list(self.row_buttons):  # out of the widget tree at once: names stay unique
            if number not in self.couriers:
                for b in self.row_buttons.pop(number):
                    b.setParent(None)
                    b.deleteLater()
        for c in couriers:
            if c.number not in self.row_buttons:
                enrol = fixed_width(button("", f"maint.courier.{c.number}.enrol", "",
                                           lambda _c=False, n=c.number: self._start_enrol(n)))
                enrol.setEnabled(self.kiosk.fingerprint is not None)
                remove = fixed_width(button("", f"maint.courier.{c.number}.remove", "danger",
                                            lambda _c=False, n=c.number: self._ask_remove(n)))
                for b in (enrol, remove):
                    self.bar.insertWidget(self.bar.count() - 1, b)
                self.row_buttons[c.number] = (enrol, remove)
        self._texts()
        self.shown = key
        if keep in self.couriers:
            self.select(keep)
        self._show_actions()

    def _texts(self) -> None:
        for enrol, remove in self.row_buttons.values():
            enrol.setText(self.tr("Enrol finger"))
            remove.setText(self.tr("Remove"))

    def selected(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        numbers = list(self.couriers)
        return numbers[rows[0].row()] if rows and rows[0].row() < len(numbers) else None

    def select(self, number: str) -> None:
        self.table.selectRow(list(self.couriers).index(number))

    def _show_actions(self) -> None:
        sel = self.selected()
        for number, (enrol, remove) in self.row_buttons.items():
            enrol.setVisible(number == sel)
            remove.setVisible(number == sel)
        if sel is not None:
            self.sensor.setText(self.tr("Courier {number}").format(number=sel))
        elif self.kiosk.fingerprint is None:
            self.sensor.setText(self.tr("The fingerprint sensor is not configured on this cabinet: couriers log "
                                        "in with number + PIN."))
        elif not self.couriers:
            self.sensor.setText(self.tr("No couriers yet: tap Add a courier."))
        else:
            self.sensor.setText(self.tr("Tap a courier to enrol a finger or remove them."))

    def close_pages(self) -> None:
        """The screen is left: stop what is under way and show the list next time."""
        if self.state == "running":
            self._cancel_enrol()
        self._close_form()

    def enrolling(self) -> bool:
        return self.state in ("running", "cancelling")

    # ---- add ---------------------------------------------------------------------------------------

    def _open_form(self) -> None:
        for f in (self.number, self.cname, self.pin):
            wipe(f)
        self.stack.setCurrentWidget(self.form_page)
        self.screen.focus(True)
        self._type(self.number)

    def _close_form(self) -> None:
        wipe(self.pin)
        if self.stack.currentWidget() is self.form_page:
            self.stack.setCurrentWidget(self.list_page)
            self.screen.focus(False)

    def _type(self, field: QLineEdit) -> None:
        self.screen.keys.place(self.form_keys)
        self.screen.keys.edit(field, digits=field is self.pin)

    def _next_field(self) -> None:
        """The keyboard's Done: on to the next field (number → name → PIN)."""
        if self.stack.currentWidget() is not self.form_page:
            return
        target = self.screen.keys.kbd.target
        if target is self.number:
            self._type(self.cname)
        elif target is self.cname:
            self._type(self.pin)

    def _insert(self, text: str) -> None:
        target = self.screen.keys.kbd.target
        if target is not None:
            target.insert(text)

    def _add(self) -> None:
        number = self.number.text().strip().upper()
        try:
            c = self.service.add_courier(number, self.cname.text(), self.pin.text())
        except KioskError as e:
            self.screen.fail(self.tr("The courier could not be added"), e)
            return
        self._close_form()
        self.refresh()
        self.screen.say(self.tr("Courier {number} added. Tap Enrol finger to register a fingerprint.").format(
            number=c.number))

    # ---- remove ------------------------------------------------------------------------------------

    def _ask_remove(self, number: str) -> None:
        c = self.couriers.get(number)
        self.screen.confirm.ask("courier.remove", self.tr(
            "Remove courier {number} ({name})? They can no longer log in here; their fingerprints are deleted "
            "from the sensor; their parcels keep their history.").format(number=number, name=c.name if c else ""),
            lambda _reason: self._remove(number))

    def _remove(self, number: str) -> None:
        try:
            before = self.service.courier(number)
            self.service.remove_courier(number)
        except KioskError as e:
            self.screen.fail(self.tr("Courier {number} could not be removed").format(number=number), e)
            return
        if self.kiosk.fingerprint is not None and before is not None:
            for slot in before.fingers:  # the finger must not be recognised here any more
                self.kiosk.fingerprint.delete(slot)
        self.refresh()
        self.screen.say(self.tr("Courier {number} removed.").format(number=number))

    # ---- enrol -------------------------------------------------------------------------------------

    def _start_enrol(self, number: str) -> None:
        c = self.couriers.get(number)
        if self.kiosk.fingerprint is None:
            self.screen.say(self.tr("The fingerprint sensor is not configured on this cabinet."), error=True)
            return
        if c is None or self.enrolling():
            return
        self.enrol_for = c
        self.enrol_who.setText(self.tr("Fingerprint for courier {number} ({name})").format(number=c.number,
                                                                                            name=c.name))
        self.stack.setCurrentWidget(self.enrol_page)
        self.screen.focus(True)
        self._run()

    def _run(self) -> None:
        self.state = "running"
        self.step_text.setText(self.tr("Getting the sensor ready…"))
        self.enrol_hint.setText(self.tr("Use the finger the courier will use every day, pressed flat."))
        self._buttons(cancel=True)
        self.kiosk.fingerprint.enrol()

    def _buttons(self, cancel: bool = False, retry: bool = False, done: bool = False) -> None:
        self.enrol_cancel.setVisible(cancel)
        self.enrol_retry.setVisible(retry)
        self.enrol_done.setVisible(done)

    def _step(self, step: str) -> None:
        # "stored" only means the sensor holds the template: "Stored" is shown by _enrolled once the courier's
        # record has the slot too (the two arrive as separate posts, and recording it can still fail)
        if self.state == "running" and step != "stored":
            self.step_text.setText(self.steps.get(step, step))

    def _enrolled(self, slot: int) -> None:
        c, was = self.enrol_for, self.state
        if c is None or was not in ("running", "cancelling"):
            return
        self.state = "finished"
        try:
            c = self.service.assign_finger(c.number, slot)
        except KioskError as e:
            self.step_text.setText(self.tr("Not recorded"))
            self.enrol_hint.setText(self.screen.reason(e))
            self.kiosk.fingerprint.delete(slot)  # no template without its courier
            self._buttons(retry=True, done=True)
            return
        self.step_text.setText(self.tr("Stored"))
        self.enrol_hint.setText(self.tr("Slot {slot}. {name} can now open the cabinet with this finger.").format(
            slot=slot, name=c.name))
        self._buttons(done=True)
        self.shown = None
        if was == "cancelling" or self.stack.currentWidget() is not self.enrol_page:
            self._finish()

    def _failed(self, message: str) -> None:
        if self.state == "cancelling":
            self.state = "idle"
            self._finish()
            self.screen.say(self.tr("Enrolment cancelled: nothing was stored."))
            return
        if self.state != "running":
            return
        self.state = "finished"
        self.step_text.setText(self.tr("Enrolment failed"))
        self.enrol_hint.setText(self.tr("The sensor said: {message}. Tap Try again, and press the finger flat "
                                        "and still.").format(message=message))
        self._buttons(retry=True, done=True)

    def _cancel_enrol(self) -> None:
        if self.state == "running":
            self.state = "cancelling"
            self.step_text.setText(self.tr("Cancelling…"))
            self._buttons()
            self.kiosk.fingerprint.listen(False)  # cuts the sensor's wait for a finger short
        else:
            self._finish()

    def _retry(self) -> None:
        if self.enrol_for is not None and self.state == "finished":
            self._run()

    def _finish(self) -> None:
        if self.state == "finished":
            self.state = "idle"
        if self.stack.currentWidget() is self.enrol_page:
            self.stack.setCurrentWidget(self.list_page)
            self.screen.focus(False)
        self.refresh()
