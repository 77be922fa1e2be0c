"""In-memory stand-in for the LockBank port, for core tests (device drivers are tested against emulators)."""

from __future__ import annotations

from kiosk.ports import DeviceUnavailable


class FakeLocks:
    """Doors spring open on unlock, like a real locker; a test closes them and sets the IR reading."""

    def __init__(self, boxes: list[str], ir: set[str] | None = None) -> None:
        self.open: dict[str, bool] = {b: False for b in boxes}
        self.items: dict[str, bool | None] = {b: (False if ir is None or b in ir else None) for b in boxes}
        self.unlocks: list[str] = []
        self.broken = False

    def unlock(self, box_no: str) -> None:
        if self.broken:
            raise DeviceUnavailable("lock board does not answer")
        self.unlocks.append(box_no)
        self.open[box_no] = True

    def is_door_open(self, box_no: str) -> bool | None:
        return self.open[box_no]

    def item_inside(self, box_no: str) -> bool | None:
        return self.items[box_no]

    def close(self, box_no: str, item: bool | None = None) -> None:
        self.open[box_no] = False
        if item is not None and self.items[box_no] is not None:
            self.items[box_no] = item
