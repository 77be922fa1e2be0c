"""Audio prompts through the real app: every screen the window holds speaks its prompt in Chinese and English,
errors are spoken, Repeat re-speaks, Sound off silences (until the kiosk is left alone), and a typed password or
PIN is never spoken.

The screens are reached by real taps (a parcel stored by the service, as a courier would; a customer and a
courier at the screen). What reaches the sound device is recorded by a stand-in for hardware.speech.Speaker
(the real speaker and espeak-ng are tested in tests/hardware/test_speech.py); the real one is stopped first.
"""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from kiosk.clock import FakeClock

from tests.ui.conftest import PIN, Harness
from tests.ui.test_courier import Doors, close, pin_login
from tests.ui.test_customer import close_door, enter, open_box, store_parcel, wrong
from tests.ui.test_maintainer import MAINT_PIN

CJK = re.compile(r"[\u4e00-\u9fff]")
TRACKING = "SF1234567890"
# The two flow tests below visit these; together they must be every screen the window holds.
CUSTOMER_SCREENS = {"home", "pickup", "pickup.check", "pickup.reason", "pickup.close", "pickup.thanks",
                    "pickup.locked", "error"}
COURIER_SCREENS = {"courier.login", "courier.menu", "courier.size", "courier.form", "courier.door",
                   "courier.sent", "courier.returns", "courier.lockouts", "maint.login", "maint"}


class RecordingSpeaker:
    """Takes the speaker's place: what would have been played, in order."""

    def __init__(self) -> None:
        self.said: list[tuple[str, str, str]] = []
        self.silenced = 0
        self.night: bool | None = None

    def say(self, prompt_id: str, text: str, lang: str) -> None:
        self.said.append((prompt_id, text, lang))

    def silence(self) -> None:
        self.silenced += 1

    def set_night(self, night: bool) -> None:
        self.night = night

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass


def listen(h: Harness) -> RecordingSpeaker:
    prompts = h.comp.app.prompts
    prompts.speaker.stop()  # the real one (its thread ends here)
    rec = RecordingSpeaker()
    prompts.speaker = rec
    return rec


@pytest.fixture
def app(qtbot, tmp_path):
    h = Harness(qtbot, tmp_path)
    yield h
    h.stop()


class Visits:
    """Checks a screen's prompt in English, then (language button) in Chinese, then back; remembers screens."""

    def __init__(self, h: Harness, rec: RecordingSpeaker) -> None:
        self.h, self.rec, self.seen = h, rec, set()

    def check(self, name: str) -> None:
        h, rec = self.h, self.rec
        h.wait_screen(name)
        assert h.kiosk.languages.current == "en"
        h.qtbot.waitUntil(lambda: any(p.split("+")[0] == name for p, _t, _l in rec.said[-3:]), timeout=3000)
        en = next(t for p, t, lang in reversed(rec.said) if p.split("+")[0] == name and lang == "en")
        assert en.strip() and not CJK.search(en), (name, en)
        n = len(rec.said)
        h.tap("lang.toggle")
        zh = [(p, t) for p, t, lang in rec.said[n:] if lang == "zh"]
        assert zh and zh[0][0].split("+")[0] == name, (name, rec.said[n:])
        assert CJK.search(zh[0][1]) and zh[0][1] != en, (name, zh[0][1])
        h.tap("lang.toggle")
        assert rec.said[-1][2] == "en" and rec.said[-1][0].split("+")[0] == name
        self.seen.add(name)


def spoken(rec: RecordingSpeaker) -> str:
    return "\n".join(t for _p, t, _l in rec.said)


def test_customer_screens_speak_in_both_languages_and_never_the_password(app):
    h = app
    rec = listen(h)
    v = Visits(h, rec)
    h.comp.app.prompts.repeat()
    v.check("home")
    assert "Welcome to the parcel locker" in rec.said[0][1]
    courier = h.service.add_courier("C1001", "Li Wei", PIN)
    p, pw = store_parcel(h, courier)
    bad = wrong(pw)

    h.tap("home.pickup")
    v.check("pickup")
    n = len(rec.said)
    enter(h, p.box_no, bad)
    h.qtbot.waitUntil(lambda: any(pid == "pickup.notice" for pid, _t, _l in rec.said[n:]), timeout=3000)
    notice = [t for pid, t, _l in rec.said[n:] if pid == "pickup.notice"]
    assert notice == ["Wrong box number or password. 2 tries left."]  # the error, said once
    h.qtbot.wait(2 * 300 + 50)  # two more looks at the screen: an error is not said again and again
    assert [pid for pid, _t, _l in rec.said[n:]] == ["pickup.notice"]  # typing itself says nothing
    h.tap("a11y.repeat")  # the prompt again, with the error still on screen
    assert rec.said[-1][0] == "pickup+notice" and "2 tries left" in rec.said[-1][1]
    assert "Enter the box number" in rec.said[-1][1]

    n = len(rec.said)
    open_box(h, p.box_no, pw)
    opening = f"Box {p.box_no} is opening"
    h.qtbot.waitUntil(lambda: any(f"Box {p.box_no} is open\n" in t for _p, t, _l in rec.said[n:]), timeout=3000)
    said = [(pid, t.split("\n")[0], lang) for pid, t, lang in rec.said[n:]]
    assert said[-2:] == [("pickup.check", opening + "…", "en"), ("pickup.check", f"Box {p.box_no} is open", "en")]
    v.check("pickup.check")  # the new state is said as soon as the door opens, with the box number
    h.tap("pickup.reject")
    v.check("pickup.reason")
    h.tap("reason.back")
    h.tap("pickup.accept")
    v.check("pickup.close")
    close_door(h, p.box_no, item=False)
    v.check("pickup.thanks")
    h.tap("thanks.home")
    h.wait_screen("home")

    q, qpw = store_parcel(h, courier, "SF0000000002")
    for _ in range(3):
        enter(h, q.box_no, wrong(qpw))
    v.check("pickup.locked")

    h.comp.app.error("The lock board did not answer.")
    v.check("error")
    assert "The lock board did not answer." in rec.said[-1][1]

    said = spoken(rec)
    for secret in (pw, bad, qpw, wrong(qpw)):
        assert secret not in said
    assert v.seen == CUSTOMER_SCREENS


def test_courier_and_maintainer_screens_speak_in_both_languages_and_never_a_pin(app):
    h = app
    rec = listen(h)
    v = Visits(h, rec)
    h.service.add_courier("C1001", "Li Wei", PIN)
    doors = Doors(h)
    h.tap("home.courier_pin")
    v.check("courier.login")
    h.comp.app.home()
    pin_login(h)
    v.check("courier.menu")
    h.tap("courier.deposit")
    v.check("courier.size")
    h.tap("courier.size.M")
    v.check("courier.form")
    h.type(TRACKING, "kbd")
    h.tap("kbd.done")
    h.tap("courier.consent")
    h.tap("courier.open")
    v.check("courier.door")
    box = h.comp.app.courier.deposit.parcel.box_no
    assert box in rec.said[-1][1]
    doors.wait(box, True)
    close(h, box, item=True)
    v.check("courier.sent")
    h.tap("courier.done")
    h.wait_screen("courier.menu")
    h.comp.app.go("courier.returns")  # its menu button is off while there is nothing to collect
    v.check("courier.returns")
    h.tap("courier.returns.done")
    h.wait_screen("courier.menu")
    h.comp.app.go("courier.lockouts")  # likewise off while no box is locked
    v.check("courier.lockouts")
    h.comp.app.home()
    h.wait_screen("home")

    h.tap("home.maintain")
    v.check("maint.login")
    h.type(MAINT_PIN)
    h.tap("maint.submit")
    v.check("maint")

    said = spoken(rec)
    assert PIN not in said and MAINT_PIN not in said
    password = [m for m in h.kiosk.messages if m["type"] == "password"][-1]["password"]
    assert password not in said
    assert v.seen == COURIER_SCREENS
    assert CUSTOMER_SCREENS | COURIER_SCREENS == set(h.window.screens)  # every screen the window holds


def test_repeat_mute_and_reset_after_inactivity(qtbot, tmp_path):
    h = Harness(qtbot, tmp_path)
    try:
        rec = listen(h)
        h.window.idle.setInterval(400)
        repeat, sound = h.find("a11y.repeat"), h.find("a11y.sound")
        assert repeat.text() == "Repeat" and sound.text() == "Sound on"
        touch = h.comp.app.metrics["touch"]
        assert min(repeat.height(), repeat.width(), sound.height(), sound.width()) >= touch
        h.tap("a11y.repeat")
        assert rec.said[-1][0] == "home" and "Welcome" in rec.said[-1][1]
        h.tap("a11y.repeat")
        assert [p for p, _t, _l in rec.said[-2:]] == ["home", "home"]

        h.tap("a11y.sound")
        assert sound.text() == "Sound off" and rec.silenced == 1  # what was playing stops at once
        n = len(rec.said)
        h.tap("home.pickup")
        h.wait_screen("pickup")
        h.tap("a11y.repeat")
        h.tap("lang.toggle")
        h.tap("lang.toggle")
        assert len(rec.said) == n  # muted: nothing is said
        h.tap("a11y.sound")
        assert sound.text() == "Sound on"
        assert rec.said[-1][0] == "pickup"  # sound back on: the screen's prompt is said

        h.tap("a11y.sound")  # this person mutes and walks away
        h.wait_screen("home", timeout=3000)  # inactivity
        qtbot.waitUntil(lambda: h.comp.app.prompts.sound_on, timeout=2000)  # the next person hears again
        assert sound.text() == "Sound on"
        shots(h, "home")
    finally:
        h.stop()


def shots(h: Harness, name: str) -> None:
    """Screenshots for a person to look at (KIOSK_SHOTS, else the test's tmp dir)."""
    h.qtbot.wait(30)
    h.shot(f"audio_{name}_en")
    h.tap("lang.toggle")
    h.qtbot.wait(30)
    h.shot(f"audio_{name}_zh")
    h.tap("lang.toggle")


def test_sound_off_by_config_is_the_session_default(qtbot, tmp_path):
    h = Harness(qtbot, tmp_path, edits={"enabled = true\nengine": "enabled = false\nengine"})
    try:
        rec = listen(h)
        assert h.find("a11y.sound").text() == "Sound off"
        h.tap("a11y.repeat")
        assert rec.said == []
        h.tap("a11y.sound")  # a person switches it on for themselves
        assert rec.said[-1][0] == "home"
    finally:
        h.stop()


def test_prompts_follow_the_night_schedule(qtbot, tmp_path):
    h = Harness(qtbot, tmp_path, night=True, edits={'backlight = "auto"': 'backlight = "none"'})  # no sysfs writes
    try:
        rec = listen(h)
        clock = FakeClock(datetime(2026, 1, 5, 12, 0).timestamp())  # noon, local time
        h.service.clock = h.comp.app.night.clock = clock
        h.comp.app.night.check()
        h.tap("a11y.repeat")
        assert rec.night is False
        clock.advance(11 * 3600)  # 23:00: the simulated cabinet's night is 22:00-06:00
        h.comp.app.night.check()
        h.tap("a11y.repeat")
        assert rec.night is True
    finally:
        h.stop()
