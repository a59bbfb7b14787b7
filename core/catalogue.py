"""The portal's translation catalogue (locale/zh_Hans/LC_MESSAGES/django.po and its .mo).

The source strings are Chinese, so each of the portal's own messages is "translated" to
itself; the catalogue also holds Chinese for the few strings of Django's admin that
Django's zh_Hans catalogue lacks (core/admin_strings.py names them, so makemessages keeps
them), and, being first in LOCALE_PATHS, wins over Django's.

``python -m core.catalogue`` (``make messages``) runs makemessages with the options below,
gives every Chinese message without a msgstr its msgid, and writes the .mo. The .mo is
committed, so a fresh clone needs no gettext tools to run; writing it here in Python
(rather than compilemessages, which needs msgfmt) keeps it the same on every machine, and
lets the tests check it is fresh without msgfmt. makemessages itself needs xgettext.
"""

from __future__ import annotations

import ast
import re
import struct
import sys
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PO_PATH = BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")
# Tests, the benchmarks and the demo's seed hold no text a person reads from the catalogue.
MAKEMESSAGES_ARGS = [
    "makemessages",
    "--locale=zh_Hans",
    "--no-location",
    "--no-obsolete",
    "--ignore=tests/*",
    "--ignore=bench/*",
    "--ignore=var/*",
    "--ignore=scripts/*",
]
HEADER = {
    "# SOME DESCRIPTIVE TITLE.": "# 新时代文明实践中心门户的界面文字（源文字即简体中文）。",
    '"Language: \\n"': '"Language: zh_Hans\\n"',
    '"Project-Id-Version: PACKAGE VERSION\\n"': '"Project-Id-Version: practice-portal\\n"',
    '"Last-Translator: FULL NAME <EMAIL@ADDRESS>\\n"': '"Last-Translator: practice-portal\\n"',
    '"Language-Team: LANGUAGE <LL@li.org>\\n"': '"Language-Team: zh_Hans\\n"',
    '"PO-Revision-Date: YEAR-MO-DA HO:MI+ZONE\\n"': '"PO-Revision-Date: 2026-12-02 00:00+0800\\n"',
}
# Chinese characters and the full-width punctuation of Chinese text ("：", "（").
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


@dataclass
class Entry:
    msgid: str
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    msgctxt: str | None = None
    flags: set[str] = field(default_factory=set)


def _unquote(line: str) -> str:
    return ast.literal_eval(line)


def parse_po(text: str) -> list[Entry]:
    """The entries of a .po file (header included, as the entry with msgid "")."""
    entries: list[Entry] = []
    current: Entry | None = None
    key: tuple[str, int] | None = None
    flags: set[str] = set()

    def finish() -> None:
        nonlocal current
        if current is not None:
            entries.append(current)
        current = None

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#,"):
            finish()
            flags = {flag.strip() for flag in line[2:].split(",")}
            continue
        if line.startswith("#"):
            continue
        if line.startswith("msgctxt "):
            finish()
            current = Entry(msgid="", msgctxt=_unquote(line[8:]), flags=flags)
            flags = set()
            key = ("msgctxt", 0)
        elif line.startswith("msgid "):
            if current is None or current.msgstr:
                finish()
                current = Entry(msgid="", flags=flags)
                flags = set()
            current.msgid = _unquote(line[6:])
            key = ("msgid", 0)
        elif line.startswith("msgid_plural "):
            assert current is not None
            current.msgid_plural = _unquote(line[13:])
            key = ("msgid_plural", 0)
        elif line.startswith("msgstr["):
            assert current is not None
            index = int(line[7 : line.index("]")])
            current.msgstr[index] = _unquote(line[line.index("]") + 2 :])
            key = ("msgstr", index)
        elif line.startswith("msgstr "):
            assert current is not None
            current.msgstr[0] = _unquote(line[7:])
            key = ("msgstr", 0)
        elif line.startswith('"'):
            assert current is not None
            assert key is not None
            part = _unquote(line)
            name, index = key
            if name == "msgstr":
                current.msgstr[index] += part
            elif name == "msgid_plural":
                current.msgid_plural = (current.msgid_plural or "") + part
            elif name == "msgctxt":
                current.msgctxt = (current.msgctxt or "") + part
            else:
                current.msgid += part
    finish()
    return entries


def untranslated(entries: list[Entry]) -> list[str]:
    """Messages without a msgstr (a plural needs its one form, zh having one)."""
    return [e.msgid for e in entries if e.msgid and not all(e.msgstr.get(i) for i in (0,))]


def fuzzy(entries: list[Entry]) -> list[str]:
    return [e.msgid for e in entries if e.msgid and "fuzzy" in e.flags]


def mo_bytes(entries: list[Entry]) -> bytes:
    """The GNU .mo file of ``entries`` (fuzzy and untranslated ones left out, as msgfmt
    does), keys sorted, no hash table: what gettext and Django read."""
    catalog: dict[bytes, bytes] = {}
    for entry in entries:
        if "fuzzy" in entry.flags and entry.msgid:
            continue
        if entry.msgid and not entry.msgstr.get(0):
            continue
        key = entry.msgid
        if entry.msgid_plural is not None:
            key += "\0" + entry.msgid_plural
            value = "\0".join(entry.msgstr[i] for i in sorted(entry.msgstr))
        else:
            value = entry.msgstr.get(0, "")
        if entry.msgctxt is not None:
            key = entry.msgctxt + "\x04" + key
        catalog[key.encode()] = value.encode()
    keys = sorted(catalog)
    ids = b"".join(encoded + b"\0" for encoded in keys)
    strs = b"".join(catalog[encoded] + b"\0" for encoded in keys)
    count = len(keys)
    header_size = 7 * 4
    ids_start = header_size + 16 * count
    strs_start = ids_start + len(ids)
    key_table, value_table = [], []
    offset = 0
    for encoded in keys:
        key_table += [len(encoded), ids_start + offset]
        offset += len(encoded) + 1
    offset = 0
    for encoded in keys:
        value_table += [len(catalog[encoded]), strs_start + offset]
        offset += len(catalog[encoded]) + 1
    header = struct.pack("<7I", 0x950412DE, 0, count, header_size, header_size + 8 * count, 0, 0)
    tables = struct.pack(f"<{2 * count}I", *key_table) + struct.pack(f"<{2 * count}I", *value_table)
    return header + tables + ids + strs


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def fill_chinese(text: str) -> str:
    """Give each Chinese message without a msgstr its msgid (the form it is written in);
    English ones (Django's, overridden) stay empty until a translation is written."""
    # The header: not fuzzy (msgfmt and gettext would drop it, and its plural rule with it).
    text = text.replace('#, fuzzy\nmsgid ""\nmsgstr ""', 'msgid ""\nmsgstr ""', 1)
    for placeholder, value in HEADER.items():
        text = text.replace(placeholder, value, 1)
    from core.admin_strings import OVERRIDES

    result = []
    for block in text.split("\n\n"):
        entry = next(iter(parse_po(block)), None)
        if entry is None or not entry.msgid or entry.msgstr.get(0):
            result.append(block)
            continue
        if not CJK.search(entry.msgid) and entry.msgid not in OVERRIDES:
            result.append(block)
            continue
        kept = [
            line
            for line in block.splitlines()
            if not line.startswith(("msgstr", '"')) or _belongs_to_msgid(block, line)
        ]
        translation = OVERRIDES.get(entry.msgid, entry.msgid)
        if entry.msgid_plural is not None:
            kept.append(f"msgstr[0] {_quote(translation)}")
        else:
            kept.append(f"msgstr {_quote(translation)}")
        result.append("\n".join(kept))
    return "\n\n".join(result)


def _belongs_to_msgid(block: str, line: str) -> bool:
    """Whether continuation ``line`` of ``block`` comes before its first msgstr."""
    head = block.split("\nmsgstr", 1)[0]
    return line in head.splitlines()


def main() -> None:
    from django.core.management import call_command
    from django.core.management.commands import makemessages

    # A new message is new, not a fuzzy guess from an old one (fuzzy ones are not used).
    if "--no-fuzzy-matching" not in makemessages.Command.msgmerge_options:
        makemessages.Command.msgmerge_options = [
            *makemessages.Command.msgmerge_options,
            "--no-fuzzy-matching",
        ]
    call_command(*MAKEMESSAGES_ARGS)
    text = fill_chinese(PO_PATH.read_text(encoding="utf-8"))
    PO_PATH.write_text(text, encoding="utf-8")
    MO_PATH.write_bytes(mo_bytes(parse_po(text)))
    entries = parse_po(text)
    missing = untranslated(entries)
    print(f"{len(entries) - 1} messages, {len(missing)} untranslated", file=sys.stderr)
    for msgid in missing:
        print(f"  untranslated: {msgid!r}", file=sys.stderr)


if __name__ == "__main__":
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(BASE_DIR))
    django.setup()
    main()
