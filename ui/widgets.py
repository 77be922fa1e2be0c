"""Touch widgets every screen shares: big buttons, the number keypad, the text keyboard, a countdown.

Why our own keypad and keyboard: a kiosk has no physical keyboard, and the system on-screen keyboard of a
kiosk compositor is neither large nor bilingual enough. Every key has a stable objectName (``keypad.7``,
``kbd.A``) so tests and accessibility tools can press it; names are unique within a screen.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QTimer, Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QLineEdit, QPushButton, QSizePolicy, QWidget

from .theme import set_role


def button(text: str, name: str, role: str = "", on_click: Callable[[], None] | None = None,
           parent: QWidget | None = None) -> QPushButton:
    b = QPushButton(text, parent)
    b.setObjectName(name)
    b.setAccessibleName(name)
    if role:
        set_role(b, role)
    b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
    if on_click is not None:
        b.clicked.connect(on_click)
    return b


def wipe(field: QLineEdit) -> None:
    """Empty a text field and forget its undo history. Why not ``QLineEdit.clear()``: that records the removed
    text as one more undoable edit, so every keystroke ever typed stays in the field's history, for the life of
    the kiosk. The soak found it (heaptrack: ~0.4 kB per entry, without end), and for a password field it
    means every password typed is still in memory and comes back with ``undo()``. ``setText`` drops the
    history."""
    field.setText("")


class Keypad(QWidget):
    """Digits (and optionally letters) feeding one QLineEdit at a time; ``⌫`` deletes, ``Clear`` empties."""

    # The Enter key of the pad was pressed.
    submitted = Signal()

    LETTERS = "ABCDEFGHJKMNPQRSTUVWXYZ"  # no I, L, O: they are not in any box number or password alphabet

    def __init__(self, prefix: str = "keypad", letters: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.target: QLineEdit | None = None
        grid = QGridLayout(self)
        grid.setSpacing(8)
        grid.setContentsMargins(0, 0, 0, 0)
        keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9"]
        for i, k in enumerate(keys):
            grid.addWidget(self._key(prefix, k), i // 3, i % 3)
        self.back = button("⌫", f"{prefix}.back", "key", self.backspace)
        self.clear_key = button("", f"{prefix}.clear", "", self.clear)
        grid.addWidget(self.clear_key, 3, 0)
        grid.addWidget(self._key(prefix, "0"), 3, 1)
        grid.addWidget(self.back, 3, 2)
        self.letter_keys: list[QPushButton] = []
        self._prefix = prefix
        self._grid = grid
        self.set_letters(letters)
        self.retranslate()

    def _key(self, prefix: str, ch: str) -> QPushButton:
        return button(ch, f"{prefix}.{ch}", "key", lambda: self.press(ch))

    def set_letters(self, letters: str) -> None:
        """Letters for alnum passwords or box rows, in a side column of the pad."""
        for b in self.letter_keys:
            b.setParent(None)
            b.deleteLater()
        self.letter_keys = []
        for i, ch in enumerate(letters):
            b = self._key(self._prefix, ch)
            self.letter_keys.append(b)
            self._grid.addWidget(b, i % 4, 3 + i // 4)
            if self.isVisible():
                b.show()  # a key added to a visible pad would otherwise appear one event-loop turn late

    def retranslate(self) -> None:
        self.clear_key.setText(self.tr("Clear"))

    def changeEvent(self, e: QEvent) -> None:
        if e.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(e)

    def press(self, ch: str) -> None:
        if self.target is not None and (self.target.maxLength() <= 0 or len(self.target.text()) < self.target.maxLength()):
            self.target.insert(ch)

    def backspace(self) -> None:
        if self.target is not None:
            self.target.backspace()

    def clear(self) -> None:
        if self.target is not None:
            wipe(self.target)


class TextKeyboard(QWidget):
    """Capital letters, digits and '-' for tracking numbers; ``Done`` confirms."""

    # The Done key was pressed.
    done = Signal()

    ROWS = ["1234567890", "QWERTYUIOP", "ASDFGHJKL-", "ZXCVBNM"]

    def __init__(self, prefix: str = "kbd", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.target: QLineEdit | None = None
        grid = QGridLayout(self)
        grid.setSpacing(6)
        grid.setContentsMargins(0, 0, 0, 0)
        for r, row in enumerate(self.ROWS):
            for c, ch in enumerate(row):
                # clicked(bool) fills the first parameter: keep ch out of its way.
                grid.addWidget(button(ch, f"{prefix}.{ch}", "key", lambda _=False, ch=ch: self._insert(ch)), r, c)
        grid.addWidget(button("⌫", f"{prefix}.back", "key", self._back), 3, 7, 1, 1)
        self.done_key = button("", f"{prefix}.done", "primary", self.done.emit)
        grid.addWidget(self.done_key, 3, 8, 1, 2)
        self.retranslate()

    def retranslate(self) -> None:
        self.done_key.setText(self.tr("Done"))

    def changeEvent(self, e: QEvent) -> None:
        if e.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(e)

    def _insert(self, ch: str) -> None:
        if self.target is not None:
            self.target.insert(ch)

    def _back(self) -> None:
        if self.target is not None:
            self.target.backspace()


class Countdown(QLabel):
    """``mm:ss`` until a wall-clock moment (the core's clock), then ``finished``."""

    # The moment was reached.
    finished = Signal()

    def __init__(self, now: Callable[[], float], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("big")
        self._now = now
        self._until = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self._update)

    def start(self, until: float) -> None:
        self._until = until
        self._update()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def remaining(self) -> int:
        return max(0, int(self._until - self._now() + 0.999))

    def _update(self) -> None:
        left = self.remaining()
        self.setText(f"{left // 60:02d}:{left % 60:02d}")
        if left == 0:
            self._timer.stop()
            self.finished.emit()
