"""One MP4 clip being written from the shared encoder's packets, hashed as it goes out.

Why it is built this way:

- Each clip is only a muxer: the encoder's packets (``hardware.h264``) go into an MP4 stream made by
  ``add_mux_stream`` (no second encoder), which takes the H.264 parameter sets from the first keyframe.
- Clips are fragmented MP4 (a fragment per keyframe, written strictly front to back). Ordinary players, OpenCV
  and PyAV read them, and a file cut by a power failure still plays up to its last second, where a classic MP4
  without its trailing index would be lost. Writing front to back also lets the SHA-256 be computed while
  writing, so closing a 10-minute clip does not stall the encoder by re-reading it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

import av

from hardware.h264 import TIME_BASE
from kiosk.clips import file_sha256  # one way to hash a clip, shared with the core that checks it

log = logging.getLogger(__name__)

MP4_OPTIONS = {"movflags": "frag_keyframe+empty_moov+default_base_moof"}


class HashingFile:
    """The file object PyAV writes an MP4 through: hashes and counts bytes as they go out, front to back."""

    def __init__(self, path: Path) -> None:
        self.file: BinaryIO = open(path, "xb")  # noqa: SIM115 - closed by close(); "x": never overwrite a clip
        self.sha = hashlib.sha256()
        self.size = 0
        self.sequential = True  # False once the muxer seeks back: then the hash is taken from the file

    def write(self, data: bytes) -> int:
        n = self.file.write(data)
        if self.sequential:
            self.sha.update(data)
        self.size = max(self.size, self.file.tell())
        return n

    def seek(self, offset: int, whence: int = 0) -> int:
        pos = self.file.seek(offset, whence)
        if pos != self.size:
            self.sequential = False
        return pos

    def tell(self) -> int:
        return self.file.tell()

    def flush(self) -> None:
        self.file.flush()

    def close(self) -> None:
        self.file.close()


class ClipWriter:
    """One MP4 being written: packets from the shared encoder, timestamps rebased so the file starts at 0."""

    def __init__(self, path: Path, width: int, height: int, *, metadata: dict[str, str]) -> None:
        self.path = path
        self._file = HashingFile(path)
        try:
            self._out: Any = av.open(self._file, "w", format="mp4", options=MP4_OPTIONS)
            self._out.metadata.update(metadata)
            self._stream = self._out.add_mux_stream("h264", width=width, height=height)
            self._stream.time_base = TIME_BASE
        except BaseException:
            self._file.close()
            raise
        self._base: int | None = None
        self._closed = False
        self.failed = False  # a write raised: the file holds less than was muxed

    def write(self, data: bytes, pts: int, keyframe: bool, duration: int) -> None:
        if self._base is None:
            self._base = pts
        packet = av.Packet(data)
        packet.pts = packet.dts = pts - self._base
        packet.duration = duration
        packet.is_keyframe = keyframe
        packet.time_base = TIME_BASE
        packet.stream = self._stream
        try:
            self._out.mux(packet)
        except BaseException:
            self.failed = True
            raise

    def close(self) -> tuple[int, str]:
        """Finish the file durably; returns (bytes, sha256). Raises OSError/av.FFmpegError if writing fails."""
        self._closed = True
        try:
            self._out.close()
            self._file.flush()
            os.fsync(self._file.file.fileno())
        finally:
            self._file.close()
        if self._file.sequential and self._file.size == self.path.stat().st_size:
            return self._file.size, self._file.sha.hexdigest()
        return self.path.stat().st_size, file_sha256(self.path)

    def abort(self) -> None:
        """Close after a failure, as far as possible (never raises)."""
        if self._closed:
            return
        self._closed = True
        for close in (self._out.close, self._file.close):
            try:
                close()
            except Exception:  # noqa: BLE001 - the write already failed; this is clean-up
                log.debug("closing %s after a failure", self.path, exc_info=True)


def playable_frames(path: Path) -> int:
    """How many video packets a (damaged) clip holds, 0 if its first one does not decode."""
    try:
        with av.open(str(path)) as c:
            return _readable_packets(c, path)[0]
    except Exception:  # noqa: BLE001 - not even a header: nothing plays
        log.debug("cannot open %s", path, exc_info=True)
    return 0


def _readable_packets(c: Any, path: Path) -> tuple[int, int | None, int | None]:
    """(count, first pts, last pts) of the video packets an open clip holds up to where it stops reading:
    (0, None, None) if the first one does not decode."""
    count, first, last = 0, None, None
    try:
        for packet in c.demux(video=0):
            if not packet.size:
                continue
            if count == 0 and not packet.decode():
                return 0, None, None
            count += 1
            if packet.pts is not None:
                first = packet.pts if first is None else first
                last = packet.pts
    except Exception:  # noqa: BLE001 - a cut file ends somewhere in its last fragment: count what came before
        log.debug("reading %s stopped after %d packets", path, count, exc_info=True)
    return count, first, last


_TITLE = re.compile(r"^(T\d+) part (\d+)$")
_NAME = re.compile(r"^(T\d+)-(\d+)$")


def probe_clip(path: Path) -> dict[str, Any]:
    """What a clip without its sidecar says about itself (the recorder was killed mid-clip: fragmented MP4 keeps
    every finished fragment): ``txn``, ``part``, ``kind``, ``started``, ``ended`` and ``frames``, from the
    metadata ``ClipWriter`` wrote first and the packets that can still be read. ``started`` is when the part was
    requested (the pre-roll before it is not known without the sidecar). Raises ValueError when the file is not
    a readable clip of this recorder."""
    try:
        with av.open(str(path)) as c:
            meta = dict(c.metadata)
            base = c.streams.video[0].time_base or TIME_BASE
            count, first, last = _readable_packets(c, path)
    except (av.FFmpegError, IndexError, OSError) as e:
        raise ValueError(f"{path.name} is not a readable clip ({e})") from None
    named = _TITLE.match(meta.get("title", "")) or _NAME.match(path.stem)
    if named is None:
        raise ValueError(f"{path.name} is not named like a clip of this recorder")
    try:
        started = datetime.fromisoformat(meta["creation_time"]).timestamp()
    except (KeyError, ValueError):
        raise ValueError(f"{path.name} has no creation time") from None
    kind = meta.get("comment", "").rpartition(", ")[2] or "unknown"
    length = float((last - first) * base) if first is not None and last is not None else 0.0
    return {"txn": named.group(1), "part": int(named.group(2)), "kind": kind, "started": started,
            "ended": started + length, "frames": count}
