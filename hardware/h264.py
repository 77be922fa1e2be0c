"""H.264 encoding for the recorder: libx264 in a standalone codec context, a BGR frame in, its packets out at once.

Why it is built this way:

- ``tune=zerolatency`` (no B-frames, no look-ahead) makes every frame come out of the encoder as it goes in,
  so a packet is a frame.
- The encoder is a standalone ``CodecContext``, not the stream of an output file, so one encoder can feed
  every open clip and the pre-roll (``hardware.clip_writer`` only muxes its packets). It is not asked for a
  global header, so x264 repeats the H.264 parameter sets at each keyframe and a file can begin at any one.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import av
import cv2
import numpy as np
from av.video.frame import PictureType

TIME_BASE = Fraction(1, 90000)  # the usual video clock; capture times are converted to it
PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow")


class H264Encoder:
    """libx264 in a standalone codec context: BGR frame in (converted to I420 here), packets out at once."""

    def __init__(self, width: int, height: int, *, fps: float, crf: int = 26, preset: str = "veryfast",
                 keyframe_s: float = 1.0, threads: int = 0) -> None:
        ctx = av.CodecContext.create("libx264", "w")
        ctx.width, ctx.height, ctx.pix_fmt = width, height, "yuv420p"
        ctx.time_base = TIME_BASE
        ctx.framerate = Fraction(fps).limit_denominator(1001)
        ctx.gop_size = max(1, round(keyframe_s * fps))  # a backstop: keyframes are also forced by time
        ctx.max_b_frames = 0
        ctx.thread_count = threads  # 0: x264 decides
        ctx.options = {"crf": str(crf), "preset": preset, "tune": "zerolatency"}
        ctx.open()
        self._ctx: Any = ctx
        self.width, self.height = width, height

    def encode(self, bgr: np.ndarray, pts: int, keyframe: bool) -> list[tuple[bytes, int, bool]]:
        """Encode one frame at ``pts`` (TIME_BASE); returns (data, pts, is_keyframe) per packet out."""
        frame = av.VideoFrame.from_ndarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420), format="yuv420p")
        frame.pts = pts
        frame.time_base = TIME_BASE
        if keyframe:
            frame.pict_type = PictureType.I  # libx264 makes a forced I frame an IDR (closed GOP)
        return [(bytes(p), int(p.pts), bool(p.is_keyframe)) for p in self._ctx.encode(frame)]

    def close(self) -> None:
        """Free the codec (its threads end with it)."""
        self._ctx = None


def open_encoder(width: int, height: int, **options: Any) -> H264Encoder:
    """The recorder builds its encoders through this (a test can make it fail)."""
    return H264Encoder(width, height, **options)
