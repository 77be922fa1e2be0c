"""Fuzz tests: hypothesis throws arbitrary and mutated input at every parser and every typed-in field.

Why one knob: CI runs these with a few hundred examples per target so the four files stay within ~30 s, and
``bench/fuzz.py`` runs the very same tests with ``FUZZ_EXAMPLES=100000``. No deadline: a slow example (a
database write, a scrypt) is not a failure here; a hang is caught by pytest-timeout.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

EXAMPLES = max(1, int(os.environ.get("FUZZ_EXAMPLES", "200")))


def fuzz(scale: float = 1.0) -> settings:
    """Settings for one fuzz target: ``EXAMPLES × scale`` inputs (at least 5), no deadline."""
    return settings(max_examples=max(5, int(EXAMPLES * scale)), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])
