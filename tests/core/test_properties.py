"""Properties over generated inputs: password shape and uniqueness; no interleaving opens a box unearned."""

from __future__ import annotations

import random
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from kiosk import outbox, passwords
from kiosk.model import BoxLocked, Expired, Opened, Throttled, Unavailable, WrongPassword
from tests.core.conftest import Cabinet


@given(alphabet=st.sampled_from(["digits", "alnum"]), n=st.integers(1, 50))
def test_generated_passwords_match_alphabet_and_length(alphabet, n):
    chars = passwords.ALPHABETS[alphabet]
    for _ in range(n):
        code = passwords.generate(chars, 6)
        assert len(code) == 6 and set(code) <= set(chars)
    assert not set("01ILO") & set(passwords.ALNUM)


@given(live=st.sets(st.text("0123456789", min_size=6, max_size=6), min_size=1, max_size=30),
       free=st.text("0123456789", min_size=6, max_size=6), data=st.data())
def test_a_new_password_never_collides_with_a_live_one(live, free, data):
    """Whatever the random draws, the code returned is the first one not live."""
    assume(free not in live)
    draws = data.draw(st.lists(st.sampled_from(sorted(live)), max_size=20)) + [free]
    stream = iter("".join(draws))
    code = passwords.generate_unique(passwords.DIGITS, 6, lambda c: c in live, choice=lambda _a: next(stream))
    assert code not in live
    assert code == next(d for d in draws if d not in live)


def test_service_redraws_when_the_code_is_live(tmp_path, monkeypatch):
    """The uniqueness check really consults the database's live passwords."""
    cab = Cabinet(tmp_path)
    try:
        c = cab.courier()
        scripted = iter(["111111", "111111", "111111", "222222"])
        monkeypatch.setattr(passwords, "generate", lambda *_a, **_k: next(scripted))
        _, first = cab.deposit(c, tracking="SF0001")
        _, second = cab.deposit(c, tracking="SF0002")
        assert (first, second) == ("111111", "222222")
    finally:
        cab.store.close()


class PickupMachine(RuleBasedStateMachine):
    """Customers and attackers type anything at any box while time passes and couriers act."""

    @initialize()
    def setup(self):
        # Hypothesis replays examples, so the cabinet's draws must replay too: a seeded generator stands in
        # for secrets.choice here (the real one is tested above).
        rng = random.Random(1234)
        self._real_generate = passwords.generate
        passwords.generate = lambda alphabet, length, choice=None: self._real_generate(alphabet, length, rng.choice)
        self.dir = Path(tempfile.mkdtemp(prefix="kiosk-prop-"))
        self.cab = Cabinet(self.dir)
        self.courier = self.cab.courier()
        self.codes: dict[int, str] = {}  # parcel id -> latest password sent to the courier
        for i in range(4):
            p, pw = self.cab.deposit(self.courier, "S", f"SF{i:04d}")
        self.refresh()

    def refresh(self):
        """What the courier's handheld knows: the newest password per parcel."""
        for m in reversed(outbox.for_courier(self.cab.store.conn, self.cab.keys, "C1001", limit=10_000)):
            if m.kind == "password":
                self.codes[self.cab.svc.parcels(tracking=m.payload["tracking"])[0].id] = m.payload["password"]

    def teardown(self):
        if not hasattr(self, "cab"):
            return
        passwords.generate = self._real_generate
        self.cab.store.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def boxes(self):
        return [b.no for b in self.cab.cfg.boxes]

    def occupied(self):
        return sorted({p.box_no for p in self.cab.svc.parcels(states=("stored", "overdue", "picking", "refused"))})

    @rule(data=st.data(), guess=st.one_of(st.text("0123456789", min_size=6, max_size=6),
                                          st.text(min_size=0, max_size=8)),
          use_known=st.booleans(), at_occupied=st.booleans())
    def attempt(self, data, guess, use_known, at_occupied):
        """Any text, or a real password of some parcel, at any box (mostly the ones holding parcels)."""
        boxes = self.occupied() if at_occupied and self.occupied() else self.boxes() + ["Z99", "a1"]
        box = data.draw(st.sampled_from(boxes))
        if use_known and self.codes:
            guess = data.draw(st.sampled_from(sorted(self.codes.values())))
        self.check_attempt(box, guess)

    @precondition(lambda self: self.codes)
    @rule(data=st.data(), spaced=st.booleans())
    def right_pair(self, data, spaced):
        """The customer with the newest password of a parcel types it at that parcel's box."""
        pid = data.draw(st.sampled_from(sorted(self.codes)))
        p = self.cab.svc.parcel(pid)
        code = self.codes[pid]
        self.check_attempt(p.box_no.lower() if spaced else p.box_no, " ".join(code) if spaced else code)

    def check_attempt(self, box, guess):
        before = self.cab.svc.box_parcel(box) if self.cab.svc.box_no(box) else None
        unlocks = len(self.cab.locks.unlocks)
        r = self.cab.svc.pickup(box, guess)
        self.refresh()
        opened = len(self.cab.locks.unlocks) > unlocks
        assert opened == isinstance(r, Opened)
        if opened:
            # Only the newest password of the parcel in that very box, while collectable, opens it.
            assert before is not None and before.state in ("stored", "overdue")
            assert passwords.normalise(guess) == self.codes[before.id]
            assert self.cab.locks.unlocks[-1] == before.box_no
        assert isinstance(r, (Opened, WrongPassword, BoxLocked, Throttled, Expired, Unavailable))

    @rule(minutes=st.sampled_from([0.05, 1, 5, 31, 60 * 24]))
    def time_passes(self, minutes):
        self.cab.clock.advance(minutes * 60)

    @rule()
    def tick(self):
        self.cab.svc.tick()
        self.refresh()

    @precondition(lambda self: self.cab.svc.lockouts())
    @rule(data=st.data())
    def courier_clears(self, data):
        lk = data.draw(st.sampled_from(self.cab.svc.lockouts()))
        self.cab.svc.clear_lockout(self.cab.svc.login_finger(1), lk.box_no)
        self.refresh()

    @precondition(lambda self: self.cab.svc.parcels(states=("picking",)))
    @rule(data=st.data(), choice=st.sampled_from(["accept", "reject", "close"]))
    def customer_finishes(self, data, choice):
        p = data.draw(st.sampled_from(self.cab.svc.parcels(states=("picking",))))
        if choice == "accept":
            self.cab.svc.accept(p.id)
        elif choice == "reject":
            self.cab.svc.reject(p.id, "damaged")
        self.cab.locks.close(p.box_no, item=choice != "accept")
        self.cab.svc.door_closed(p.box_no)

    @invariant()
    def locked_boxes_hold_no_live_password(self):
        if not hasattr(self, "cab"):
            return
        for lk in self.cab.svc.lockouts():
            n = self.cab.store.query("SELECT COUNT(*) FROM passwords WHERE parcel_id = ? AND used_at IS NULL"
                                     " AND void_at IS NULL", (lk.parcel_id,))[0][0]
            assert n == 0


TestPickupInterleavings = PickupMachine.TestCase
TestPickupInterleavings.settings = settings(max_examples=40, stateful_step_count=40, deadline=None,
                                            suppress_health_check=[HealthCheck.too_slow])
