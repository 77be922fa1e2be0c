"""Core of the parcel-locker kiosk: pure Python, no Qt, no hardware (tests/test_import_contract.py enforces it)."""

__version__ = "0.1.0"
