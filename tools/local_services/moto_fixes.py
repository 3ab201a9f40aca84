"""Fixes to moto that restore AWS behaviour the stack's modules depend on.

Each fix is one small function named after the AWS behaviour it restores, and is
covered by a test (``tests/functional/test_emulator_fixes.py``) against the module
that needed it. ``apply()`` installs them all; it is called by the launcher before
the server starts.
"""

from __future__ import annotations

FIXES = []


def fix(func):
    """Register a fix."""
    FIXES.append(func)
    return func


def apply(pending: dict[str, float] | None = None) -> list[str]:
    """Install every fix; return their names."""
    for func in FIXES:
        func(pending or {})
    return [func.__name__ for func in FIXES]
