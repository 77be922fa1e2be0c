"""The maintainer flow: a PIN-guarded diagnostic screen for the people who keep the cabinet running.

Why one screen with tabs rather than many pages: a maintainer at the cabinet jumps between "which door is
open", "open it", "why did it fault" and "enrol this courier"; tabs keep each a tap away on a 7" panel. The
screen is only reachable through the PIN (``authorised`` is set by a successful login and dropped whenever the
screen is left, including by inactivity), and every dangerous action (open all, force release, remove a
courier) asks first on an in-screen confirm page. The tabs live in ``maintainer_tabs.py`` (devices, log,
lockouts, system), ``maintainer_boxes.py`` and ``maintainer_couriers.py``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import (QButtonGroup, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QScrollArea,
                               QScroller, QStackedWidget, QTabWidget, QVBoxLayout, QWidget)

from kiosk.model import (DeviceFault, InvalidInput, InvalidState, KioskError, PinLocked, StorageFailure,
                         UnknownBox, UnknownCourier, WrongPin)

from .screen import Screen
from .widgets import Keypad, TextKeyboard, button, wipe

OK_COLOUR, ERROR_COLOUR = "#8fe3a5", "#ffdf5d"  # the theme's "primary" border and error yellow
COMPACT_WIDTH = 1100  # narrower panels: the text keyboard's keys share the width, the keypad goes to two rows


def hhmm(ts: float) -> str:
    return datetime.fromtimestamp(ts).strftime("%H:%M")


class MaintainerFlow(QObject):
    """Login, the diagnostic screen, and what outlives a visit: the alarm history."""

    def __init__(self, app: Any) -> None:
        super().__init__()
        self.app = app
        self.kiosk = app.kiosk
        self.authorised = False
        # The last 50 alarms since start (tamper, open_not_detected, faults): time, kind, one line.
        self.alarms: deque[tuple[float, str, str]] = deque(maxlen=50)
        self.kiosk.alarm.connect(self._alarm)
        self.login = MaintLoginScreen(self)
        self.screen = MaintScreen(self)
        app.add(self.login)
        app.add(self.screen)

    def begin(self, *_args: object) -> None:
        self.authorised = False
        self.app.go("maint.login")

    def submit_pin(self, pin: str) -> str | None:
        """None when the PIN was right (then the diagnostic screen opens), else what to tell the person."""
        if not pin:
            return self.tr("Enter the maintainer PIN on the keypad.")
        try:
            self.kiosk.service.maintainer_login(pin)
        except WrongPin as e:
            left = e.details.get("tries_left")
            if left is not None and left <= 0:
                return self.tr("Wrong PIN. Maintenance login is now paused for {minutes} minutes.").format(
                    minutes=f"{self.kiosk.config.ui.maintainer_lock_minutes:g}")
            return self.tr("Wrong PIN. {n} tries left.").format(n=left)
        except PinLocked as e:
            return self.tr("Maintenance login is paused after repeated wrong PINs. Try again after {time}.").format(
                time=hhmm(float(e.details.get("until", self.kiosk.service.clock.now()))))
        except InvalidState:
            return self.tr("No maintainer PIN is set on this cabinet. Set ui.maintainer_pin_hash in the "
                           "configuration (make one with: kiosk maintainer-pin).")
        except KioskError as e:
            return self.tr("Login failed: {error}").format(error=str(e))
        self.authorised = True
        self.app.go("maint")
        return None

    def exit(self) -> None:
        self.authorised = False
        self.app.home()

    def _alarm(self, kind: str, line: str) -> None:
        self.alarms.append((self.kiosk.service.clock.now(), kind, line))
        if self.app.window.current() is self.screen:
            self.screen.devices.refresh()


class MaintLoginScreen(Screen):
    """PIN on a keypad; the PIN is masked and cleared after every attempt."""

    name = "maint.login"

    def __init__(self, flow: MaintainerFlow) -> None:
        self.flow = flow
        super().__init__(flow.app)

    def build(self) -> None:
        self.title.hide()  # 800x480: the keypad needs the height; the heading sits beside it
        self.subtitle.hide()
        row = QHBoxLayout()
        left = QVBoxLayout()
        self.heading = QLabel()
        self.heading.setObjectName("title")
        self.heading.setWordWrap(True)
        self.hint = QLabel()
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        self.pin = QLineEdit()
        self.pin.setObjectName("maint.pin")
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setMaxLength(16)
        self.message = QLabel()
        self.message.setObjectName("error")
        self.message.setWordWrap(True)
        buttons = QHBoxLayout()
        self.back = button("", "maint.back", "", self.flow.exit)
        self.submit = button("", "maint.submit", "primary", self._submit)
        buttons.addWidget(self.back)
        buttons.addWidget(self.submit)
        for w in (self.heading, self.hint, self.pin, self.message):
            left.addWidget(w)
        left.addStretch(1)
        left.addLayout(buttons)
        self.keypad = Keypad(prefix="keypad")
        self.keypad.target = self.pin
        self.keypad.submitted.connect(self._submit)
        row.addLayout(left, 1)
        row.addWidget(self.keypad)
        self.body_layout.addLayout(row, 1)

    def retranslate(self) -> None:
        self.heading.setText(self.tr("Maintenance"))
        self.hint.setText(self.tr("Enter the maintainer PIN."))
        self.back.setText(self.tr("Back"))
        self.submit.setText(self.tr("Enter"))

    def enter(self, **context: Any) -> None:
        wipe(self.pin)
        self.message.clear()

    def leave(self) -> None:
        wipe(self.pin)

    def _submit(self) -> None:
        pin = self.pin.text()
        wipe(self.pin)  # never left on screen, right or wrong
        message = self.flow.submit_pin(pin)
        if message is not None:
            self.message.setText(message)


class TapField(QLineEdit):
    """A field that says when it is tapped, so the screen can point the on-screen keyboard at it."""

    def __init__(self, name: str, on_tap: Callable[["TapField"], None], max_length: int = 40) -> None:
        super().__init__()
        self.setObjectName(name)
        self.setAccessibleName(name)
        self.setMaxLength(max_length)
        self._on_tap = on_tap

    def mousePressEvent(self, e: Any) -> None:
        super().mousePressEvent(e)
        self._on_tap(self)


class MaintKeys(QScrollArea):
    """The screen's one text keyboard (``kbd.*``) and one keypad (``keypad.*``), moved to the field being edited.

    One of each per screen because key names must be unique on a screen. On a narrow panel the text keyboard
    is taller than the room under the fields, so it sits in a scroll area (drag it up for the bottom row).
    """

    def __init__(self, compact: bool) -> None:
        super().__init__()
        self.setObjectName("maint.keys")
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # keys share the width
        inner = QWidget()
        lay = QVBoxLayout(inner)
        lay.setContentsMargins(0, 0, 0, 0)
        self.kbd = TextKeyboard(prefix="kbd")
        self.pad = Keypad(prefix="keypad")
        # Keys keep the theme's touch height; their width is shared across the panel: ten keys a row at 78 px
        # plus padding do not fit 1280 px, and at 800 px they share about 68 px each (as the courier screens'
        # keyboard does), which beats scrolling sideways to reach a key.
        self.kbd.setStyleSheet("QPushButton { padding: 0px; }" +
                               (" QPushButton { min-width: 60px; border-width: 1px; }" if compact else ""))
        self.kbd.layout().setSpacing(4 if compact else 8)
        if compact:
            self._two_rows(self.pad)
        lay.addWidget(self.kbd)
        lay.addWidget(self.pad, 0, Qt.AlignmentFlag.AlignLeft)
        lay.addStretch(1)
        self.setWidget(inner)
        QScroller.grabGesture(self.viewport(), QScroller.ScrollerGestureType.TouchGesture)
        self.hide()

    @staticmethod
    def _two_rows(pad: Keypad) -> None:
        """1–6 over 7–0, ⌫, Clear: the whole pad fits under a row of fields on a 480 px high panel."""
        grid = pad.layout()
        for i, key in enumerate(["1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "back", "clear"]):
            w = pad.findChild(QPushButton, f"keypad.{key}")
            if w is not None and isinstance(grid, QGridLayout):
                grid.removeWidget(w)
                grid.addWidget(w, i // 6, i % 6)

    def edit(self, field: QLineEdit, digits: bool = False) -> None:
        self.kbd.target = None if digits else field
        self.pad.target = field if digits else None
        self.kbd.setVisible(not digits)
        self.pad.setVisible(digits)
        self.widget().layout().activate()  # the scroll range follows the keyboard now shown
        self.widget().resize(self.viewport().width(), self.widget().minimumSizeHint().height())
        field.setFocus()

    def place(self, layout: QVBoxLayout) -> None:
        if self.parentWidget() is None or layout.indexOf(self) < 0:
            layout.addWidget(self, 1)
        self.show()


class MaintConfirm(QWidget):
    """The in-screen "are you sure" page: one pair of buttons per dangerous action, stable names for each."""

    REASONS = {"taken_out": "parcel taken out by maintenance", "stuck": "record stuck, box checked empty",
               "damaged": "parcel damaged or unsafe"}

    def __init__(self, screen: "MaintScreen") -> None:
        super().__init__()
        self.screen = screen
        lay = QVBoxLayout(self)
        self.text = QLabel()
        self.text.setObjectName("subtitle")
        self.text.setWordWrap(True)
        lay.addWidget(self.text)
        self.reason_row = QWidget()
        rl = QHBoxLayout(self.reason_row)
        rl.setContentsMargins(0, 0, 0, 0)
        self.reasons = QButtonGroup(self)
        self.reason_buttons: dict[str, QPushButton] = {}
        for code in self.REASONS:
            b = button("", f"maint.release.reason.{code}")
            b.setCheckable(True)
            self.reasons.addButton(b)
            self.reason_buttons[code] = b
            rl.addWidget(b)
        lay.addWidget(self.reason_row)
        lay.addStretch(1)
        row = QHBoxLayout()
        self.pairs: dict[str, tuple[QPushButton, QPushButton]] = {}
        for kind in ("open_all", "release", "courier.remove"):
            yes = button("", f"maint.{kind}.confirm", "danger", self._yes)
            no = button("", f"maint.{kind}.cancel", "", self._no)
            row.addWidget(no)
            row.addWidget(yes)
            self.pairs[kind] = (yes, no)
        lay.addLayout(row)
        self._action: Callable[[str], None] | None = None
        self.retranslate()

    def retranslate(self) -> None:
        self.reason_buttons["taken_out"].setText(self.tr("Parcel taken out"))
        self.reason_buttons["stuck"].setText(self.tr("Box is empty"))
        self.reason_buttons["damaged"].setText(self.tr("Damaged"))
        self.pairs["open_all"][0].setText(self.tr("Open all boxes"))
        self.pairs["release"][0].setText(self.tr("Release the box"))
        self.pairs["courier.remove"][0].setText(self.tr("Remove the courier"))
        for _yes, no in self.pairs.values():
            no.setText(self.tr("Cancel"))

    def changeEvent(self, e: QEvent) -> None:
        if e.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(e)

    def ask(self, kind: str, text: str, action: Callable[[str], None]) -> None:
        """Show ``text`` with the ``kind`` buttons; ``action(reason)`` runs on confirm."""
        self.text.setText(text)
        self.reason_row.setVisible(kind == "release")
        self.reason_buttons["taken_out"].setChecked(True)
        for k, (yes, no) in self.pairs.items():
            yes.setVisible(k == kind)
            no.setVisible(k == kind)
        self._action = action
        self.screen.pages.setCurrentWidget(self)

    def _reason(self) -> str:
        for code, b in self.reason_buttons.items():
            if b.isChecked():
                return self.REASONS[code]
        return "maintenance"

    def _yes(self) -> None:
        action, self._action = self._action, None
        self.screen.pages.setCurrentWidget(self.screen.tabs)
        if action is not None:
            action(self._reason())

    def _no(self) -> None:
        self._action = None
        self.screen.pages.setCurrentWidget(self.screen.tabs)
        self.screen.say(self.tr("Cancelled: nothing was changed."))


class MaintScreen(Screen):
    """The diagnostic screen: tabs, a confirm page, one message line."""

    name = "maint"

    def __init__(self, flow: MaintainerFlow) -> None:
        self.flow = flow
        super().__init__(flow.app)

    def build(self) -> None:
        from .maintainer_couriers import CouriersTab
        from .maintainer_boxes import BoxesTab
        from .maintainer_clips import ClipsTab
        from .maintainer_support import SupportTab
        from .maintainer_tabs import DevicesTab, LockoutsTab, LogTab, SystemTab

        self.title.hide()  # the tab bar says where you are; 800x480 needs the height
        self.subtitle.hide()
        self.keys = MaintKeys(self.app.size[0] < COMPACT_WIDTH)
        self.pages = QStackedWidget()
        self.tabs = QTabWidget()
        self.tabs.setObjectName("maint.tabs")
        self.exit = button("", "maint.exit", "", self.flow.exit)
        self.tabs.setCornerWidget(self.exit, Qt.Corner.TopRightCorner)
        self.devices = DevicesTab(self)
        self.boxes = BoxesTab(self)
        self.couriers = CouriersTab(self)
        self.log = LogTab(self)
        self.lockouts = LockoutsTab(self)
        self.system = SystemTab(self)
        self.clips = ClipsTab(self)
        self.support = SupportTab(self)
        for tab in (self.devices, self.boxes, self.couriers, self.log, self.lockouts, self.system, self.clips,
                    self.support):
            self.tabs.addTab(tab, "")
        self.confirm = MaintConfirm(self)
        self.pages.addWidget(self.tabs)
        self.pages.addWidget(self.confirm)
        self.message = QLabel()
        self.message.setObjectName("maint.message")
        self.message.setWordWrap(True)
        self.message.hide()
        self.body_layout.addWidget(self.pages, 1)
        self.body_layout.addWidget(self.message)
        self.tabs.currentChanged.connect(lambda _i: (self.say(""), self._refresh_current()))
        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self._tick)
        self.kiosk.door_event.connect(lambda *_a: self._when_shown(self.boxes.refresh))
        self.kiosk.device_state.connect(lambda *_a: self._when_shown(self.devices.refresh))

    def retranslate(self) -> None:
        self.exit.setText(self.tr("Exit"))
        for i, text in enumerate((self.tr("Devices"), self.tr("Boxes"), self.tr("Couriers"), self.tr("Log"),
                                  self.tr("Lockouts"), self.tr("System"), self.tr("Video"), self.tr("Support"))):
            self.tabs.setTabText(i, text)

    # ---- life cycle ------------------------------------------------------------------------------------

    def enter(self, **context: Any) -> None:
        if not self.flow.authorised:  # only the PIN opens this screen
            self.pages.hide()
            QTimer.singleShot(0, self.flow.begin)
            return
        self.pages.show()
        self.pages.setCurrentWidget(self.tabs)
        self.focus(False)
        self.say("")
        self.flow_checks()
        self._refresh_current()
        self.timer.start()

    def leave(self) -> None:
        self.timer.stop()
        self.flow.authorised = False
        self.couriers.close_pages()
        self.log.close_keys()
        self.pages.setCurrentWidget(self.tabs)
        self.focus(False)

    def holds_session(self) -> bool:
        # a finger enrolment or a clip being watched must not be cut off by inactivity
        return self.couriers.enrolling() or self.clips.player.is_playing or self.support.busy()

    def flow_checks(self) -> None:
        self.devices.run_checks(quiet=True)

    # ---- what tabs share -------------------------------------------------------------------------------

    def say(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(f"color: {ERROR_COLOUR if error else OK_COLOUR}; font-weight: 700;")
        self.message.setVisible(bool(text))

    def fail(self, what: str, e: KioskError) -> None:
        """``what`` failed because of ``e``: a translated reason where the core gives a known one."""
        self.say(self.tr("{what}: {why}").format(what=what, why=self.reason(e)), error=True)

    def reason(self, e: KioskError) -> str:
        field = e.details.get("field")
        if isinstance(e, InvalidInput) and field == "courier_no" and "exists" in str(e):
            return self.tr("this courier number is already in use.")
        if isinstance(e, InvalidInput) and field == "courier_no":
            return self.tr("the courier number must be 1–20 letters, digits or '-'.")
        if isinstance(e, InvalidInput) and field == "name":
            return self.tr("the name must be 1–40 characters.")
        if isinstance(e, InvalidInput) and field == "pin":
            return self.tr("the PIN must be {n}–12 digits.").format(n=self.kiosk.config.couriers.pin_min_length)
        if isinstance(e, InvalidInput) and field == "tracking":
            return self.tr("a tracking number is 4–40 letters, digits or '-'.")
        if isinstance(e, UnknownCourier):
            return self.tr("this courier is not on the list any more.")
        if isinstance(e, UnknownBox):
            return self.tr("there is no such box in this cabinet.")
        if isinstance(e, DeviceFault):
            return self.tr("the lock board did not take the command ({error}). Check the Devices tab.").format(
                error=str(e))
        if isinstance(e, StorageFailure):
            return self.tr("the database could not be written ({error}). Check the free disk space in the "
                           "System tab.").format(error=str(e))
        return str(e)

    def focus(self, on: bool) -> None:
        """While typing or enrolling, hide the tab bar: the keyboard needs the height, and the task a frame."""
        self.tabs.tabBar().setVisible(not on)
        self.exit.setVisible(not on)
        # QTabWidget lays out its bar only on resize or a layout request; without this the bar's room stays.
        QCoreApplication.sendEvent(self.tabs, QEvent(QEvent.Type.LayoutRequest))

    def _when_shown(self, refresh: Callable[[], None]) -> None:
        if self.app.window.current() is self and self.flow.authorised:
            refresh()

    def _refresh_current(self) -> None:
        tab = self.tabs.currentWidget()
        if tab is not None and self.flow.authorised:
            tab.refresh()

    def _tick(self) -> None:
        if not self.isVisible():  # the window closed (shutdown) without leaving this screen
            self.timer.stop()
            return
        tab = self.tabs.currentWidget()
        if tab in (self.boxes, self.lockouts) and self.pages.currentWidget() is self.tabs:
            tab.refresh()
