"""Start-up of a long-running web process: load what every request needs, then keep the garbage collector off it.

A motcua process holds about 220,000 objects once Django, the URLconf, every view and API module and their schemas are
loaded. CPython's full (generation 2) collection walks all of them: about 120 ms on the machine the benchmarks run on,
during which the request being served waits. Those objects live as long as the process, so `settle` collects the
garbage of start-up once and then moves the survivors to the permanent generation (`gc.freeze`), which the collector no
longer scans; later collections walk only what requests create. Called at the end of `wsgi.py` and `asgi.py`.
"""

from __future__ import annotations

import gc


def settle() -> int:
    """Import every module the URLconf names (views, APIs and what they import), collect once and freeze what is left.
    Returns the number of objects frozen."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - the property imports the URLconf and, through it, every view module
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
