"""The wall clock jumps while the whole app runs: NTP sets it back an hour mid-deposit, then forward two days.

Why the whole app and not only the core (tests/faults/test_devices_mid_flow.py covers the core's rules): the
clock is read by the core (lockouts, storage time, the audit log), the recorder (a clip's start and end, the
burned-in time) and the header; timers (inactivity, door watch, post-roll) run on the monotonic clock. The app
is built with a clock that follows the system's plus an offset the test moves (``Composition(clock=...)`` is
how production gets the system clock), and people act through the screens and the emulated devices.

What must hold: a deposit that spans a clock set back still ends stored and its clip's length is its real
length (not minus an hour); the jump forward makes the parcel overdue at the next housekeeping tick and tells
the courier; the customer still collects it with the password; the header shows the new date; the audit chain
verifies and shows the jumps as they were; every clip decodes.
"""

from __future__ import annotations

import time
from datetime import datetime

import av

from tests.ui.conftest import PIN, Harness
from tests.ui.test_end_to_end import Cabinet, notices

SHORT_ROLLS = {"preroll_s = 5 ": "preroll_s = 1 ", "postroll_s = 3 ": "postroll_s = 1 "}


class JumpClock:
    """The system clock plus an offset a test can move, like an NTP step."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset


def test_wall_clock_set_back_then_forward_while_the_app_runs(qtbot, tmp_path):
    clock = JumpClock()
    h = Harness(qtbot, tmp_path, edits=SHORT_ROLLS, clock=clock)
    cab = None
    try:
        c = h.service.add_courier("C1001", "Li Wei", PIN)
        h.comp.fingerprint_device.emulator.enrol_directly(1, 7)
        h.service.assign_finger(c.number, 1)
        cab = Cabinet(h)
        saved = []
        h.kiosk.clip_recorded.connect(saved.append)
        qtbot.waitUntil(lambda: h.kiosk.devices.get("recorder", (False,))[0], timeout=5000)

        # 1. NTP sets the clock back an hour while the courier's door is open.
        shut = cab.close_door

        def set_back_then_shut(box: str, item: bool) -> None:
            clock.offset -= 3600
            qtbot.wait(300)  # frames are captured on both sides of the step
            shut(box, item)

        cab.close_door = set_back_then_shut
        box = cab.deposit("SF-JUMP-1", "M")
        cab.close_door = shut
        (parcel,) = h.service.parcels(tracking="SF-JUMP-1")
        assert parcel.state == "stored" and parcel.box_no == box
        password = cab.password("SF-JUMP-1")
        qtbot.waitUntil(lambda: len(saved) >= 1, timeout=10000)
        deposit_clip = saved[0]
        length = deposit_clip.ended - deposit_clip.started
        assert 0.5 < length < 60, f"the deposit's clip claims {length:.1f} s"
        assert abs(length - deposit_clip.frames / h.comp.camera_thread.fps) < 1.0

        # 2. The clock jumps forward two days: the next housekeeping tick finds the parcel overdue.
        clock.offset += 2 * 86400 + 60
        h.kiosk.tick()
        assert h.service.parcel(parcel.id).state == "overdue"
        qtbot.waitUntil(lambda: "overdue" in notices(cab, "SF-JUMP-1"), timeout=5000)
        day = datetime.fromtimestamp(clock.now()).strftime("%Y-%m-%d")
        qtbot.waitUntil(lambda: day in h.window.clock.text(), timeout=3000)

        # 3. The customer still collects it with the password from before the jumps.
        cab.open_box(box, password)
        cab.tap("pickup.accept")
        cab.finish(box, item_left=False)
        assert h.service.parcel(parcel.id).state == "collected"
        qtbot.waitUntil(lambda: len(saved) >= 2, timeout=10000)

        # 4. The log verifies and shows both steps as they happened; every clip has a real length and decodes.
        assert h.service.verify_log().ok
        ts = [e.ts for e in sorted(h.service.events(), key=lambda e: e.id)]  # newest first → log order
        steps = [ts[i + 1] - ts[i] for i in range(len(ts) - 1)]
        assert min(steps) < -3000 and max(steps) > 2 * 86400
        for clip in saved:
            assert clip.ended >= clip.started, clip
            with av.open(str(h.service.clip_path(clip))) as f:
                assert sum(1 for _ in f.decode(video=0)) == clip.frames
    finally:
        if cab is not None:
            cab.close()
        h.stop()
