"""Child process: a recorder writes a clip and the process is SIGKILLed mid-clip (no close, no sidecar).

argv: VIDEO_DIR FRAMES. Frames 0–59 are pre-roll; transaction T000007 (a deposit at box A03) starts at frame 60
and frames up to FRAMES-1 are fed and handled before the kill, so the file holds what its finished fragments
hold, as after a power cut.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.hardware.test_recorder import Rig  # noqa: E402

rig = Rig(Path(sys.argv[1]))
rig.frames(0, 60)
rig.rec.start_clip("T000007", "deposit", ["A03"])
rig.frames(60, int(sys.argv[2]))
os.kill(os.getpid(), signal.SIGKILL)
