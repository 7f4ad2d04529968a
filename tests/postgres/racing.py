"""The racing process's side of `run_together` (conftest.py): say it is set up, then wait for the common start.

The processes run `python -c CODE` from the repository's root, so their code imports this as `tests.postgres.racing`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any


def ready_then_wait(spec: dict[str, Any], timeout: float = 60.0) -> None:
    """Touch the spec's `ready` file, then wait (polling every millisecond) until its `go` file exists."""
    Path(spec["ready"]).touch()
    deadline = time.monotonic() + timeout
    while not Path(spec["go"]).exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"no start signal within {timeout:.0f} s")
        time.sleep(0.001)
