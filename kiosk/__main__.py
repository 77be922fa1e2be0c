"""The composition root: the one place that wires the core to hardware and (later) the UI.

Everything else under kiosk/ is pure core and must not import Qt, ui or hardware
(tests/test_import_contract.py checks it); this module is the documented exception, and it imports those
packages only inside the commands that need them, so ``kiosk courier list`` never loads Qt.
"""

from __future__ import annotations

import argparse
import sys

from . import cli


def add_commands(sub: argparse._SubParsersAction) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="F", default=argparse.SUPPRESS,
                        help="cabinet config (TOML); default: the simulated cabinet in assets/")
    run = sub.add_parser("run", parents=[common], help="start the kiosk")
    run.add_argument("--simulate", action="store_true", help="use emulated devices whatever the config says")
    run.add_argument("--windowed", action="store_true", help="a window instead of full screen")
    run.set_defaults(func=cmd_run)

    st = sub.add_parser("selftest", parents=[common], help="check every configured device and print a table")
    st.add_argument("--simulate", action="store_true", help="check the emulated devices instead")
    st.set_defaults(func=cmd_selftest)

    em = sub.add_parser("emulate", parents=[common], help="run a device emulator on a pty and print its path")
    em.add_argument("device", choices=["fingerprint", "lockboard"])
    em.add_argument("--boards", type=int, nargs="+", default=[0, 1], metavar="ADDR",
                    help="lockboard: board addresses (default 0 1)")
    em.add_argument("--store", metavar="FILE", help="fingerprint: keep templates in this JSON file")
    em.set_defaults(func=cmd_emulate)


def cmd_run(args: argparse.Namespace) -> int:
    """Until the touchscreen UI lands: the scripted scenario, headless, on the emulated lock board."""
    from hardware.simulated import SimulatedLocks

    from .scenario import QueuedDoorEvents, Scenario, ScenarioFailed

    if not args.simulate:
        raise cli.CliError("kiosk run: only --simulate is available until the touchscreen UI lands")
    ctx = cli.open_context(getattr(args, "config", None))
    events = QueuedDoorEvents()
    locks = SimulatedLocks(ctx.config, events)
    try:
        print(f"simulated cabinet: lock board emulated on {locks.emulator.port}; data in {ctx.config.data_dir}")
        Scenario(ctx.service(locks.bank), locks, events).run()
    except ScenarioFailed as e:
        print(f"scenario FAILED: {e}", file=sys.stderr)
        return cli.EXIT_FAIL
    finally:
        locks.stop()
        ctx.store.close()
    print("scenario passed")
    return cli.EXIT_OK


def cmd_selftest(args: argparse.Namespace) -> int:
    from hardware import selftest

    from .config import default_config_path, load

    checks = selftest.run(load(getattr(args, "config", None) or default_config_path()), simulate=args.simulate)
    print(selftest.table(checks))
    return cli.EXIT_OK if all(c.ok for c in checks) else cli.EXIT_FAIL


def cmd_emulate(args: argparse.Namespace) -> int:
    from hardware import emulate

    return emulate.run(args.device, args.boards, args.store)


def main(argv: list[str] | None = None) -> int:
    return cli.run(sys.argv[1:] if argv is None else argv, extra=add_commands)


if __name__ == "__main__":
    raise SystemExit(main())
