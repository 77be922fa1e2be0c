"""The customer's screens: box number + password, check the parcel, refusal reason, close the door, thanks.

Why they are dumb: each screen renders what the flow (``ui/customer.py``) tells it and emits a signal per tap;
the flow calls the service. Every text that depends on a result (tries left, a countdown, which box) is kept
as data and re-rendered in ``retranslate()``, so switching language mid-journey rewrites the whole screen.
Screens showing an open door hold the session: inactivity must not leave a customer with an open box.

The pickup page also reads the QR code of the courier's message (``kiosk.passwords.qr_payload``:
"PLK1:cabinet:box:password") held to the camera: it fills box and password and submits them through the same
signal as the "Open the box" button, so a wrong password counts exactly like a typed one. A QR for another
cabinet, or any other code, is refused with a sentence on screen and nothing is submitted.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSizePolicy, QVBoxLayout

from kiosk import passwords
from kiosk.passwords import ALPHABETS
from kiosk.validate import REASONS

from .scan_area import ScanArea
from .screen import Screen
from .widgets import Countdown, Keypad, button, wipe

THANKS_HOME_MS = 8000  # the thanks screen goes home by itself after this


def _label(name: str, wrap: bool = True) -> QLabel:
    lab = QLabel()
    lab.setObjectName(name)
    lab.setWordWrap(wrap)
    return lab


def _ends(tracking: str) -> str:
    """Only the last four characters of a tracking number are shown (enough to recognise it)."""
    return "…" + tracking[-4:]


class PickupScreen(Screen):
    """Box number and password on one keypad that feeds whichever field was tapped."""

    name = "pickup"

    # The customer tapped "Open the box": box as typed, password.
    submitted = Signal(str, str)
    # The customer tapped "Back".
    cancelled = Signal()

    def build(self) -> None:
        cfg = self.kiosk.config
        m = self.app.metrics
        self._boxes = [b.no.upper() for b in cfg.boxes]
        self._box_letters = "".join(sorted({ch for no in self._boxes for ch in no if ch.isalpha()}))
        self._length = cfg.passwords.length
        alnum = cfg.passwords.alphabet == "alnum"
        self._pw_letters = "".join(ch for ch in ALPHABETS[cfg.passwords.alphabet] if ch.isalpha()) if alnum else ""
        # Letter columns beside the digits: three fit a 1280 px panel, two a 800 px one (more letters page).
        compact = self.app.size[0] < 1000
        self._letter_cols = 2 if compact else 3
        self._letters = ""
        self._page = 0
        self._message: tuple[str, Any] = ("", None)

        self.box = QLineEdit()
        self.box.setObjectName("pickup.box")
        self.box.setMaxLength(max(len(no) for no in self._boxes))
        self.password = QLineEdit()
        self.password.setObjectName("pickup.password")
        self.password.setMaxLength(self._length)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        for field in (self.box, self.password):
            field.setAccessibleName(field.objectName())
            field.installEventFilter(self)
            field.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.box.textChanged.connect(self._box_changed)
        self.password.textChanged.connect(lambda _t: self._update_submit())
        self.show_pw = button("", "pickup.show", "", lambda: self._toggle_show())
        self.show_pw.setCheckable(True)
        self.show_pw.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.box_label = _label("hint", wrap=False)
        self.pw_label = _label("hint", wrap=False)

        form = QGridLayout()
        form.setSpacing(m["pad"])
        form.addWidget(self.box_label, 0, 0)
        form.addWidget(self.box, 0, 1, 1, 2)
        form.addWidget(self.pw_label, 1, 0)
        form.addWidget(self.password, 1, 1)
        form.addWidget(self.show_pw, 1, 2)
        form.setColumnStretch(1, 1)

        self.message = _label("error")
        self.wait = Countdown(lambda: self.kiosk.service.clock.now())
        self.wait.hide()
        self.wait.finished.connect(self._wait_over)
        msg_row = QHBoxLayout()
        msg_row.addWidget(self.message, 1)
        msg_row.addWidget(self.wait, 0, Qt.AlignmentFlag.AlignVCenter)

        self.back = button("", "pickup.back", "", lambda: self.cancelled.emit())
        self.submit = button("", "pickup.submit", "primary", lambda: self._submit())
        actions = QHBoxLayout()
        actions.setSpacing(m["pad"])
        actions.addWidget(self.back, 2)
        actions.addWidget(self.submit, 3)
        for b in (self.back, self.submit):
            b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

        # The camera reads the handheld's QR: a preview with the invitation beside it, in the room under the
        # fields (it gives way to a message on a 7" panel).
        self.scan = ScanArea(self.kiosk, "pickup.scan", preview=(128, 96) if compact else (192, 144),
                             font_px=m["f_small"], elastic=True, hint_first=False)

        left = QVBoxLayout()
        left.setSpacing(m["pad"])
        left.addLayout(form)
        left.addLayout(msg_row)
        left.addWidget(self.scan, 100)  # the room left over, up to its full size, goes to the preview
        left.addStretch(1)
        left.addLayout(actions)

        self.keypad = Keypad("keypad")
        # One character per key needs no side padding; the theme's minimum width (the touch size) still holds.
        self.keypad.setStyleSheet("QPushButton { padding: 0px; }")
        self.more = button("", "keypad.more", "key", lambda: self._next_page(), parent=self.keypad)
        self.more.hide()
        row = QHBoxLayout()
        row.setSpacing(m["pad"] if compact else m["pad"] * 2)
        row.addLayout(left, 1)
        row.addWidget(self.keypad, 1)
        self.body_layout.addLayout(row, 1)
        if compact:  # 800 px: narrower margins and key gaps leave room for letter keys beside the fields
            self.layout().setContentsMargins(m["pad"], m["pad"], m["pad"], m["pad"])
            self.keypad.layout().setSpacing(4)
        if self.app.size[1] < 600:  # 480 px: the field labels and the button say it; the keypad needs the height
            self.title.hide()
            self.subtitle.hide()
        self._select(self.box)

    # ---- texts -----------------------------------------------------------------------------------------

    def retranslate(self) -> None:
        self.title.setText(self.tr("Pick up a parcel"))
        self.subtitle.setText(self.tr("Enter the box number and the password your courier sent you."))
        self.box_label.setText(self.tr("Box number"))
        self.pw_label.setText(self.tr("Password"))
        self.box.setPlaceholderText(self.tr("e.g. {box}").format(box=self._boxes[0]))
        self.show_pw.setText(self.tr("Hide") if self.show_pw.isChecked() else self.tr("Show"))
        self.back.setText(self.tr("Back"))
        self.submit.setText(self.tr("Open the box"))
        self.scan.hint.setText(self.tr("Or hold the QR code your courier sent to the camera"))
        self._render_message()

    def _render_message(self) -> None:
        kind, arg = self._message
        if kind == "wrong" and arg == 1:
            text = self.tr("Wrong box number or password. 1 try left.")
        elif kind == "wrong" and arg is not None:
            text = self.tr("Wrong box number or password. {n} tries left.").format(n=arg)
        elif kind == "wrong":
            text = self.tr("Wrong box number or password.")
        elif kind == "expired":
            text = self.tr("This password has expired. Ask your courier for a new one.")
        elif kind == "throttled":
            text = self.tr("Too many wrong tries. Please wait:")
        elif kind == "ready":
            text = self.tr("You can try again now.")
        elif kind == "qr_foreign":
            text = self.tr("This QR code is for cabinet {cabinet}, not this one.").format(cabinet=arg)
        elif kind == "qr_invalid":
            text = self.tr("This is not a pickup QR code. Use the one your courier sent, or type the box number "
                           "and password.")
        else:
            text = ""
        self.message.setText(text)
        self.message.setVisible(bool(text))  # an empty line would take the camera preview's room

    # ---- state -----------------------------------------------------------------------------------------

    def enter(self, **context: Any) -> None:
        wipe(self.box)
        wipe(self.password)
        self._set_message("")
        self.wait.stop()
        self.wait.hide()
        self._set_shown(False)
        self._select(self.box)
        self._update_submit()
        self.scan.start(self._code_read)

    def leave(self) -> None:
        self.scan.stop()
        wipe(self.password)  # a password never stays on screen (nor in the field's undo) for the next person
        wipe(self.box)
        self._set_shown(False)
        self.wait.stop()

    def _code_read(self, kind: str, text: str) -> None:  # noqa: ARG002 (only what it says matters)
        """A code held to the camera: a pickup QR for this cabinet is entered and submitted as if typed."""
        parsed = passwords.parse_qr(text)
        waiting = self.wait.isVisibleTo(self) and self.wait.remaining() > 0  # its message and countdown stay
        if parsed is not None and parsed[0] != self.kiosk.config.cabinet_id:
            if not waiting:
                self._set_message("qr_foreign", parsed[0][:24])  # whatever a stranger's code says: keep it short
            return
        if parsed is None or parsed[1] not in self._boxes or len(parsed[2]) != self._length:
            if not waiting:
                self._set_message("qr_invalid")
            return
        _cabinet, box, password = parsed
        if self._message[0] in ("qr_foreign", "qr_invalid"):
            self._set_message("")
        self.box.setText(box)
        self.password.setText(password)
        self._select(self.password)
        self._submit()  # the same path as the button (a throttle wait still holds it back)

    def _set_message(self, kind: str, arg: Any = None) -> None:
        self._message = (kind, arg)
        self._render_message()

    def show_wrong(self, tries_left: int | None) -> None:
        wipe(self.password)
        self._set_message("wrong", tries_left)
        self._select(self.password)

    def show_expired(self) -> None:
        wipe(self.password)
        self._set_message("expired")
        self._select(self.password)

    def show_throttled(self, retry_at: float) -> None:
        self._set_message("throttled")
        self.wait.show()
        self.wait.start(retry_at)
        self._update_submit()

    def _wait_over(self) -> None:
        self.wait.hide()
        if self._message[0] == "throttled":
            self._set_message("ready")
        self._update_submit()

    def _update_submit(self) -> None:
        ready = bool(self.box.text()) and len(self.password.text()) == self._length
        self.submit.setEnabled(ready and not (self.wait.isVisibleTo(self) and self.wait.remaining() > 0))

    def _submit(self) -> None:
        if self.submit.isEnabled():
            self.submitted.emit(self.box.text(), self.password.text())

    # ---- fields and keypad -----------------------------------------------------------------------------

    def eventFilter(self, obj: QObject, e: QEvent) -> bool:
        if obj in (self.box, self.password) and e.type() in (QEvent.Type.MouseButtonPress, QEvent.Type.FocusIn):
            if self.keypad.target is not obj:
                self._select(obj)  # type: ignore[arg-type]
        return False

    def _select(self, field: QLineEdit) -> None:
        self.keypad.target = field
        field.setFocus(Qt.FocusReason.OtherFocusReason)
        letters = self._box_letters if field is self.box else self._pw_letters
        if letters != self._letters:
            self._letters, self._page = letters, 0
            self._show_letters()

    def _pages(self) -> list[str]:
        """The letters in pages of even size that fit the letter columns (one place kept for "more")."""
        room = self._letter_cols * 4
        if len(self._letters) <= room:
            return [self._letters]
        n = -(-len(self._letters) // (room - 1))
        per = -(-len(self._letters) // n)
        return [self._letters[i:i + per] for i in range(0, len(self._letters), per)]

    def _show_letters(self) -> None:
        pages = self._pages()
        self._page %= len(pages)
        page = pages[self._page]
        self.keypad.set_letters(page)
        grid = self.keypad.layout()
        grid.removeWidget(self.more)
        if len(pages) > 1:
            nxt = pages[(self._page + 1) % len(pages)]
            self.more.setText(f"{nxt[0]}–{nxt[-1]}")
            grid.addWidget(self.more, len(page) % 4, 3 + len(page) // 4)
            self.more.show()
        else:
            self.more.hide()
        for key in self.keypad.findChildren(QPushButton):
            key.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys must not take the focus ring from the field
        for key in self.keypad.letter_keys:
            key.show()  # at once, not on the next turn of the event loop

    def _next_page(self) -> None:
        self._page += 1
        self._show_letters()

    def _box_changed(self, text: str) -> None:
        up = text.upper()
        if up != text:
            self.box.setText(up)
            return
        # A whole box number that is no prefix of another: the password comes next.
        if up in self._boxes and not any(no != up and no.startswith(up) for no in self._boxes):
            self._select(self.password)
        self._update_submit()

    def _toggle_show(self) -> None:
        self._set_shown(self.show_pw.isChecked())

    def _set_shown(self, shown: bool) -> None:
        self.show_pw.setChecked(shown)
        self.password.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)
        self.show_pw.setText(self.tr("Hide") if shown else self.tr("Show"))


class _BoxScreen(Screen):
    """A screen about one box: its number large beside the explanation."""

    def build(self) -> None:
        self.box_no = ""
        self.big = QLabel()
        self.big.setObjectName("big")
        self.big.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text = _label("subtitle")
        self.text.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        row = QHBoxLayout()
        row.setSpacing(self.app.metrics["pad"] * 2)
        row.addWidget(self.big, 0)
        row.addWidget(self.text, 1)
        self.body_layout.addLayout(row, 1)

    def enter(self, **context: Any) -> None:
        self.box_no = str(context.get("box", self.box_no))
        self.big.setText(self.box_no)


class CheckScreen(_BoxScreen):
    """The door is open: look at the parcel, then Accept or Reject. Waits for the door to really open."""

    name = "pickup.check"

    accepted = Signal()
    rejected = Signal()

    def build(self) -> None:
        super().build()
        self.tracking = ""
        self.opened = False
        self.reject = button("", "pickup.reject", "danger", lambda: self.rejected.emit())
        self.accept = button("", "pickup.accept", "primary", lambda: self.accepted.emit())
        self.buttons.addWidget(self.reject, 2)
        self.buttons.addWidget(self.accept, 3)

    def retranslate(self) -> None:
        box = self.box_no
        if self.opened:
            self.title.setText(self.tr("Box {box} is open").format(box=box))
            self.subtitle.setText(self.tr("Please check your parcel (tracking {end}).").format(
                end=_ends(self.tracking)))
            self.text.setText(self.tr("If it is fine, take it and tap Accept. If not, leave it in the box and "
                                      "tap Reject."))
        else:
            self.title.setText(self.tr("Box {box} is opening…").format(box=box))
            self.subtitle.setText(self.tr("Please wait a moment."))
            self.text.setText(self.tr("The door springs open by itself."))
        self.accept.setText(self.tr("Accept – I take it"))
        self.reject.setText(self.tr("Reject"))

    def enter(self, **context: Any) -> None:
        super().enter(**context)
        self.tracking = str(context.get("tracking", self.tracking))
        self.set_opened(bool(context.get("opened", self.opened)))

    def set_opened(self, opened: bool) -> None:
        self.opened = opened
        for b in (self.accept, self.reject):  # nothing to choose until the door is open
            b.setEnabled(opened)
            b.setVisible(opened)
        self.retranslate()

    def holds_session(self) -> bool:
        return True


class ReasonScreen(Screen):
    """Why the parcel is refused: one big button per reason the core knows (kiosk.validate.REASONS)."""

    name = "pickup.reason"

    chosen = Signal(str)
    back_requested = Signal()

    def build(self) -> None:
        m = self.app.metrics
        self.box_no = ""
        grid = QGridLayout()
        grid.setSpacing(m["pad"])
        self.reasons: dict[str, QPushButton] = {}
        for i, code in enumerate(REASONS):
            b = button("", f"reject.reason.{code}", "", lambda *_, code=code: self.chosen.emit(code))
            grid.addWidget(b, i // 2, i % 2)
            self.reasons[code] = b
        self.body_layout.addLayout(grid, 1)
        self.back = button("", "reason.back", "", lambda: self.back_requested.emit())
        self.back.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.buttons.addWidget(self.back, 1)
        self.buttons.addStretch(2)
        if self.app.size[1] < 600:  # 480 px: three rows of buttons and the larger-text choice must still fit
            self.layout().setContentsMargins(m["pad"], 4, m["pad"], 4)
            self.layout().setSpacing(6)

    def retranslate(self) -> None:
        self.title.setText(self.tr("Why do you refuse the parcel?"))
        self.subtitle.setText(self.tr("Leave it in box {box}. Your courier will take it back.").format(box=self.box_no))
        texts = {"damaged": self.tr("The parcel is damaged"), "wrong_item": self.tr("Wrong item"),
                 "not_ordered": self.tr("I did not order this"), "other": self.tr("Another reason")}
        for code, b in self.reasons.items():
            b.setText(texts.get(code, code))
        self.back.setText(self.tr("Back"))

    def enter(self, **context: Any) -> None:
        self.box_no = str(context.get("box", self.box_no))
        self.retranslate()

    def holds_session(self) -> bool:
        return True


class CloseScreen(_BoxScreen):
    """Take the parcel (accepted) or put it back (refused), then close the door; the door moves us on."""

    name = "pickup.close"

    def build(self) -> None:
        super().build()
        self.mode = "take"

    def retranslate(self) -> None:
        if self.mode == "take":
            self.title.setText(self.tr("Take your parcel and close the door"))
            self.text.setText(self.tr("Thank you for accepting it."))
        else:
            self.title.setText(self.tr("Put the parcel back in box {box} and close the door").format(box=self.box_no))
            self.text.setText(self.tr("Your refusal is recorded. Your courier will collect the parcel."))
        self.subtitle.setText(self.tr("The screen moves on when the door is closed."))

    def enter(self, **context: Any) -> None:
        super().enter(**context)
        self.mode = str(context.get("mode", self.mode))
        self.retranslate()

    def holds_session(self) -> bool:
        return True


class LockedScreen(Screen):
    """Three wrong passwords locked the box: how long, and the two ways it opens again (claim 5)."""

    name = "pickup.locked"

    # The lockout time is up (the flow asks the core to send the new password now).
    time_up = Signal()

    def build(self) -> None:
        self.box_no = ""
        self.over = False
        self.countdown = Countdown(lambda: self.kiosk.service.clock.now())
        self.countdown.finished.connect(self._finished)
        self.text = _label("subtitle")
        self.body_layout.addWidget(self.countdown, 0, Qt.AlignmentFlag.AlignLeft)
        self.body_layout.addWidget(self.text)
        self.body_layout.addStretch(1)
        self.home = button("", "locked.home", "primary", lambda: self.app.home())
        self.home.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.buttons.addStretch(1)
        self.buttons.addWidget(self.home, 1)

    def retranslate(self) -> None:
        if self.over:
            self.title.setText(self.tr("Box {box} is no longer locked").format(box=self.box_no))
            self.subtitle.setText(self.tr("A new password has been sent to your courier. Please ask them for it."))
            self.text.setText("")
        else:
            self.title.setText(self.tr("Box {box} is locked").format(box=self.box_no))
            self.subtitle.setText(self.tr("A wrong password was entered too many times. It unlocks in:"))
            self.text.setText(self.tr("Your courier can unlock it with their fingerprint, or a new password will "
                                      "be sent to your courier when the time is up. Please contact your courier."))
        self.home.setText(self.tr("Back to start"))

    def enter(self, **context: Any) -> None:
        self.box_no = str(context.get("box", self.box_no))
        self.over = False
        self.countdown.show()
        self.countdown.start(float(context.get("until", 0.0)))
        self.retranslate()

    def leave(self) -> None:
        self.countdown.stop()

    def _finished(self) -> None:
        self.over = True
        self.countdown.hide()
        self.retranslate()
        self.time_up.emit()


class ThanksScreen(Screen):
    """The end: what happened, in one sentence; home by itself after a few seconds."""

    name = "pickup.thanks"

    def build(self) -> None:
        self.outcome = ""
        self.text = self.subtitle  # one sentence under the title says what happened
        self.body_layout.addStretch(1)
        self.home = button("", "thanks.home", "primary", lambda: self.app.home())
        self.home.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.buttons.addStretch(1)
        self.buttons.addWidget(self.home, 1)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(THANKS_HOME_MS)
        self.timer.timeout.connect(self._timeout)

    def retranslate(self) -> None:
        texts = {
            "accepted": self.tr("Your parcel is recorded as collected. Have a nice day!"),
            "refused": self.tr("Your refusal was recorded; the courier will collect the parcel."),
            "collected": self.tr("You took the parcel and closed the door, so it is recorded as collected."),
            "stayed": self.tr("The parcel stayed in the box, so it is treated as refused. Your courier will "
                              "collect it."),
            "unconfirmed": self.tr("The door was closed before you chose. A maintainer will check the box."),
        }
        self.title.setText(self.tr("Thank you"))
        self.text.setText(texts.get(self.outcome, ""))
        self.home.setText(self.tr("Back to start"))

    def enter(self, **context: Any) -> None:
        self.outcome = str(context.get("outcome", ""))
        self.retranslate()
        self.timer.start()

    def leave(self) -> None:
        self.timer.stop()

    def _timeout(self) -> None:
        if self.app.window.current() is self:
            self.app.home()


