"""Child process for the durability tests: runs cabinet flows and dies by SIGKILL where it is told to.

argv: DATA_DIR MODE [KILLPOINT]. MODE "deposit" or "pickup" runs one flow and kills itself at KILLPOINT
(a function the flow calls: the kill happens inside the transaction, or between commit and unlock);
MODE "loop" runs deposits and pickups until the parent kills it at a random moment.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kiosk import audit, outbox  # noqa: E402
from tests.core.conftest import Cabinet  # noqa: E402


def die(*_a, **_k):
    os.kill(os.getpid(), signal.SIGKILL)


def kill_at(point: str, cab: Cabinet) -> None:
    """Arm one kill point. Names say where the process dies."""
    if point.startswith("event:"):  # inside the transaction, when the event of that kind is appended
        kind = point.split(":", 1)[1]
        real = audit.append

        def append(conn, ts, k, *a, **kw):
            if k == kind:
                die()
            return real(conn, ts, k, *a, **kw)
        audit.append = append
    elif point == "outbox":  # inside the door-closed transaction, after state + password, before the message
        outbox.enqueue = die
    elif point == "unlock":  # after the commit, before the lock pulse
        cab.locks.unlock = die
    else:
        raise SystemExit(f"unknown kill point {point}")


def main() -> None:
    data, mode = Path(sys.argv[1]), sys.argv[2]
    cab = Cabinet(data)
    if mode == "setup":  # a courier and one stored parcel, for the pickup cases
        c = cab.courier()
        p, pw = cab.deposit(c, tracking="SF-PICK-1")
        (data / "password").write_text(pw)
        return
    if mode == "deposit":
        c = cab.courier()
        kill_at(sys.argv[3], cab)
        p = cab.svc.start_deposit(c, "M", "SF-DEP-1", consent=True)
        cab.locks.close(p.box_no, item=True)
        cab.svc.door_closed(p.box_no)
    elif mode == "pickup":
        kill_at(sys.argv[3], cab)
        p = cab.svc.box_parcel(cab.svc.parcels(tracking="SF-PICK-1")[0].box_no)
        cab.svc.pickup(p.box_no, (data / "password").read_text())
        cab.svc.accept(p.id)
    elif mode == "loop":
        c = cab.courier()
        print("ready", flush=True)
        for i in range(100_000):
            p = cab.svc.start_deposit(c, "S", f"SF-L{i:06d}", consent=True)
            cab.locks.close(p.box_no, item=True)
            cab.svc.door_closed(p.box_no)
            pw = cab.last_password(c.number)
            cab.svc.pickup(p.box_no, "000000" if pw != "000000" else "111111")
            cab.svc.pickup(p.box_no, pw)
            (cab.svc.accept if i % 2 else lambda pid: cab.svc.reject(pid, "damaged"))(p.id)
            cab.locks.close(p.box_no, item=i % 2 == 0)
            cab.svc.door_closed(p.box_no)
            if i % 2 == 0:
                cab.svc.collect_return(c, p.id)
                cab.locks.close(p.box_no, item=False)
    raise SystemExit(3)  # reaching here means the kill point was never hit


if __name__ == "__main__":
    main()
