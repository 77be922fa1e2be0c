"""Coverage-guided fuzzing of the byte-level parsers with atheris (libFuzzer for Python).

Why next to the hypothesis run (bench/fuzz.py): hypothesis draws inputs from strategies someone wrote, so it
reaches the branches those strategies were written for. libFuzzer watches which branches of the parser each
input reached and mutates bytes towards new ones, starting from real inputs (valid frames, the shipped config,
validly signed commands). That fits the two UART frame parsers and the two loaders that take raw bytes. Each
target checks the same contract as its hypothesis property (helpers imported from tests/fuzz/): the frame
parsers never raise, hold back at most one frame and do not depend on how the bytes were chunked; the config
loader raises only ``ConfigError`` naming the file or a key, and a config it accepts is sound; a command is
refused only with ``Refused`` and accepted only if its signed bytes are what the operator signed. A broken
contract is an ``AssertionError``, any other exception a crash: nothing else is caught.

``commands`` fuzzes ``remote.parse`` + ``remote.verify`` (fixed key, cabinet id and clock); a mutated command
never carries a valid signature, so ``commands-signed`` signs each mutated object again before ``verify``, to
reach the field checks behind the signature. Neither calls
``remote.execute``, which writes an audit event per input to a cabinet database, which would make each
input ~100× slower; execute's "never raises" is left to tests/fuzz/test_fuzz_commands.py.

Run (from the repository root; atheris is in the ``test`` extra, x86_64 and Python < 3.13 only):

    python bench/fuzz_atheris.py                        # 100000 inputs per target, every target
    python bench/fuzz_atheris.py --runs 5000 --target frames-lockboard config

Each target runs in its own process (libFuzzer ends the process when it is done) from a fresh seed corpus.
Prints one line per target: inputs run, coverage (libFuzzer's "cov:", edges reached in the instrumented
modules), crashes (0, or the file holding the crashing input: replay it with
``python bench/fuzz_atheris.py --target NAME --replay FILE``), seconds. Exit 1 if any target crashed, 2 if
atheris is not installed.
"""

from __future__ import annotations

import argparse
import atexit
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
TARGETS = ("frames-fingerprint", "frames-lockboard", "config", "commands", "commands-signed")
HIDDEN = ("selfcheck",)  # the lock-board target with a planted bug: proves a crash is found and reported

# Commands: what the fuzzing cabinet knows. The clock is fixed, so a seed command never goes stale.
KEY = bytes(range(32))
CABINET = "SZ-NS-0042"
NOW = 1_700_000_000.0
MAX_AGE = 60.0

DONE = re.compile(r"^Done (\d+) runs in (\d+) second", re.M)
COV = re.compile(r"\bcov: (\d+) ft: ")
INITED = re.compile(r"INITED cov: (\d+)")
STAT_RUNS = re.compile(r"^stat::number_of_executed_units: (\d+)", re.M)
CRASH_FILE = re.compile(r"Test unit written to (\S+)")
EXCEPTION = re.compile(r"=== Uncaught Python exception: ===\n(.+)")
LIBFUZZER_ERROR = re.compile(r"==\d+== ERROR: libFuzzer: (.+)")


# ---------------------------------------------------------------------------------------------- targets
# Everything below up to the runner executes in the child process, after atheris has instrumented the imports.


def chunks_of(data: bytes) -> tuple[bytes, list[bytes]]:
    """First byte: chunk size (0 = one chunk), the rest: the wire. So the fuzzer varies the cuts too."""
    if not data:
        return b"", [b""]
    step, raw = data[0], data[1:]
    if step == 0 or not raw:
        return raw, [raw]
    return raw, [raw[i:i + step] for i in range(0, len(raw), step)]


def load_targets() -> dict[str, Callable[[bytes], None]]:
    import atheris

    with atheris.instrument_imports(include=["hardware", "kiosk", "tomllib"]):
        from hardware import fingerprint_protocol as fp
        from hardware import kerong_protocol as kr
        from kiosk import remote
        importlib.import_module("kiosk.config")  # instrumented here, before load_bytes' module imports it
    from tests.fuzz.test_fuzz_config import load_bytes
    from tests.fuzz.test_fuzz_frames import fp_frame, fp_run, kr_raw, kr_run

    def frames_fingerprint(data: bytes) -> None:
        # test_fingerprint_parser_takes_any_bytes_in_any_chunks; fp_run checks pending <= one frame, 0 after idle
        raw, chunks = chunks_of(data)
        items = fp_run(chunks)
        for item in items:
            assert isinstance(item, (fp.Packet, fp.BadChecksum)), item
            if isinstance(item, fp.Packet):
                assert fp_frame(item.pid, item.payload, item.address) in raw, item  # only what was on the wire
            else:
                assert item.received != item.expected, item
        assert items == fp_run([raw]), "chunking changed the frames"

    def frames_lockboard(data: bytes) -> None:
        # test_kerong_parser_accounts_for_every_byte_in_any_chunks; kr_run checks pending <= one frame
        raw, chunks = chunks_of(data)
        items, pending = kr_run(chunks)
        assert b"".join(kr_raw(i) for i in items) + pending == raw, "bytes lost or invented"
        for item in items:
            assert isinstance(item, (kr.Frame, kr.BadChecksum, kr.Garbage)), item
            if isinstance(item, kr.BadChecksum):
                assert item.raw[0] == kr.STX and item.raw[-2] == kr.ETX and kr.checksum(item.raw[:-1]) != item.raw[-1]
        whole, whole_pending = kr_run([raw])
        frames = [i for i in items if not isinstance(i, kr.Garbage)]
        assert frames == [i for i in whole if not isinstance(i, kr.Garbage)] and pending == whole_pending, \
            "chunking changed the frames"

    tmp = Path(tempfile.mkdtemp(prefix="fuzz-atheris-config-"))  # under the parent's temp dir (see run_target)
    atexit.register(shutil.rmtree, tmp, True)  # for --replay; libFuzzer's exit skips it, the parent does not
    file = tmp / "kiosk.toml"

    def config_load(data: bytes) -> None:
        load_bytes(data, file)  # test_load_arbitrary_bytes_only_raises_config_error's contract

    signed = {remote.canonical(c) for c in seed_commands(remote)}

    def commands(data: bytes) -> None:
        # test_a_signed_command_with_changed_bytes_is_never_carried_out, on parse + verify
        try:
            obj = remote.parse(data)
        except remote.Refused as e:
            assert str(e) and e.code, e
            return
        assert isinstance(obj, dict)
        try:
            command = remote.verify(obj, KEY, cabinet_id=CABINET, now=NOW, max_age=MAX_AGE)
        except remote.Refused as e:
            assert str(e) and e.code, e
            return
        assert remote.canonical(obj) in signed, f"accepted bytes nobody signed: {data!r}"
        assert command.cmd in remote.COMMANDS and command.cabinet == CABINET and abs(NOW - command.ts) <= MAX_AGE

    def commands_signed(data: bytes) -> None:
        # test_arbitrary_objects_signed_or_not_never_raise: the mutated object is signed again, so the field
        # checks behind the signature see what mutation makes of every field
        try:
            obj = remote.parse(data)
        except remote.Refused:
            return
        try:
            obj = remote.sign({k: v for k, v in obj.items() if k != "sig"}, KEY)
        except ValueError:  # NaN or infinity: JSON cannot carry it, so the operator's side cannot sign it
            return
        try:
            command = remote.verify(obj, KEY, cabinet_id=CABINET, now=NOW, max_age=MAX_AGE)
        except remote.Refused as e:
            assert str(e) and e.code, e
            return
        assert command.cmd in remote.COMMANDS and command.cabinet == CABINET and abs(NOW - command.ts) <= MAX_AGE
        assert command.box is not None or command.cmd not in remote.NEEDS_BOX, command  # (status may name one)
        assert set(obj) <= remote.FIELDS, sorted(obj)

    def selfcheck(data: bytes) -> None:
        class Planted(kr.FrameParser):
            """A parser with a bug one flipped bit away from the seed corpus: an unlock frame with a bad sum."""

            def feed(self, chunk: bytes | bytearray) -> list[kr.Item]:
                out = super().feed(chunk)
                if any(isinstance(i, kr.BadChecksum) and i.raw[2] == kr.UNLOCK for i in out):
                    raise IndexError("planted bug")
                return out

        real, kr.FrameParser = kr.FrameParser, Planted  # kr_run builds kr.FrameParser()
        try:
            frames_lockboard(data)
        finally:
            kr.FrameParser = real

    return {"frames-fingerprint": frames_fingerprint, "frames-lockboard": frames_lockboard, "config": config_load,
            "commands": commands, "commands-signed": commands_signed, "selfcheck": selfcheck}


def seed_commands(remote) -> list[dict]:
    out = []
    for i, cmd in enumerate(remote.COMMANDS):
        c = {"schema": remote.SCHEMA, "id": f"00000000-0000-4000-8000-00000000000{i}", "cabinet": CABINET,
             "cmd": cmd, "by": "ops-fuzz", "ts": NOW - 5, "nonce": f"{i:032x}"}
        if cmd in remote.NEEDS_BOX:
            c["box"] = "A01"
        if i % 2:
            c["reason"] = "door stuck"
        out.append(remote.sign(c, KEY))
    return out


def seeds(name: str) -> list[bytes]:
    """Real inputs the mutation starts from."""
    if name == "frames-fingerprint":
        from hardware import fingerprint_protocol as fp
        frames = [fp.encode(fp.Pid.COMMAND, bytes((fp.Instruction.GEN_IMG,))),
                  fp.encode(fp.Pid.ACK, bytes((fp.Confirm.OK,))),
                  fp.encode(fp.Pid.ACK, bytes((fp.Confirm.OK, 0x00, 0x05, 0x00, 0x64)), 0x12345678),
                  fp.encode(fp.Pid.DATA, bytes(range(128))),
                  fp.encode(fp.Pid.END, b"\xaa" * 32)]
        return [bytes((0,)) + f for f in frames] + [bytes((3,)) + b"".join(frames), bytes((1,)) + b"\x00\xef" + frames[1]]
    if name in ("frames-lockboard", "selfcheck"):
        from hardware import kerong_protocol as kr
        frames = [kr.unlock(0, 3), kr.status(1, 2), kr.status_all(2), kr.unlock_all(0), kr.set_pulse(0, 500),
                  kr.status_reply(0x10, [True] * 3 + [False] * 13, [False] * 15 + [True]).encode()]
        return [bytes((0,)) + f for f in frames] + [bytes((2,)) + b"".join(frames), bytes((0,)) + b"\x02\x01" + frames[1]]
    if name == "config":
        from kiosk import config
        return [config.default_config_path().read_bytes(), b'[cabinet]\nid = "SZ-NS-0042"\n']
    if name in ("commands", "commands-signed"):
        from kiosk import remote
        cmds = seed_commands(remote)
        return [json.dumps(c).encode() for c in cmds] + [json.dumps(c, separators=(",", ":")).encode() for c in cmds]
    raise KeyError(name)


def child(args: argparse.Namespace) -> None:
    """In the child process: set up libFuzzer and fuzz until -runs or -max_total_time ends the process."""
    import atheris

    target = load_targets()[args.child]
    if args.replay:  # run one saved input without libFuzzer: the traceback of a crash, plainly
        target(Path(args.replay).read_bytes())
        print("no crash", file=sys.stderr)
        return
    argv = [sys.argv[0], f"-runs={args.runs}", f"-max_total_time={args.max_time}", "-timeout=20",
            f"-artifact_prefix={args.artifacts}/", "-print_final_stats=1", "-rss_limit_mb=1024"]
    if args.seed:
        argv.append(f"-seed={args.seed}")
    if args.child in ("commands", "commands-signed"):
        argv.append("-max_len=4200")  # just over remote.MAX_BYTES
    atheris.Setup([*argv, args.corpus], target)
    atheris.Fuzz()


# ---------------------------------------------------------------------------------------------- runner


@dataclass
class Result:
    name: str
    inputs: int = 0
    cov: int = 0
    seed_cov: int = 0  # edges the seed corpus alone reached: what mutation added is cov - seed_cov
    crash: str | None = None  # why, and where the input is
    seconds: float = 0.0
    returncode: int = 0


def run_target(name: str, runs: int, max_time: int, seed: int, keep: Path) -> tuple[Result, str]:
    result = Result(name)
    with tempfile.TemporaryDirectory(prefix="fuzz-atheris-") as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        for i, data in enumerate(seeds(name)):
            (corpus / f"seed-{i}").write_bytes(data)
        artifacts = keep / name
        artifacts.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child", name, "--corpus", str(corpus),
               "--artifacts", str(artifacts), "--runs", str(runs), "--max-time", str(max_time), "--seed", str(seed)]
        log = Path(tmp) / "libfuzzer.log"  # a file, not a pipe: nothing is lost when libFuzzer ends the process
        start = time.monotonic()
        with log.open("wb") as out:
            try:
                result.returncode = subprocess.run(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                                   timeout=max_time + 120, env={**os.environ, "TMPDIR": tmp}).returncode
            except subprocess.TimeoutExpired:
                result.returncode = -9
                result.crash = f"hang: killed after {max_time + 120} s"
        result.seconds = time.monotonic() - start
        err = log.read_text(errors="replace")
    done = DONE.findall(err)
    stat = STAT_RUNS.findall(err)
    result.inputs = int(done[-1][0]) if done else int(stat[-1]) if stat else 0
    cov = COV.findall(err)
    if cov:
        result.cov = int(cov[-1])
    inited = INITED.search(err)
    result.seed_cov = int(inited.group(1)) if inited else 0
    exception, error, where = EXCEPTION.search(err), LIBFUZZER_ERROR.search(err), CRASH_FILE.search(err)
    if exception or error or where or (result.returncode and not result.crash):
        why = exception.group(1)[:160] if exception else error.group(1) if error else f"exit status {result.returncode}"
        result.crash = f"{why}; input in {where.group(1)}" if where else why
    if not any(artifacts.iterdir()):
        artifacts.rmdir()
    return result, err


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=100_000, help="inputs per target (default 100000)")
    ap.add_argument("--max-time", type=int, default=1800, help="seconds per target at most (safety cap)")
    ap.add_argument("--target", nargs="+", choices=TARGETS + HIDDEN, default=list(TARGETS), metavar="NAME",
                    help=f"targets to fuzz (default all: {', '.join(TARGETS)})")
    ap.add_argument("--seed", type=int, default=0, help="libFuzzer random seed (0: a random one)")
    ap.add_argument("--crashes", type=Path, default=None,
                    help="where crashing inputs are kept (default: a fuzz-atheris-crashes-* temp dir)")
    ap.add_argument("--replay", help="run the saved input FILE through the (one) --target, no fuzzing")
    ap.add_argument("-v", "--verbose", action="store_true", help="print libFuzzer's output")
    # the child process (internal)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--corpus", help=argparse.SUPPRESS)
    ap.add_argument("--artifacts", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if importlib.util.find_spec("atheris") is None:
        print("fuzz_atheris: atheris is not installed (pip install atheris; x86_64, Python < 3.13): nothing run")
        return 2
    if args.child:
        child(args)
        return 0
    if args.replay:
        if len(args.target) != 1:
            ap.error("--replay needs exactly one --target")
        args.child = args.target[0]
        child(args)
        return 0

    keep = args.crashes or Path(tempfile.mkdtemp(prefix="fuzz-atheris-crashes-"))
    crashed = False
    for name in args.target:
        result, err = run_target(name, args.runs, args.max_time, args.seed, keep)
        if args.verbose or result.crash:
            print(err.rstrip()[-6000:], file=sys.stderr)
        crashed |= bool(result.crash)
        print(f"{name:<20} inputs {result.inputs:>8}  cov {result.cov:>5} edges (seeds {result.seed_cov:>4})  "
              f"crashes {'1 (' + result.crash + ')' if result.crash else 0}  {result.seconds:7.1f} s", flush=True)
    if not crashed and not args.crashes:
        shutil.rmtree(keep, ignore_errors=True)
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
