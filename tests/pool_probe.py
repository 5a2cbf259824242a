"""Runs inside an extract pool worker for tests; imports nothing itself, so it cannot hide what the worker loaded."""

import sys


def loaded_packages() -> set[str]:
    """Top-level packages imported in this process so far."""
    return {name.split(".")[0] for name in sys.modules}
