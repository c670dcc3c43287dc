"""Fill empty Korean msgstr entries of locale/ko/LC_MESSAGES/django.po from locale/ko/glossary*.tsv.

Workflow: `make messages` (makemessages), add missing lines to the glossary (English<TAB>Korean), run this
script, then `manage.py compilemessages -l ko`. Entries already translated in the .po are kept.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "ko" / "LC_MESSAGES" / "django.po"
GLOSSARIES = sorted((ROOT / "locale" / "ko").glob("glossary*.tsv"))


def main() -> int:
    glossary: dict[str, str] = {}
    for path in GLOSSARIES:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                english, _, korean = line.partition("\t")
                glossary[english] = korean
    catalog = polib.pofile(str(PO))
    missing = []
    for entry in catalog:
        if entry.obsolete:
            continue
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
            entry.msgstr = ""  # makemessages' guess from a similar string: wrong more often than not
            if entry.msgid_plural:
                entry.msgstr_plural = {0: ""}
        if entry.msgid_plural:
            if not entry.msgstr_plural.get(0) and entry.msgid in glossary:
                entry.msgstr_plural = {0: glossary[entry.msgid]}
            if not entry.msgstr_plural.get(0):
                missing.append(entry.msgid)
            continue
        if not entry.msgstr and entry.msgid in glossary:
            entry.msgstr = glossary[entry.msgid]
        if not entry.msgstr:
            missing.append(entry.msgid)
    catalog.metadata["Language"] = "ko"
    catalog.metadata["Plural-Forms"] = "nplurals=1; plural=0;"
    catalog.metadata["Content-Type"] = "text/plain; charset=UTF-8"
    catalog.save(str(PO))
    for msgid in missing:
        sys.stderr.write(f"untranslated: {msgid!r}\n")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
