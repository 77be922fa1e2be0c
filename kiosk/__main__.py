"""The composition root: the one place that wires the core to hardware and (later) the UI.

Everything else under kiosk/ is pure core and must not import Qt, ui or hardware
(tests/test_import_contract.py checks it); this module is the documented exception, and it imports those
packages only inside the commands that need them, so ``kiosk courier list`` never loads Qt.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys

from . import cli, memory
from .clock import Clock, SystemClock


def add_commands(sub: argparse._SubParsersAction) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="F", default=argparse.SUPPRESS,
                        help="cabinet config (TOML); default: the simulated cabinet in assets/")
    run = sub.add_parser("run", parents=[common], help="start the kiosk")
    run.add_argument("--simulate", action="store_true", help="use emulated devices whatever the config says")
    run.add_argument("--windowed", action="store_true", help="a window instead of full screen")
    run.set_defaults(func=cmd_run)

    sc = sub.add_parser("scenario", parents=[common], help="play a scripted deposit and pickup, headless")
    sc.set_defaults(func=cmd_scenario)

    demo = sub.add_parser("demo", parents=[common],
                          help="play deposit, lockout, pickup and refusal through the screens, offscreen; "
                               "save a picture of every screen in both languages")
    demo.add_argument("--out", metavar="DIR", required=True, help="pictures, config and a fresh data dir go here")
    demo.set_defaults(func=cmd_demo)

    st = sub.add_parser("selftest", parents=[common], help="check every configured device and print a table")
    st.add_argument("--simulate", action="store_true", help="check the emulated devices instead")
    st.set_defaults(func=cmd_selftest)

    sb = sub.add_parser("support-bundle", parents=[common],
                        help="write a support bundle (logs, config without secrets, checks) into DIR; print its path")
    sb.add_argument("--out", metavar="DIR", required=True, help="an existing folder, e.g. the USB stick's")
    sb.add_argument("--selftest", action="store_true",
                    help="run the device selftest into the bundle (stop the kiosk first: it opens the devices)")
    sb.set_defaults(func=cmd_support_bundle)

    em = sub.add_parser("emulate", parents=[common], help="run a device emulator on a pty and print its path")
    em.add_argument("device", choices=["fingerprint", "lockboard"])
    em.add_argument("--boards", type=int, nargs="+", default=[0, 1], metavar="ADDR",
                    help="lockboard: board addresses (default 0 1)")
    em.add_argument("--store", metavar="FILE", help="fingerprint: keep templates in this JSON file")
    em.set_defaults(func=cmd_emulate)


class Composition:
    """The running cabinet: core, devices, workers, context and screens, and how to stop them all."""

    def __init__(self, config_path: str | None, simulate: bool, width: int | None = None,
                 height: int | None = None, clock: Clock | None = None) -> None:
        """``clock``: the wall clock of the core and the recorder (tests set it; the system's by default)."""
        memory.tune_allocator()  # before the camera's first frame (see kiosk/memory.py)
        from PySide6.QtWidgets import QApplication

        from hardware import factory
        from hardware.camera import CameraThread
        from hardware.camera_worker import CameraWorker
        from hardware.clip_writer import probe_clip
        from hardware.fingerprint_worker import FingerprintWorker
        from hardware.lock_worker import LockWorker
        from ui import theme
        from ui.app import App
        from ui.kiosk import Kiosk

        self.qt = QApplication.instance() or QApplication(sys.argv[:1])
        self.ctx = cli.open_context(config_path)
        self.clock = clock or SystemClock()
        cfg = self.ctx.config
        theme.apply(self.qt, height or cfg.ui.height)
        self._stops: list = [self.ctx.store.close]
        try:
            self.lock_worker = LockWorker()
            self.locks = factory.build_locks(cfg, self.lock_worker.events, simulate=simulate)
            self._stops.append(self.locks.stop)
            self.lock_worker.attach(self.locks.bank)
            self._stops.append(self.lock_worker.detach)
            self.fingerprint = None
            fp = factory.build_fingerprint(cfg, simulate=simulate)
            if fp is not None:
                self._stops.append(fp.stop)
                self.fingerprint = FingerprintWorker(fp.make_driver)
                self.fingerprint.start(listening=False)
                self._stops.append(self.fingerprint.stop)
            self.fingerprint_device = fp
            self.camera = None
            source = factory.build_camera(cfg, simulate=simulate)
            if source is not None:
                self.camera_thread = CameraThread(source, fps=float(cfg.hardware.camera.options.get("fps", 15)))
                self.camera_thread.start()
                self._stops.append(self.camera_thread.stop)
                self.camera = CameraWorker(self.camera_thread)
                self.camera.start()
                self._stops.append(self.camera.stop)
            self.recorder = self._recorder(cfg) if source is not None and cfg.video.enabled else None
            self.scanner = self._scanner() if source is not None else None
            self.service = self.ctx.service(self.locks.bank, self.clock)
            self.service.adopt_orphan_clips(probe_clip)  # clips whose log entry a crash or a full disk lost
            self.link, command_key = self._link(cfg)
            self.kiosk = Kiosk(cfg, self.service, locks=self.lock_worker, fingerprint=self.fingerprint,
                               camera=self.camera, simulated=self.locks.simulated, camera_source=source,
                               fingerprint_emulator=fp.emulator if fp is not None else None,
                               recorder=self.recorder, scanner=self.scanner, link=self.link,
                               command_key=command_key)
            self._stops.append(self.kiosk.stop)  # stops first: nothing may reach a closed database
            if self.link is not None:
                self.link.start()
                self._stops.append(self.link.stop)  # before the kiosk's stop: says "offline" while it can
            self.app = App(self.kiosk, width, height)
            self._stops.append(self.app.prompts.stop)  # first to stop: silence before the devices go
            self.app.prompts.start()
        except BaseException:
            self.stop()
            raise

    def _recorder(self, cfg):
        """The recorder shares the preview's camera thread. Clips it finalises while shutting down are
        registered from their sidecars at the next start."""
        from hardware.recorder import Recorder
        from hardware.recorder_worker import RecorderWorker

        v = cfg.video
        recorder = RecorderWorker(Recorder(
            self.camera_thread, cfg.video_dir, cabinet_id=cfg.cabinet_id, fps=self.camera_thread.fps,
            preroll_s=v.preroll_s, postroll_s=v.postroll_s, max_clip_s=v.max_clip_s,
            min_free_bytes=v.min_free_mb * 2**20, crf=v.crf, preset=v.preset, wall_clock=self.clock.now))
        recorder.start()
        self._stops.append(recorder.stop)
        return recorder

    def _link(self, cfg):
        """The fleet broker link (its own thread and database connection), when a broker is configured; the
        command key is read now so a bad key file stops the start with a clear message."""
        if not cfg.mqtt.enabled:
            return None, None
        from .mqtt_link import MqttLink
        from .remote import load_key

        key = load_key(cfg.mqtt.command_key_file) if cfg.mqtt.command_key_file else None
        link = MqttLink(cfg, cfg.db_path, self.ctx.keys,
                        on_command=lambda raw: self.kiosk.command_from_broker(raw),
                        on_state=lambda ok, line: self.kiosk.link_state_from_broker(ok, line))
        return link, key

    def _scanner(self):
        from hardware.scanner_worker import ScannerWorker

        scanner = ScannerWorker(self.camera_thread)
        scanner.start()
        self._stops.append(scanner.stop)
        return scanner

    def recover_when_doors_known(self, attempts: int = 40) -> None:
        """Settle sessions a crash left open once the lock bank has read every door (bounded wait)."""
        from PySide6.QtCore import QTimer

        bank = self.locks.bank
        if all(bank.is_door_open(b.no) is not None for b in self.ctx.config.boxes) or attempts <= 0:
            self.service.recover()
            for box in self.service.doors_open_without_session():
                self.kiosk.alarm.emit("door_open_at_start", box)
            self.kiosk.deliver()
        else:
            QTimer.singleShot(100, lambda: self.recover_when_doors_known(attempts - 1))

    def stop(self) -> None:
        for stop in reversed(self._stops):
            try:
                stop()
            except Exception as e:  # keep stopping the rest
                print(f"warning: shutdown step failed: {e}", file=sys.stderr)
        self._stops = []


def cmd_run(args: argparse.Namespace) -> int:
    """The kiosk on its screen: full screen unless --windowed; --simulate adds the simulator panel."""
    import os

    if not any(os.environ.get(v) for v in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")):
        raise cli.CliError("kiosk run: no display. Start it in a desktop session, set QT_QPA_PLATFORM=eglfs on a "
                           "cabinet without a desktop, or QT_QPA_PLATFORM=offscreen to check it headless")
    import signal

    from . import logfile
    from .config import default_config_path, load

    # systemd may stop the unit while it is still starting: remember the SIGTERM and shut down cleanly once the
    # devices are up, instead of dying half-way with Python's default action.
    early: list[int] = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda n, _f: early.append(n))
    log_handlers = logfile.setup(load(getattr(args, "config", None) or default_config_path()))
    try:
        return _run(args, early)
    finally:
        logfile.close(log_handlers)


def _run(args: argparse.Namespace, early: list[int]) -> int:
    """cmd_run once logging is set up: systemd hears READY=1 when the home screen is up, pings from the GUI
    thread (ui/watchdog.py) and STOPPING=1 on the way out."""
    import signal

    from ui.watchdog import SystemdWatchdog

    comp = Composition(getattr(args, "config", None), args.simulate)
    window = comp.app.window
    panel = None
    watchdog = None
    try:
        watchdog = SystemdWatchdog(window, comp.kiosk)
        if args.simulate:
            from ui.simulator import SimulatorPanel

            panel = SimulatorPanel(comp.kiosk)
            panel.show()
        # Simulated: a window of the panel's size beside the simulator panel (full screen would hide it).
        window.show() if args.windowed or args.simulate else window.showFullScreen()
        if panel is not None:  # beside the kiosk, not on top of it (no window manager places it for us)
            panel.move(window.frameGeometry().right() + 8, window.y())
        comp.recover_when_doors_known()
        signal.signal(signal.SIGTERM, lambda *_: (window.allow_close(), comp.qt.quit()))
        signal.signal(signal.SIGINT, lambda *_: (window.allow_close(), comp.qt.quit()))
        if early:
            return cli.EXIT_OK  # stopped while starting
        watchdog.start()  # READY=1 on the loop's first turn; pings stop if this thread ever hangs
        return comp.qt.exec()
    finally:
        if watchdog is not None:
            watchdog.stop()  # STOPPING=1: the shutdown below is expected, not a crash
        if panel is not None:
            panel.close()
        window.allow_close()
        window.close()
        comp.stop()


def cmd_scenario(args: argparse.Namespace) -> int:
    """The scripted day at the cabinet, headless, on the emulated lock board."""
    from hardware.simulated import SimulatedLocks

    from .scenario import QueuedDoorEvents, Scenario, ScenarioFailed

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


def cmd_demo(args: argparse.Namespace) -> int:
    """The scripted demo through the real screens (ui/demo.py); exit 1 naming the step that misbehaved."""
    from ui import demo

    return demo.run(args.out, getattr(args, "config", None))


def cmd_selftest(args: argparse.Namespace) -> int:
    from hardware import selftest

    from .config import default_config_path, load

    checks = selftest.run(load(getattr(args, "config", None) or default_config_path()), simulate=args.simulate)
    print(selftest.table(checks))
    return cli.EXIT_OK if all(c.ok for c in checks) else cli.EXIT_FAIL


def cmd_support_bundle(args: argparse.Namespace) -> int:
    """kiosk/support.py from a shell; the selftest is hardware's, so it is injected here. Exit 2 on failure."""
    from . import support
    from .clips import file_sha256
    from .config import default_config_path, load
    from .model import KioskError
    from .store import StoreError

    cfg = load(getattr(args, "config", None) or default_config_path())
    def run_selftest() -> str:
        from hardware import selftest

        return selftest.table(selftest.run(cfg))
    try:
        path = support.write_bundle(cfg, args.out, selftest=run_selftest if args.selftest else None)
    except support.SupportError as e:
        raise cli.CliError(str(e)) from None
    if cfg.db_path.exists():  # who took the cabinet's state away, logged (never creates a database)
        try:
            ctx = cli.open_context(getattr(args, "config", None))
            try:
                ctx.service().support_exported(path, path.stat().st_size, file_sha256(path), actor="cli")
            finally:
                ctx.store.close()
        except (StoreError, OSError, sqlite3.Error, KioskError) as e:
            print(f"warning: the export could not be entered in the audit log: {e}", file=sys.stderr)
    print(path)
    return cli.EXIT_OK


def cmd_emulate(args: argparse.Namespace) -> int:
    from hardware import emulate

    return emulate.run(args.device, args.boards, args.store)


def main(argv: list[str] | None = None) -> int:
    return cli.run(sys.argv[1:] if argv is None else argv, extra=add_commands)


if __name__ == "__main__":
    raise SystemExit(main())
