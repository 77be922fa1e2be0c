"""The courier's screens: they render the flow's state and forward taps to ``CourierFlow`` (ui/courier.py).

Why pages inside the login and parcel-form screens: the text keyboard needs the full width and nearly the full
height of a 7" 800x480 panel at a 78 px touch size, so a field is typed on a page of its own (field above the
keyboard, or beside the number keypad) and the form itself is a page of big buttons that show what was typed
and open the editor again. The same structure is used on 1280x800, so tests and people meet one design.

The tracking-number page also reads the parcel's barcode: the field's row carries a small camera preview and
one line that invites the courier to hold the label up (``ui/scan_area.py``). The scanner runs only while
that page is shown. A read fills the field and the courier confirms it with Done as if typed; a code that is
no tracking number (a pickup QR, anything else) only says so beside the preview.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (QAbstractButton, QCheckBox, QGridLayout, QHBoxLayout, QLabel, QLineEdit,
                               QListWidget, QPushButton, QScrollArea, QScroller, QSizePolicy, QStackedWidget,
                               QVBoxLayout, QWidget)

from kiosk import validate
from kiosk.config import SIZES
from kiosk.model import InvalidInput

from .scan_area import ScanArea
from .screen import Screen
from .widgets import Keypad, TextKeyboard, button, wipe

if TYPE_CHECKING:
    from kiosk.model import Parcel

    from .app import App
    from .courier import CourierFlow

Text = Callable[[], str]


# ---- helpers (no texts of their own) -----------------------------------------------------------------------


def compact(app: "App") -> bool:
    """A 7" 800x480-class panel: every row counts."""
    return app.size[1] < 600


class Notice(QLabel):
    """A message that re-reads its text on a language change (it holds a callable, not a string)."""

    def __init__(self, name: str = "courier.notice") -> None:
        super().__init__()
        self.setObjectName("error")
        self.setProperty("objectRole", name)
        self.setWordWrap(True)
        self._text: Text | None = None

    def show_text(self, text: Text | str | None) -> None:
        self._text = (lambda: text) if isinstance(text, str) else text  # a plain string stays as it is
        self.refresh()

    def refresh(self) -> None:
        self.setText(self._text() if self._text else "")

    def clear_text(self) -> None:
        self.show_text(None)


def line_edit(name: str, max_len: int, secret: bool = False) -> QLineEdit:
    e = QLineEdit()
    e.setObjectName(name)
    e.setAccessibleName(name)
    e.setMaxLength(max_len)
    e.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    if secret:
        e.setEchoMode(QLineEdit.EchoMode.Password)
        e.setInputMethodHints(Qt.InputMethodHint.ImhSensitiveData | Qt.InputMethodHint.ImhNoPredictiveText)
    return e


def keep_focus(*widgets: QWidget) -> None:
    """Keys must not take the focus from the field being typed (its yellow frame shows where input goes)."""
    for w in widgets:
        for b in w.findChildren(QAbstractButton):
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)


def fit_keyboard(kbd: TextKeyboard, app: "App") -> None:
    """Ten keys a row must fit the panel's width: keys keep the theme's height but share the width."""
    kbd.setStyleSheet("QPushButton { min-width: 0px; padding: 0px; }" +
                      (" QPushButton { border-width: 1px; }" if compact(app) else ""))
    kbd.layout().setSpacing(4 if compact(app) else 8)


def tight(screen: Screen) -> None:
    """Trim the screen's outer margins and spacing (never the touch targets): the keyboard needs the room.
    (A disabled primary button's colours come from assets/theme.qss, in every palette.)"""
    m = screen.app.metrics["pad"]
    if compact(screen.app):
        screen.layout().setContentsMargins(m, 4, m, 4)
        screen.layout().setSpacing(6)
        screen.body_layout.setSpacing(6)
    else:
        screen.layout().setContentsMargins(m * 2, 8, m * 2, 8)
        screen.layout().setSpacing(10)


def text_page(label: QLabel, field: QLineEdit, kbd: TextKeyboard, app: "App",
              beside: QWidget | None = None) -> QWidget:
    """A field above the full-width text keyboard (and ``beside`` it, sharing the row, if given)."""
    page = QWidget()
    v = QVBoxLayout(page)
    v.setContentsMargins(0, 0, 0, 0)
    v.setSpacing(6 if compact(app) else app.metrics["pad"])
    row = QHBoxLayout()
    row.addWidget(label)
    row.addWidget(field, 2 if beside is not None else 1)
    if beside is not None:
        row.addWidget(beside, 3)
    if compact(app):  # the keyboard is the touch target here; the field only shows what was typed
        field.setStyleSheet("QLineEdit { min-height: 0px; }")
        field.setFixedHeight(46)
    v.addLayout(row)
    v.addWidget(kbd, 1)
    fit_keyboard(kbd, app)
    keep_focus(kbd)
    return page


class Pages(QStackedWidget):
    """A stack whose hidden pages do not count towards its minimum size (QStackedWidget's do): the keyboard
    page is as tall as the panel allows, and must not push the form page's heading off a small screen."""

    def addWidget(self, w: QWidget) -> int:  # noqa: N802 (Qt's name)
        i = super().addWidget(w)
        self.fit_to(self.currentWidget())
        return i

    def setCurrentWidget(self, w: QWidget) -> None:  # noqa: N802
        self.fit_to(w)  # before the switch: its handlers may show a heading and re-lay the screen out
        super().setCurrentWidget(w)

    def fit_to(self, cur: QWidget) -> None:
        for i in range(self.count()):
            p = QSizePolicy.Policy.Preferred if self.widget(i) is cur else QSizePolicy.Policy.Ignored
            self.widget(i).setSizePolicy(p, p)
        # Qt re-reads the sizes up the tree on the next event-loop turn; a heading shown before that would be
        # laid out against the old page's size and grow the window. Re-read them now.
        w: QWidget | None = self
        while w is not None:
            w.updateGeometry()
            w = w.parentWidget()


def two_lines(b: QPushButton) -> None:
    b.ensurePolished()
    b.setMinimumHeight(b.fontMetrics().height() * 2 + 40)


# ---- 1. login --------------------------------------------------------------------------------------------


class LoginScreen(Screen):
    """Courier number on the text keyboard, then the PIN (masked) on the number keypad."""

    name = "courier.login"

    def __init__(self, app: "App", flow: "CourierFlow") -> None:
        self.flow = flow
        super().__init__(app)

    def build(self) -> None:
        tight(self)
        self.pages = Pages()
        self.number = line_edit("courier.number", 20)
        self.number_label = QLabel()
        self.kbd = TextKeyboard("kbd")
        self.kbd.target = self.number
        self.kbd.done.connect(self._number_done)
        self.number_page = text_page(self.number_label, self.number, self.kbd, self.app)

        self.pin_page = QWidget()
        row = QHBoxLayout(self.pin_page)
        row.setContentsMargins(0, 0, 0, 0)
        self.keypad = Keypad("keypad")
        self.pin = line_edit("courier.pin", 12, secret=True)
        self.keypad.target = self.pin
        keep_focus(self.keypad)
        row.addWidget(self.keypad, 4)
        side = QVBoxLayout()
        self.number_edit = button("", "courier.number.edit", "", self._edit_number)
        self.pin_label = QLabel()
        self.pin_label.setObjectName("hint")
        self.message = Notice()
        self.back = button("", "courier.login.back", "", lambda: self.app.home())
        self.submit = button("", "courier.login.submit", "primary", self._submit)
        actions = QHBoxLayout()
        actions.addWidget(self.back)
        actions.addWidget(self.submit, 2)
        side.addWidget(self.number_edit)
        if not compact(self.app):
            side.addWidget(self.pin_label)
        side.addWidget(self.pin)
        side.addWidget(self.message, 1)
        side.addLayout(actions)
        row.addLayout(side, 5)
        self.pages.addWidget(self.number_page)
        self.pages.addWidget(self.pin_page)
        self.body_layout.addWidget(self.pages, 1)
        self.number.textChanged.connect(self._update)
        self.pin.textChanged.connect(self._update)
        self.pin.returnPressed.connect(self._submit)
        self.number.returnPressed.connect(self._number_done)
        if compact(self.app):
            self.title.hide()
            self.subtitle.hide()

    def retranslate(self) -> None:
        self.title.setText(self.tr("Courier login"))
        self.number_label.setText(self.tr("Courier number"))
        self.number.setPlaceholderText(self.tr("e.g. C1001"))
        self.pin_label.setText(self.tr("Your PIN"))
        self.pin.setPlaceholderText(self.tr("PIN"))
        self.back.setText(self.tr("Back"))
        self.submit.setText(self.tr("Log in"))
        self.message.refresh()
        self._update()

    def _update(self) -> None:
        on_pin = self.pages.currentWidget() is self.pin_page
        self.subtitle.setText(self.tr("Type your PIN, then tap Log in.") if on_pin
                              else self.tr("Type your courier number, then tap Done."))
        self.number_edit.setText(self.tr("Courier number: {number}").format(number=self.number.text() or "—"))
        min_pin = self.kiosk.config.couriers.pin_min_length
        self.submit.setEnabled(bool(self.number.text().strip()) and len(self.pin.text()) >= min_pin)

    def reset(self) -> None:
        wipe(self.number)
        wipe(self.pin)
        self.message.clear_text()
        self.pages.setCurrentWidget(self.number_page)
        self._update()

    def enter(self, **context: Any) -> None:
        self.reset()
        self.number.setFocus()

    def leave(self) -> None:
        wipe(self.pin)  # a PIN never waits on a screen nobody watches

    def _number_done(self) -> None:
        self.pages.setCurrentWidget(self.pin_page)
        self.pin.setFocus()
        self._update()

    def _edit_number(self) -> None:
        self.pages.setCurrentWidget(self.number_page)
        self.number.setFocus()
        self._update()

    def _submit(self) -> None:
        if not self.submit.isEnabled():
            return
        number, pin = self.number.text().strip(), self.pin.text()
        wipe(self.pin)
        self.flow.login(number, pin)

    def show_error(self, text: Text) -> None:
        self.pages.setCurrentWidget(self.pin_page)
        self.message.show_text(text)
        self._update()


# ---- 2. menu ---------------------------------------------------------------------------------------------


class MenuScreen(Screen):
    name = "courier.menu"

    def __init__(self, app: "App", flow: "CourierFlow") -> None:
        self.flow = flow
        self._returns = 0
        self._lockouts = 0
        super().__init__(app)

    def build(self) -> None:
        tight(self)
        self.notice = Notice()
        grid = QGridLayout()
        grid.setSpacing(self.app.metrics["pad"])
        self.deposit = button("", "courier.deposit", "primary", self.flow.start)
        self.returns = button("", "courier.returns", "", lambda: self.app.go("courier.returns"))
        self.lockouts = button("", "courier.lockouts", "", lambda: self.app.go("courier.lockouts"))
        grid.addWidget(self.deposit, 0, 0, 1, 2)
        grid.addWidget(self.returns, 1, 0)
        grid.addWidget(self.lockouts, 1, 1)
        grid.setRowStretch(0, 3)
        grid.setRowStretch(1, 2)
        self.body_layout.addWidget(self.notice)
        self.body_layout.addLayout(grid, 1)
        self.logout = button("", "courier.logout", "", self.flow.logout)
        self.logout.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.buttons.addStretch(1)
        self.buttons.addWidget(self.logout)
        if compact(self.app):
            self.subtitle.hide()

    def retranslate(self) -> None:
        c = self.flow.courier
        self.title.setText(self.tr("Hello, {name} ({number})").format(name=c.name, number=c.number) if c else "")
        self.subtitle.setText(self.tr("What would you like to do?"))
        self.deposit.setText(self.tr("Deposit parcels"))
        self.returns.setText(self.tr("Collect returns ({n})").format(n=self._returns))
        self.lockouts.setText(self.tr("Clear a lockout ({n})").format(n=self._lockouts))
        self.logout.setText(self.tr("Log out"))
        self.notice.refresh()

    def enter(self, **context: Any) -> None:
        if self.flow.courier is None:
            self.flow.home_later()
            return
        self.notice.show_text(context.get("notice"))  # type: ignore[arg-type]
        self._returns = len(self.flow.returns())
        self._lockouts = len(self.flow.lockouts())
        self.returns.setEnabled(self._returns > 0)
        self.lockouts.setEnabled(self._lockouts > 0)
        self.retranslate()


# ---- 3. size ---------------------------------------------------------------------------------------------


class SizeScreen(Screen):
    name = "courier.size"

    def __init__(self, app: "App", flow: "CourierFlow") -> None:
        self.flow = flow
        self.counts: dict[str, int] = {s: 0 for s in SIZES}
        super().__init__(app)

    def build(self) -> None:
        tight(self)
        row = QHBoxLayout()
        row.setSpacing(self.app.metrics["pad"])
        self.size_buttons: dict[str, QPushButton] = {}
        for s in SIZES:
            b = button("", f"courier.size.{s}", "",
                       lambda _checked=False, s=s: self.flow.choose_size(s, self.accessible.isChecked()))
            two_lines(b)
            self.size_buttons[s] = b
            row.addWidget(b)
        self.notice = Notice()
        self.body_layout.addLayout(row, 1)
        self.body_layout.addWidget(self.notice)
        self.back = button("", "courier.size.back", "", lambda: self.flow.menu())
        self.back.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.accessible = QCheckBox()
        self.accessible.setObjectName("courier.accessible")
        self.accessible.setAccessibleName("courier.accessible")
        self.accessible.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.accessible.toggled.connect(lambda _on: self.refresh())
        self.buttons.addWidget(self.back)
        self.buttons.addStretch(1)
        self.buttons.addWidget(self.accessible)
        if compact(self.app):
            self.subtitle.hide()

    def _name(self, size: str) -> str:
        return {"S": self.tr("Small"), "M": self.tr("Medium"), "L": self.tr("Large"),
                "XL": self.tr("Extra large")}[size]

    def retranslate(self) -> None:
        self.title.setText(self.tr("Choose the box size"))
        self.subtitle.setText(self.tr("The smallest box that fits is used; if a size is full, a larger one is "
                                      "opened."))
        self.accessible.setText(self.tr("Low box: within reach from a wheelchair"))
        self.back.setText(self.tr("Back"))
        usable = False
        for i, s in enumerate(SIZES):
            n = self.counts[s]
            bigger = sum(self.counts[t] for t in SIZES[i + 1:])
            if n > 0:
                line = self.tr("{n} free").format(n=n)
            elif bigger > 0:
                line = self.tr("Full: a larger box")
            else:
                line = self.tr("None free")
            b = self.size_buttons[s]
            b.setText(f"{self._name(s)} {s}\n{line}")
            b.setEnabled(n + bigger > 0)
            usable = usable or n + bigger > 0
        if usable:
            self.notice.setText("")
        elif self.accessible.isChecked():
            self.notice.setText(self.tr("No low box is free now. Untick \"Low box\" to use any box."))
        else:
            self.notice.setText(self.tr("Every box is in use now. Please come back later or call support."))

    def refresh(self) -> None:
        self.counts = self.flow.free_counts(self.accessible.isChecked())
        self.retranslate()

    def enter(self, **context: Any) -> None:
        self.accessible.blockSignals(True)
        self.accessible.setChecked(bool(context.get("accessible", False)))
        self.accessible.blockSignals(False)
        self.refresh()


# ---- 4. parcel form --------------------------------------------------------------------------------------


class FormScreen(Screen):
    """Tracking number (text keyboard), optional recipient phone (keypad), the recipient's consent, open."""

    name = "courier.form"

    def __init__(self, app: "App", flow: "CourierFlow") -> None:
        self.flow = flow
        self._size = "M"
        self._accessible = False
        self._entered = False
        self._scan: tuple[str, str] = ("", "")  # what the last read meant ("read" | "pickup_code" | "not_tracking"), its text
        super().__init__(app)

    def build(self) -> None:
        tight(self)
        self.pages = Pages()
        self.tracking = line_edit("courier.tracking", 40)
        self.tracking_label = QLabel()
        self.kbd = TextKeyboard("kbd")
        self.kbd.target = self.tracking
        self.kbd.done.connect(self.show_summary)
        self.tracking.returnPressed.connect(self.show_summary)
        m = self.app.metrics
        # The preview as tall as the field's row: the keyboard needs the rest of a 7" panel, where that row is
        # 34 px, so the line beside it is set smaller there (two lines must fit).
        self.scan = ScanArea(self.kiosk, "courier.scan", preview=(128, 96), elastic=True, min_height=30,
                             font_px=13 if compact(self.app) else m["f_small"])
        self.tracking_page = text_page(self.tracking_label, self.tracking, self.kbd, self.app, beside=self.scan)

        self.phone_page = QWidget()
        prow = QHBoxLayout(self.phone_page)
        prow.setContentsMargins(0, 0, 0, 0)
        self.keypad = Keypad("keypad")
        self.phone = line_edit("courier.phone", 20)
        self.keypad.target = self.phone
        keep_focus(self.keypad)
        prow.addWidget(self.keypad, 4)
        pside = QVBoxLayout()
        self.phone_label = QLabel()
        self.phone_label.setObjectName("subtitle")
        self.phone_label.setWordWrap(True)
        self.phone_done = button("", "courier.phone.done", "primary", self.show_summary)
        self.phone.returnPressed.connect(self.show_summary)
        pside.addWidget(self.phone_label)
        pside.addWidget(self.phone)
        pside.addStretch(1)
        pside.addWidget(self.phone_done)
        prow.addLayout(pside, 5)

        self.summary = QWidget()
        sv = QVBoxLayout(self.summary)
        sv.setContentsMargins(0, 0, 0, 0)
        sv.setSpacing(6 if compact(self.app) else self.app.metrics["pad"])
        edits = QHBoxLayout()
        self.tracking_edit = button("", "courier.tracking.edit", "", self.edit_tracking)
        self.phone_edit = button("", "courier.phone.edit", "", self.edit_phone)
        for b in (self.tracking_edit, self.phone_edit):
            two_lines(b)
            edits.addWidget(b)
        self.consent = QCheckBox()
        self.consent.setObjectName("courier.consent")
        self.consent.setAccessibleName("courier.consent")
        self.consent.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.consent.toggled.connect(lambda _on: self._update())
        self.message = Notice()
        self.back = button("", "courier.form.back", "", self.flow.another)
        self.open = button("", "courier.open", "primary", self._open)
        for b in (self.back, self.open):
            b.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        actions = QHBoxLayout()
        actions.addWidget(self.back)
        actions.addWidget(self.message, 1)
        actions.addWidget(self.open)
        sv.addLayout(edits, 1)
        sv.addWidget(self.consent)
        sv.addLayout(actions)

        for p in (self.tracking_page, self.phone_page, self.summary):
            self.pages.addWidget(p)
        self.body_layout.addWidget(self.pages, 1)
        self.tracking.textChanged.connect(self._update)
        self.tracking.textChanged.connect(self._typed)
        self.phone.textChanged.connect(self._update)
        self.pages.currentChanged.connect(lambda _i: self._update())

    def retranslate(self) -> None:
        self.tracking_label.setText(self.tr("Tracking number"))
        self._label_row()
        self.phone_label.setText(self.tr("Recipient's phone (optional)"))
        self.phone_done.setText(self.tr("Done"))
        self.consent.setText(self.tr("The recipient agreed to locker delivery"))
        self.back.setText(self.tr("Back"))
        self.open.setText(self.tr("Open a box"))
        self.message.refresh()
        self._render_scan()
        self._update()

    def _render_scan(self) -> None:
        kind, _text = self._scan
        if kind == "read":
            line = self.tr("Read from the label. Check it, then tap Done.")
        elif kind == "pickup_code":
            line = self.tr("A customer's pickup code, not a parcel label.")
        elif kind == "not_tracking":
            line = self.tr("Not a tracking number. Hold the parcel label, or type it.")
        else:
            line = self.tr("Or hold the parcel's barcode to the camera")
        self.scan.hint.setText(line)
        self.scan.set_alert(kind in ("pickup_code", "not_tracking"))

    def _update(self) -> None:
        page = self.pages.currentWidget()
        size = self._size + (" · " + self.tr("low box") if self._accessible else "")
        if page is self.tracking_page:
            self.title.setText(self.tr("Type the tracking number"))
            self.subtitle.setText(self.tr("Size {size}. Tap Done when it matches the label.").format(size=size))
        elif page is self.phone_page:
            self.title.setText(self.tr("Recipient's phone"))
            self.subtitle.setText(self.tr("Optional: the recipient's mobile number."))
        else:
            self.title.setText(self.tr("Parcel details"))
            self.subtitle.setText(self.tr("Size {size}. Check, tick the recipient's consent, then open a box.")
                                  .format(size=size))
        self.tracking_edit.setText(self.tr("Tracking number") + "\n" + (self.tracking.text() or self.tr("tap to type")))
        self.phone_edit.setText(self.tr("Recipient's phone (optional)") + "\n" + (self.phone.text() or "—"))
        self.open.setEnabled(self.consent.isChecked() and bool(self.tracking.text().strip()))
        self._headings(page)

    def _headings(self, page: QWidget) -> None:
        """On a small panel the editor pages need the title's room too."""
        self.title.setVisible(not compact(self.app) or page is self.summary)
        self.subtitle.setVisible(not compact(self.app))

    def _show(self, page: QWidget) -> None:
        # Size for the new page, then its headings, then switch: never more than the panel in between.
        self.pages.fit_to(page)
        self._headings(page)
        self.pages.setCurrentWidget(page)
        self._scanning(self._entered and page is self.tracking_page)

    def _scanning(self, on: bool) -> None:
        """The camera reads labels only while the tracking number is being entered."""
        if on and not self.scan.scanning:
            self.scan.start(self._code_read)
        elif not on:
            self.scan.stop()
        self._label_row()

    def _label_row(self) -> None:
        """On a 7" panel the field's row is 34 px high: with the camera beside the field, the field's name
        moves into the field (as its placeholder) so the line beside the preview fits on one line."""
        squeeze = compact(self.app) and self.scan.isVisibleTo(self)
        self.tracking_label.setVisible(not squeeze)
        self.tracking.setPlaceholderText(self.tr("Tracking number") if squeeze else self.tr("as on the label"))

    def reset(self) -> None:
        wipe(self.tracking)
        wipe(self.phone)
        self.consent.setChecked(False)
        self.message.clear_text()
        self._set_scan("")
        self._show(self.tracking_page)

    def enter(self, **context: Any) -> None:
        self._size = str(context.get("size", self._size))
        self._accessible = bool(context.get("accessible", False))
        self._entered = True
        self.reset()
        self._update()
        self.tracking.setFocus()

    def leave(self) -> None:
        self._entered = False
        self._scanning(False)

    # ---- the camera reads the label ------------------------------------------------------------------

    def _set_scan(self, kind: str, text: str = "") -> None:
        self._scan = (kind, text)
        self._render_scan()

    def _code_read(self, kind: str, text: str) -> None:  # noqa: ARG002 (a tracking number may come as a QR too)
        if self.pages.currentWidget() is not self.tracking_page:
            return
        if text.startswith("PLK1:"):
            self._set_scan("pickup_code")
            return
        try:
            number = validate.tracking(text)
        except InvalidInput:
            self._set_scan("not_tracking")
            return
        self._set_scan("read", number)
        self.tracking.setText(number)
        self.tracking.setFocus()

    def _typed(self, text: str) -> None:
        """Typing makes the last read's note stale ("read from the label" untrue): back to the invitation."""
        kind, read = self._scan
        if kind and not (kind == "read" and text == read):
            self._set_scan("")

    def edit_tracking(self) -> None:
        self._show(self.tracking_page)
        self.tracking.setFocus()

    def edit_phone(self) -> None:
        self._show(self.phone_page)
        self.phone.setFocus()

    def show_summary(self) -> None:
        self._show(self.summary)

    def _open(self) -> None:
        if self.open.isEnabled():
            self.message.clear_text()
            self.flow.open_box(self.tracking.text().strip(), self.phone.text().strip())

    def show_error(self, text: Text) -> None:
        self.show_summary()
        self.message.show_text(text)


# ---- 5. door ---------------------------------------------------------------------------------------------


class DoorScreen(Screen):
    """The box is open for the deposit: put the parcel in and close the door (or take it out after Cancel)."""

    name = "courier.door"

    def __init__(self, app: "App", flow: "CourierFlow") -> None:
        self.flow = flow
        super().__init__(app)

    def build(self) -> None:
        tight(self)
        self.big = QLabel()
        self.big.setObjectName("big")
        self.big.setWordWrap(True)
        self.big.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.instruction = QLabel()
        self.instruction.setObjectName("subtitle")
        self.instruction.setWordWrap(True)
        self.instruction.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body_layout.addStretch(1)
        self.body_layout.addWidget(self.big)
        self.body_layout.addWidget(self.instruction)
        self.body_layout.addStretch(1)
        self.cancel = button("", "courier.cancel", "danger", self.flow.cancel)
        self.reopen = button("", "courier.reopen", "primary", self.flow.reopen)
        for b in (self.cancel, self.reopen):
            b.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.buttons.addWidget(self.cancel)
        self.buttons.addStretch(1)
        self.buttons.addWidget(self.reopen)

    def retranslate(self) -> None:
        self.cancel.setText(self.tr("Cancel this deposit"))
        self.reopen.setText(self.tr("Open the door again"))
        d = self.flow.deposit
        if d is None:
            return
        box = d.parcel.box_no
        self.title.setText(self.tr("Parcel {tracking}").format(tracking=d.parcel.tracking))
        if d.cancelled:
            self.big.setText(self.tr("Door {box} is open").format(box=box))
            self.instruction.setText(self.tr("Take the parcel out and close the door"))
            self.subtitle.setText(self.tr("Deposit cancelled: the box is free again once its door is shut."))
        elif d.empty:
            self.big.setText(self.tr("No parcel detected in {box}").format(box=box))
            self.instruction.setText(self.tr("The door closed but the box is empty. Open it again to put the "
                                             "parcel in, or cancel this deposit."))
            self.subtitle.setText("")
        else:
            self.big.setText(self.tr("Door {box} is open").format(box=box))
            self.instruction.setText(self.tr("Put the parcel in and close the door"))
            self.subtitle.setText(self.tr("When the door is shut, the password goes to your handheld."))
        self.cancel.setVisible(not d.cancelled)
        self.reopen.setVisible(d.empty and not d.cancelled)

    def refresh(self) -> None:
        self.retranslate()

    def enter(self, **context: Any) -> None:
        self.refresh()

    def holds_session(self) -> bool:
        d = self.flow.deposit
        return d is not None and d.door_open


# ---- 6. sent ---------------------------------------------------------------------------------------------


class SentScreen(Screen):
    """Stored: the password went to the courier's handheld. It is never shown here."""

    name = "courier.sent"

    def __init__(self, app: "App", flow: "CourierFlow") -> None:
        self.flow = flow
        self._box = self._tracking = ""
        super().__init__(app)

    def build(self) -> None:
        tight(self)
        self.box = QLabel()
        self.box.setObjectName("big")
        self.details = QLabel()
        self.details.setObjectName("subtitle")
        self.details.setWordWrap(True)
        self.body_layout.addWidget(self.box)
        self.body_layout.addWidget(self.details)
        self.body_layout.addStretch(1)
        self.done = button("", "courier.done", "", lambda: self.flow.menu())
        self.next = button("", "courier.next", "primary", self.flow.another)
        for b in (self.done, self.next):
            b.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.buttons.addWidget(self.done)
        self.buttons.addStretch(1)
        self.buttons.addWidget(self.next)

    def retranslate(self) -> None:
        self.title.setText(self.tr("Password sent to your handheld"))
        self.subtitle.setText(self.tr("Forward it to the recipient. For safety it is never shown on this screen."))
        self.box.setText(self.tr("Box {box}").format(box=self._box))
        self.details.setText(self.tr("Tracking number: {tracking}\nCabinet: {cabinet}").format(
            tracking=self._tracking, cabinet=self.kiosk.config.cabinet_id))
        self.done.setText(self.tr("Back to menu"))
        self.next.setText(self.tr("Deposit another parcel"))

    def enter(self, **context: Any) -> None:
        p = context.get("parcel")
        self._box = getattr(p, "box_no", "")
        self._tracking = getattr(p, "tracking", "")
        self.retranslate()


# ---- 7. returns ------------------------------------------------------------------------------------------


class ReturnsScreen(Screen):
    """Refused and overdue parcels go back with their courier, one door at a time."""

    name = "courier.returns"

    def __init__(self, app: "App", flow: "CourierFlow") -> None:
        self.flow = flow
        self._next_box = ""
        self._waiting: list[Parcel] = []  # as of the last refresh: retranslate() only renders
        super().__init__(app)

    def build(self) -> None:
        tight(self)
        self.status = Notice()
        self.list = QListWidget()
        self.list.setObjectName("courier.returns.list")
        self.list.setStyleSheet("QListWidget { font-size: %dpx; } QListWidget::item { padding: %dpx; }"
                                % (self.app.metrics["f_body"], self.app.metrics["pad"] // 2))
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.list.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
        QScroller.grabGesture(self.list.viewport(), QScroller.ScrollerGestureType.LeftMouseButtonGesture)
        self.body_layout.addWidget(self.status)
        self.body_layout.addWidget(self.list, 1)
        self.done = button("", "courier.returns.done", "", lambda: self.flow.menu())
        self.open = button("", "courier.returns.open", "primary", self.flow.open_return)
        for b in (self.done, self.open):
            b.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.buttons.addWidget(self.done)
        self.buttons.addStretch(1)
        self.buttons.addWidget(self.open)
        if compact(self.app):
            self.subtitle.hide()

    def _state(self, state: str) -> str:
        return {"refused": self.tr("Refused"), "overdue": self.tr("Overdue")}.get(state, state)

    def _reason(self, reason: str | None) -> str:
        return {"damaged": self.tr("damaged"), "wrong_item": self.tr("wrong item"),
                "not_ordered": self.tr("not ordered"), "other": self.tr("other reason"),
                "closed_without_choice": self.tr("door closed without a choice")}.get(reason or "", reason or "")

    def retranslate(self) -> None:
        self.title.setText(self.tr("Collect returns"))
        self.subtitle.setText(self.tr("Parcels refused by the recipient or not collected in time."))
        self.done.setText(self.tr("Back to menu"))
        r = self.flow.returning
        if r is not None:
            self.status.setText(self.tr("Door {box} is open: take the parcel, close the door").format(box=r.box_no))
        else:
            self.status.refresh()
        self.status.setVisible(bool(self.status.text()))
        self.open.setText(self.tr("Open the next box ({box})").format(box=self._next_box) if self._next_box
                          else self.tr("Open the next box"))
        self.list.clear()
        for p in self._waiting:
            reason = self._reason(p.reason)
            state = (self.tr("{state}: {reason}").format(state=self._state(p.state), reason=reason) if reason
                     else self._state(p.state))
            self.list.addItem(f"{p.box_no} · {p.tracking} · {state}")

    def refresh(self, notice: Text | None = None) -> None:
        self._waiting = waiting = self.flow.returns()
        self._next_box = waiting[0].box_no if waiting else ""
        self.open.setEnabled(bool(waiting) and self.flow.returning is None)
        self.done.setEnabled(self.flow.returning is None)
        self.status._text = notice
        self.retranslate()

    def enter(self, **context: Any) -> None:
        self.refresh()

    def holds_session(self) -> bool:
        return self.flow.returning is not None


# ---- 8. lockouts -----------------------------------------------------------------------------------------


class LockoutsScreen(Screen):
    """Boxes locked after wrong passwords on this courier's parcels; a tap unlocks and re-issues."""

    name = "courier.lockouts"

    def __init__(self, app: "App", flow: "CourierFlow") -> None:
        self.flow = flow
        self._rows: dict[str, tuple[QPushButton, str, float]] = {}
        super().__init__(app)

    def build(self) -> None:
        tight(self)
        self.notice = Notice()
        self.area = QScrollArea()
        self.area.setWidgetResizable(True)
        self.area.setFrameShape(QScrollArea.Shape.NoFrame)
        QScroller.grabGesture(self.area.viewport(), QScroller.ScrollerGestureType.LeftMouseButtonGesture)
        self.holder = QWidget()
        self.rows = QVBoxLayout(self.holder)
        self.rows.setContentsMargins(0, 0, 0, 0)
        self.rows.setSpacing(self.app.metrics["pad"] // 2)
        self.rows.addStretch(1)  # the one stretch, for good: rows go in above it
        self.area.setWidget(self.holder)
        self.body_layout.addWidget(self.notice)
        self.body_layout.addWidget(self.area, 1)
        self.back = button("", "courier.lockouts.back", "", lambda: self.flow.menu())
        self.back.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.buttons.addStretch(1)
        self.buttons.addWidget(self.back)
        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self._tick)
        if compact(self.app):
            self.subtitle.hide()

    def retranslate(self) -> None:
        self.title.setText(self.tr("Clear a lockout"))
        self.subtitle.setText(self.tr("These boxes locked after wrong passwords. Tap one to unlock it and send "
                                      "a new password to your handheld."))
        self.back.setText(self.tr("Back to menu"))
        self.notice.refresh()
        self._tick()

    def _tick(self) -> None:
        now = self.kiosk.service.clock.now()
        for box, (b, tracking, until) in self._rows.items():
            left = max(0, int(until - now + 0.999))
            b.setText(self.tr("Box {box} · {tracking}\nlocked for {time} more — tap to unlock").format(
                box=box, tracking=tracking, time=f"{left // 60:02d}:{left % 60:02d}"))

    def refresh(self, notice: Text | None = None) -> None:
        for b, _t, _u in self._rows.values():
            b.hide()
            # removeWidget deletes the row's layout item (takeAt handed it to us, and nothing ever freed it: a
            # leak per refresh that heaptrack found in the soak)
            self.rows.removeWidget(b)
            b.deleteLater()  # maybe the very button being tapped: Qt deletes it once its click is done
        self._rows = {}
        for lo in self.flow.lockouts():
            b = button("", f"courier.lockout.{lo.box_no}", "",
                       lambda _checked=False, box=lo.box_no: self.flow.clear_lockout(box))
            two_lines(b)
            b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            self.rows.insertWidget(self.rows.count() - 1, b)
            b.show()  # added to a shown screen: show it now, not on the next event-loop turn
            self._rows[lo.box_no] = (b, lo.tracking, lo.until)
        self.notice.show_text(notice)
        if not self._rows and notice is None:
            self.notice.show_text(lambda: self.tr("None of your parcels' boxes is locked."))
        self._tick()

    def enter(self, **context: Any) -> None:
        self.refresh()
        self.timer.start()

    def leave(self) -> None:
        self.timer.stop()
