"""A web process loads every view module and then freezes its start-up objects, so that the garbage collector's full
passes (which paused a request for 100 ms and more) walk only what requests create."""

from __future__ import annotations

import gc
import importlib
import sys

from motcua.core import heap


def test_settle_loads_the_views_and_keeps_the_collector_off_them():
    gc.unfreeze()
    survivor = {"lives": ["as long as the process"]}  # a container the collector tracks, alive at start-up
    try:
        frozen = heap.settle()
        assert frozen == gc.get_freeze_count() > 100_000  # Django, the URLconf and every API schema
        assert {"motcua.urls", "motcua.dossiers.api", "motcua.portal.dossier_views"} <= set(sys.modules)
        gc.collect()
        # A full collection neither walks nor moves the frozen objects: the survivor is in no generation it scans.
        # (The frozen count itself may drop by a few: a frozen object that another thread releases is freed.)
        assert not any(item is survivor for generation in range(3) for item in gc.get_objects(generation))
        assert gc.get_freeze_count() > 100_000
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
