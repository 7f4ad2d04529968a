"""Benchmark: complete electronic results per second: render (WeasyPrint), QR seal, leader's signature, unit's seal
(pyHanko), stored and registered, with ECDSA P-256 and with RSA-2048 keys, kept loaded.

    .venv/bin/python bench/sign.py [--results 40]

Runs in one process on a throwaway SQLite site (a temporary MOTCUA_DATA_DIR): migrate, `load_demo`, two TEST PKIs
(`pki_init`, then `pki_init --key-type rsa`), one 1.013133 dossier walked to the approval step. Then, per key type,
`--results` results issued one after another through the same code an approval runs (`results.services._issue`, each
in its own transaction), timed whole and by stage. Verification (two signatures checked) is timed too. The first
result of each key type is a warm-up (fonts, templates, keys) and is not counted. Target: >= 5 complete results/s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import Table, print_table  # noqa: E402

TARGET_PER_SECOND = 5.0


def setup_site(data_dir: str) -> None:
    os.environ.update(DJANGO_SETTINGS_MODULE="motcua.settings", MOTCUA_DATA_DIR=data_dir, MOTCUA_DEMO="1",
                      MOTCUA_PKI_DIR=str(Path(data_dir) / "pki-ec"), MOTCUA_LOG_LEVEL="WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_demo", quiet_accounts=True, stdout=open(os.devnull, "w"))  # noqa: SIM115


def ready_dossier() -> Any:
    """citizen.demo's 1.013133 dossier, accepted and appraised: waiting for the leader's approval."""
    from motcua.demo.samples import FIRST_REGISTRATION_FORM, MINIMAL_PDF
    from motcua.documents.services import store_generated
    from motcua.dossiers import actions, services
    from motcua.identity.models import User

    citizen = User.objects.get(username="citizen.demo")
    files = {code: str(store_generated(citizen, MINIMAL_PDF, f"{code}.pdf", "application/pdf").pk)
             for code in ("to_khai", "phieu_tu_khai_suc_khoe", "cccd")}
    dossier, _created = services.submit(citizen, services.Submission(
        procedure="1.013133", form=dict(FIRST_REGISTRATION_FORM),
        components=[{"code": code, "files": [file_id]} for code, file_id in files.items()]))
    dossier = actions.act(User.objects.get(username="onestop.demo"), dossier, "accept", {})
    return actions.act(User.objects.get(username="handler.demo"), dossier, "complete_step", {})


def timed(function: Callable[[], Any], count: int) -> tuple[list[float], Any]:
    times, last = [], None
    for _ in range(count):
        start = time.perf_counter()
        last = function()
        times.append(time.perf_counter() - start)
    return times, last


def run(key_type: str, pki_dir: Path, count: int, table: Table) -> None:
    from django.db import transaction
    from django.test import override_settings

    from motcua.core import clock
    from motcua.documents.services import open_file
    from motcua.dossiers.models import Dossier
    from motcua.identity.models import User
    from motcua.results import rendering, seal, services, signing
    from motcua.results.models import Result

    with override_settings(MOTCUA_PKI_DIR=pki_dir):
        signing.clear_caches()
        from django.core.management import call_command

        call_command("pki_init", key_type=key_type, stdout=open(os.devnull, "w"))  # noqa: SIM115
        dossier = ready_dossier()
        leader = User.objects.get(username="leader.demo")

        def issue() -> Result:
            with transaction.atomic():
                locked = Dossier.objects.select_for_update().select_related(
                    "version", "procedure", "current_unit", "applicant", "submitted_by").get(pk=dossier.pk)
                return services._issue(locked, leader, None, clock.now())

        issue()  # warm-up: fonts, templates, keys
        complete, result = timed(issue, count)

        locked = Dossier.objects.select_related("version", "procedure", "current_unit").get(pk=dossier.pk)
        content = services._content(locked, "BENCH-KQ1", leader, clock.now(), None)
        render_times, rendered = timed(lambda: rendering.render_result_pdf(content), count)
        claims = {"t": "r", "c": "BENCH-KQ1", "i": "x", "n": "x", "d": "2026-11-23", "h": "x"}
        seal_times, sealed = timed(lambda: seal.seal_pdf(rendered, claims, rendering.SEAL_BOX), count)
        unit = locked.current_unit
        sign_times, _ = timed(lambda: services._sign(sealed.pdf, "BENCH-KQ1", unit, leader), count)
        with open_file(result.file) as handle:
            signed = handle.read()
        verify_times, _ = timed(lambda: signing.validate_pdf(signed), max(5, count // 4))

    def ms(values: list[float]) -> str:
        p90 = sorted(values)[int(len(values) * 0.9) - 1]
        return f"{statistics.median(values) * 1000:.0f} ms (p90 {p90 * 1000:.0f})"

    per_second = len(complete) / sum(complete)
    label = {"ec": "ECDSA P-256", "rsa": "RSA-2048"}[key_type]
    table.add(f"{label}: complete results per second", f"{per_second:.1f}/s", f">= {TARGET_PER_SECOND:.0f}/s",
              per_second >= TARGET_PER_SECOND)
    table.add(f"{label}: one complete result", ms(complete))
    table.add(f"{label}:   render (WeasyPrint, PDF/A-3b)", ms(render_times))
    table.add(f"{label}:   QR seal (ES256 + incremental update)", ms(seal_times))
    table.add(f"{label}:   leader's signature + unit's seal", ms(sign_times))
    table.add(f"{label}: verify a result (2 signatures)", ms(verify_times))
    table.notes.append(f"{label}: {len(signed):,} bytes per signed result; {count} results after one warm-up.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", type=int, default=40, help="results per key type (after one warm-up)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="motcua-bench-sign-") as data_dir:
        setup_site(data_dir)
        table = Table(f"Electronic results: render + seal + sign + store, one process, {os.cpu_count()} cores")
        run("ec", Path(data_dir) / "pki-ec", args.results, table)
        run("rsa", Path(data_dir) / "pki-rsa", args.results, table)
        table.notes.append("One process signs one result at a time; web workers and db_worker processes add up.")
        print_table(table)


if __name__ == "__main__":
    main()
