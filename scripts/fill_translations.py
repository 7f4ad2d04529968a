"""Fill the Vietnamese catalog from JSON files of {"English msgid": "Vietnamese"} (what parallel branches hand over
instead of editing the .po file):

    python scripts/fill_translations.py motcua/locale/vi/LC_MESSAGES/django.po F.json...

Only empty or fuzzy entries are filled; prints what is still untranslated."""

from __future__ import annotations

import json
import sys

import polib


def main(po_path: str, *sources: str) -> int:
    known: dict[str, str] = {}
    for source in sources:
        with open(source, encoding="utf-8") as handle:
            known.update(json.load(handle))
    po = polib.pofile(po_path)
    filled = 0
    for entry in po:
        if entry.obsolete or (entry.msgstr and "fuzzy" not in entry.flags):
            continue
        if entry.msgid in known:
            entry.msgstr = known[entry.msgid]
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
            filled += 1
    po.save(po_path)
    missing = [e.msgid for e in po if not e.obsolete and e.msgid and not e.msgid_plural
               and (not e.msgstr or "fuzzy" in e.flags)]
    print(f"filled {filled}; untranslated {len(missing)}")
    for msgid in missing:
        print(f"  {msgid!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], *sys.argv[2:]))
