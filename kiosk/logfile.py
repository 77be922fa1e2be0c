"""Where ``kiosk run`` logs: stderr (journald under systemd) and a rotating file in ``Config.log_dir``.

Why both: journald is what a technician reads first (``journalctl -u parcel-kiosk``), but its size is shared
with the whole system and a support bundle needs the kiosk's own recent history as a file it can copy. The
file rotates (5 x 2 MB by default) so a chatty fault can never fill the disk that holds the database and clips.

A log directory that cannot be written (a read-only mount, wrong owner) is one warning on stderr and the kiosk
starts anyway: losing the file log must never keep a cabinet from handing out parcels. Under journald
(``$JOURNAL_STREAM`` set) stderr lines carry no timestamp; journald adds its own.

Passwords and PINs are never passed to a logger anywhere in the code (tests/security checks every record);
nothing here adds anything to what is logged, it only decides where the records go.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path

from .config import Config

FILE_NAME = "kiosk.log"
MAX_BYTES = 2 * 2**20
BACKUPS = 4  # kiosk.log + kiosk.log.1 … .4: five files of 2 MB
FILE_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
JOURNAL_FORMAT = "%(levelname)s %(name)s: %(message)s"


def setup(config: Config, level: int = logging.INFO, max_bytes: int = MAX_BYTES,
          backups: int = BACKUPS) -> list[logging.Handler]:
    """Attach the stderr and file handlers to the root logger; returns them for ``close``."""
    root = logging.getLogger()
    root.setLevel(level)
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setFormatter(logging.Formatter(JOURNAL_FORMAT if os.environ.get("JOURNAL_STREAM") else FILE_FORMAT))
    root.addHandler(stderr)
    handlers: list[logging.Handler] = [stderr]
    path = Path(config.log_dir) / FILE_NAME
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        file = logging.handlers.RotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups,
                                                    encoding="utf-8")
    except OSError as e:
        logging.getLogger(__name__).warning("no log file: cannot write %s (%s); logging to stderr only",
                                            path, e.strerror or e)
        return handlers
    file.setFormatter(logging.Formatter(FILE_FORMAT))
    root.addHandler(file)
    handlers.append(file)
    return handlers


def close(handlers: list[logging.Handler]) -> None:
    root = logging.getLogger()
    for h in handlers:
        root.removeHandler(h)
        h.close()
