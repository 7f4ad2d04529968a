"""A web process loads every view module and then freezes its start-up objects, so that the garbage collector's full
passes (which paused a request for 100 ms and more) walk only what requests create."""

from __future__ import annotations

import gc
import importlib
import sys

from motcua.core import heap


def test_settle_loads_the_views_and_keeps_the_collector_off_them():
    gc.unfreeze()
    try:
        frozen = heap.settle()
        assert frozen == gc.get_freeze_count() > 100_000  # Django, the URLconf and every API schema
        assert {"motcua.urls", "motcua.dossiers.api", "motcua.portal.dossier_views"} <= set(sys.modules)
        gc.collect()
        assert gc.get_freeze_count() == frozen  # a full collection leaves the frozen objects where they are
    finally:
        gc.unfreeze()


def test_the_web_entry_points_settle_the_heap():
    for name in ("motcua.wsgi", "motcua.asgi"):
        gc.unfreeze()
        try:
            module = importlib.reload(importlib.import_module(name))
            assert module.application is not None
            assert gc.get_freeze_count() > 100_000, name
        finally:
            gc.unfreeze()
