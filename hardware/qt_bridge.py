"""How device threads talk to the GUI: through a public QObject that lives in the GUI thread.

Why: a device's blocking work runs on its own thread (a QThread worker, or a driver's own bus-master thread),
but whoever listens — screens, the simulator panel, tests — must run on the GUI thread, whatever they connect
(slots or plain lambdas; PySide6 runs a lambda in the *sender's* thread, so the sender must be a GUI-thread
object). So each device has a ``DeviceSignals`` face created on the GUI thread; device threads call
``post(name, *args)``, which crosses by a queued connection, and the face emits the public signal there.
Order is kept: posts from one thread arrive in the order they were made.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot


class DeviceSignals(QObject):
    """Base for a device's public face. Subclasses declare the public signals; device threads ``post``."""

    _posted = Signal(str, object)  # internal: any thread → this object's (GUI) thread

    def __init__(self) -> None:
        super().__init__()
        self._posted.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def post(self, name: str, *args: Any) -> None:
        """Emit public signal ``name`` on the GUI thread; callable from any thread."""
        if not hasattr(type(self), name):
            raise AttributeError(f"{type(self).__name__} has no signal {name}")
        self._posted.emit(name, args)

    @Slot(str, object)
    def _deliver(self, name: str, args: tuple) -> None:
        getattr(self, name).emit(*args)
