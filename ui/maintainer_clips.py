"""The video tab of the maintainer screen: find a transaction's clips and play them on the cabinet.

Why it is built this way: a maintainer at the cabinet answers "what happened to parcel X" or "who opened box
A07 yesterday" without a laptop. So the filters are what he knows (a tracking number, a box, a day) typed on
the screen's own keyboard, and the day is four big buttons instead of a calendar a finger cannot hit. The list
is the service's (``clips()``, newest first), deleted clips included and greyed: their row and hash stay in the
log, so the list says when and why each went, and they cannot be played. Tapping a clip opens the player
(``ui/clip_player.py``) over the whole tab; the player decodes on its own thread, checks the file's SHA-256
against the audit log, and is stopped whenever the tab is hidden (another tab, the screen left, shutdown).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QButtonGroup, QGridLayout, QLineEdit, QPushButton, QStackedWidget, QVBoxLayout, QWidget

from kiosk.model import Clip, KioskError

from .clip_player import ClipPlayer, clock_text
from .maintainer import COMPACT_WIDTH, TapField
from .maintainer_tabs import MaintTab, fixed_width, label, make_table, set_cell, stamp
from .widgets import button, wipe

GREY = QColor("#8b9aab")  # the theme's disabled text: a deleted clip (always with words too)
DAYS = ("today", "yesterday", "week", "all")
WEEK_DAYS = 7


def size_text(n: int) -> str:
    return f"{n / 2**20:.1f} MB" if n >= 2**20 else f"{max(1, round(n / 1024))} KB"


class ClipsTab(MaintTab):
    """Filters, the list of clips, and the player."""

    COLS = 7

    def build(self) -> None:
        compact = self.screen.app.size[0] < COMPACT_WIDTH
        self.pages = QStackedWidget()
        self.browse = QWidget()
        blay = QVBoxLayout(self.browse)
        blay.setContentsMargins(0, 0, 0, 0)
        blay.setSpacing(self.lay.spacing())
        self.tracking = TapField("maint.clips.tracking", self._type, 40)
        self.box = TapField("maint.clips.box", self._type, 8)
        self.reset = fixed_width(button("", "maint.clips.reset", "", self._reset))
        self.day_names: dict[str, str] = {}
        self.filters = QWidget()
        grid = QGridLayout(self.filters)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(self.lay.spacing())
        self.day_group = QButtonGroup(self)
        self.day_buttons: dict[str, QPushButton] = {}
        for key in DAYS:
            b = button("", f"maint.clips.day.{key}", "", lambda _c=False, k=key: self._set_day(k), self.filters)
            b.setCheckable(True)
            self.day_group.addButton(b)
            self.day_buttons[key] = b
        self.day_buttons["all"].setChecked(True)
        self.day = "all"
        # 1280 px: the fields over four day buttons (they do not share one row). 800x480: one row of touch
        # height is all the list can spare, so the day is one button that steps through the four choices.
        self.day_step = fixed_width(button("", "maint.clips.day", "", self._next_day, self.filters))
        if compact:
            grid.addWidget(self.tracking, 0, 0)
            grid.addWidget(self.box, 0, 1)
            grid.addWidget(self.day_step, 0, 2)
            grid.addWidget(self.reset, 0, 3)
            grid.setColumnStretch(0, 5)
            grid.setColumnStretch(1, 2)
            for b in self.day_buttons.values():
                b.hide()
            self.day_row: list[QWidget] = []
        else:
            grid.addWidget(self.tracking, 0, 0, 1, 3)
            grid.addWidget(self.box, 0, 3)
            grid.addWidget(self.reset, 0, 4)
            for i, key in enumerate(DAYS):
                grid.addWidget(self.day_buttons[key], 1, i)
            for c in range(5):
                grid.setColumnStretch(c, 1)
            self.day_step.hide()
            self.day_row = list(self.day_buttons.values())
        self.table = make_table("maint.clips.list", self.COLS, 6)
        self.table.cellClicked.connect(lambda row, _col: self._open(row))
        self.key_page = QWidget()
        self.key_layout = QVBoxLayout(self.key_page)
        self.key_layout.setContentsMargins(0, 0, 0, 0)
        self.inner = QStackedWidget()
        self.inner.addWidget(self.table)
        self.inner.addWidget(self.key_page)
        self.info = label("maint.clips.info")
        blay.addWidget(self.filters)
        blay.addWidget(self.inner, 1)
        blay.addWidget(self.info)
        self.player = ClipPlayer("maint.clips", self.touch)
        self.player.closed.connect(self.close_player)
        self.pages.addWidget(self.browse)
        self.pages.addWidget(self.player)
        self.lay.addWidget(self.pages, 1)
        self.clips: list[Clip] = []
        self.playing: Clip | None = None
        self._focused = False
        self.screen.keys.kbd.done.connect(self._keyboard_done)
        self.kiosk.clip_recorded.connect(self._clip_recorded)

    def retranslate(self) -> None:
        self.tracking.setPlaceholderText(self.tr("Tracking number"))
        self.box.setPlaceholderText(self.tr("Box"))
        self.reset.setText(self.tr("Clear filters"))
        self.day_names = dict(zip(DAYS, (self.tr("Today"), self.tr("Yesterday"), self.tr("Last 7 days"),
                                         self.tr("All days"))))
        for key, text in self.day_names.items():
            self.day_buttons[key].setText(text)
        self.day_step.ensurePolished()  # the sheet's font, so the widths below are the shown ones
        widths = []
        for text in self.day_names.values():  # as wide as its widest choice: the fields do not jump on a tap
            self.day_step.setText(text + " ▸")
            widths.append(self.day_step.sizeHint().width())
        self.day_step.setMinimumWidth(max(widths))
        self.day_step.setText(self.day_names[self.day] + " ▸")
        self.table.setHorizontalHeaderLabels([self.tr("Time"), self.tr("Length"), self.tr("Box"),
                                              self.tr("Transaction"), self.tr("Tracking"), self.tr("Size"),
                                              self.tr("State")])
        self.kinds = {"deposit": self.tr("deposit"), "courier": self.tr("courier"), "pickup": self.tr("pickup"),
                      "maintenance": self.tr("maintenance"), "return": self.tr("return"),
                      "tamper": self.tr("door forced")}
        self.reasons = {"age": self.tr("older than the retention period"), "quota": self.tr("over the quota"),
                        "disk": self.tr("disk almost full")}
        if self.playing is not None:
            self.player.caption.setText(self.caption(self.playing))
        self.refresh_if_shown()

    # ---- the list ------------------------------------------------------------------------------------

    def today(self) -> date:
        return datetime.fromtimestamp(self.service.clock.now()).date()

    def query(self) -> list[Clip]:
        tracking = "".join(self.tracking.text().split()).upper() or None
        box = self.box.text().strip() or None
        today = self.today()
        day = {"today": today, "yesterday": today - timedelta(days=1)}.get(self.day)
        found = self.service.clips(tracking=tracking, box=box, day=day)
        if self.day == "week":  # newest first, so the last 7 days are a prefix of the whole list
            since = datetime.combine(today - timedelta(days=WEEK_DAYS - 1), datetime.min.time()).timestamp()
            found = [k for k in found if k.ended >= since]
        return found

    def refresh(self) -> None:
        try:
            self.clips = self.query()
        except KioskError as e:
            self.screen.fail(self.tr("The clips could not be read"), e)
            return
        self.table.setRowCount(len(self.clips))
        for r, k in enumerate(self.clips):
            cells = (stamp(k.started), clock_text(k.duration)[:-2], " ".join(k.boxes) or "—",
                     f"{k.txn}-{k.part} · {self.kinds.get(k.kind, k.kind)}", " ".join(k.trackings) or "—",
                     size_text(k.bytes), self.state(k))
            for c, text in enumerate(cells):
                set_cell(self.table, r, c, text, warn=(c == 6 and k.deleted_at is None and not k.complete))
                self._grey(r, c, k.deleted_at is not None)
        self.table.resizeRowsToContents()
        filtered = bool(self.tracking.text().strip() or self.box.text().strip()) or self.day != "all"
        if not self.clips:
            self.info.setText(self.tr("No clips match these filters.") if filtered
                              else self.tr("No clips have been recorded yet."))
        else:
            self.info.setText(self.tr("Clips found: {n}, newest first. Tap one to play it.").format(n=len(self.clips)))

    def state(self, k: Clip) -> str:
        if k.deleted_at is not None:
            return self.tr("deleted {date} ({reason})").format(
                date=stamp(k.deleted_at)[:11], reason=self.reasons.get(k.deleted_reason or "", k.deleted_reason))
        if k.complete:
            return self.tr("complete")
        return self.tr("incomplete: {note}").format(note=k.note) if k.note else self.tr("incomplete")

    def _grey(self, row: int, col: int, grey: bool) -> None:
        item = self.table.item(row, col)
        if item is not None and grey:
            item.setForeground(GREY)
            item.setData(Qt.ItemDataRole.UserRole, "grey")  # set_cell re-colours it on the next refresh

    def caption(self, k: Clip) -> str:
        parts = [f"{k.txn}-{k.part}", self.kinds.get(k.kind, k.kind), stamp(k.started)]
        if k.boxes:
            parts.append(self.tr("box {boxes}").format(boxes=" ".join(k.boxes)))
        if k.trackings:
            parts.append(" ".join(k.trackings))
        if not k.complete:
            parts.append(self.state(k))
        return " · ".join(parts)

    def _clip_recorded(self, _clip: object) -> None:
        """A new clip joins the list at the top while the list is what is shown (not under the keyboard)."""
        if (self.isVisible() and self.pages.currentWidget() is self.browse
                and self.inner.currentWidget() is self.table):
            self.refresh()

    # ---- filters -------------------------------------------------------------------------------------

    def _set_day(self, key: str) -> None:
        self.day = key
        self.day_buttons[key].setChecked(True)
        self.day_step.setText(self.day_names[key] + " ▸")
        self.refresh()

    def _next_day(self) -> None:
        self._set_day(DAYS[(DAYS.index(self.day) + 1) % len(DAYS)])

    def _reset(self) -> None:
        wipe(self.tracking)
        wipe(self.box)
        self._set_day("all")

    def _type(self, field: QLineEdit) -> None:
        self.screen.keys.place(self.key_layout)
        self.screen.keys.edit(field)
        self.inner.setCurrentWidget(self.key_page)
        self.info.hide()  # the keyboard needs the room
        for b in self.day_row:
            b.hide()
        self._focus(True)

    def close_keys(self) -> None:
        self.inner.setCurrentWidget(self.table)
        self.info.show()
        for b in self.day_row:
            b.show()
        self._focus(False)

    def _keyboard_done(self) -> None:
        if self.inner.currentWidget() is self.key_page and self.isVisible():
            self.close_keys()
            self.refresh()

    def _focus(self, on: bool) -> None:
        self._focused = on
        self.screen.focus(on)

    # ---- the player ----------------------------------------------------------------------------------

    def _open(self, row: int) -> None:
        if not 0 <= row < len(self.clips):
            return
        k = self.clips[row]
        if k.deleted_at is not None:
            self.screen.say(self.tr("Clip {name} was deleted on {date} ({reason}); only its record and hash "
                                    "remain in the log.").format(name=f"{k.txn}-{k.part}",
                                                                date=stamp(k.deleted_at)[:11],
                                                                reason=self.reasons.get(k.deleted_reason or "",
                                                                                        k.deleted_reason)))
            return
        self.screen.say("")
        self.playing = k
        self.pages.setCurrentWidget(self.player)
        self._focus(True)  # the picture needs the height; Close brings the tab bar back
        self.player.load(self.service.clip_path(k), k.sha256, self.caption(k))

    def close_player(self) -> None:
        self.player.stop()
        self.playing = None
        if self.pages.currentWidget() is self.player:
            self.pages.setCurrentWidget(self.browse)
            self._focus(False)

    def hideEvent(self, e: Any) -> None:  # noqa: N802 (Qt API)
        """Another tab, the screen left, the window closed: no decoder thread and no keyboard stay behind."""
        self.player.stop()
        self.playing = None
        self.pages.setCurrentWidget(self.browse)
        if self.inner.currentWidget() is self.key_page:
            self.close_keys()
        if self._focused:
            self._focus(False)
        super().hideEvent(e)
