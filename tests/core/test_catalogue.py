"""The translation catalogue (locale/zh_Hans): complete, fresh, and the one Django reads.

- every message has a msgstr and none is fuzzy: read in Python from the .po (so it holds on
  a machine without gettext), and by ``msgfmt --statistics`` where msgfmt is installed;
- the committed .mo is the .po compiled (core.catalogue writes it in Python);
- makemessages over a copy of the sources finds no message the catalogue lacks or keeps
  (this needs xgettext: skipped without it, failed under CI=true);
- Django's admin strings its own zh_Hans catalogue lacks read in Chinese.
"""

from __future__ import annotations

import gettext
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import translation

from core.catalogue import BASE_DIR, MO_PATH, PO_PATH, fuzzy, mo_bytes, parse_po, untranslated

COPIED = [
    "config",
    "core",
    "accounts",
    "practice",
    "volunteers",
    "orders",
    "points",
    "demo",
    "templates",
    "locale",
    "manage.py",
]


def _needs(tool: str) -> None:
    if shutil.which(tool) is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{tool} (Debian gettext) is missing; CI must check the catalogue")
        pytest.skip(f"{tool} (Debian gettext) is not installed")


def _messages(entries) -> dict[tuple[str | None, str], dict[int, str]]:
    return {(e.msgctxt, e.msgid): e.msgstr for e in entries if e.msgid}


def test_every_message_has_a_translation_and_none_is_fuzzy():
    entries = parse_po(PO_PATH.read_text(encoding="utf-8"))
    assert len(entries) > 500
    assert untranslated(entries) == []
    assert fuzzy(entries) == []


def test_msgfmt_reports_only_translated_messages():
    _needs("msgfmt")
    result = subprocess.run(
        ["msgfmt", "--statistics", "--check", "-o", os.devnull, str(PO_PATH)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "LC_ALL": "C"},
    )
    count = len([e for e in parse_po(PO_PATH.read_text(encoding="utf-8")) if e.msgid])
    assert result.stderr.strip().endswith(f"{count} translated messages.")
    assert "fuzzy" not in result.stderr
    assert "untranslated" not in result.stderr


def test_the_committed_mo_is_the_po_compiled():
    committed = gettext.GNUTranslations(io.BytesIO(MO_PATH.read_bytes()))
    fresh = gettext.GNUTranslations(
        io.BytesIO(mo_bytes(parse_po(PO_PATH.read_text(encoding="utf-8"))))
    )
    assert committed._catalog == fresh._catalog


def test_makemessages_finds_nothing_the_catalogue_lacks(tmp_path):
    _needs("xgettext")
    _needs("msgmerge")
    copy = tmp_path / "portal"
    for name in COPIED:
        source = BASE_DIR / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, copy / name)
    # when: the catalogue made again from the sources, as `make messages` does
    subprocess.run(
        [sys.executable, "-m", "core.catalogue"],
        cwd=copy,
        check=True,
        capture_output=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "PYTHONPATH": str(copy)},
    )
    # then: the same messages with the same translations (the header's date aside)
    made = parse_po((copy / PO_PATH.relative_to(BASE_DIR)).read_text(encoding="utf-8"))
    committed = parse_po(PO_PATH.read_text(encoding="utf-8"))
    made_messages, committed_messages = _messages(made), _messages(committed)
    assert sorted(set(made_messages) - set(committed_messages)) == [], "run `make messages`"
    assert sorted(set(committed_messages) - set(made_messages)) == [], "run `make messages`"
    assert made_messages == committed_messages


@pytest.mark.parametrize(
    ("english", "chinese"),
    [("Model name", "模型名称"), ("Add link", "添加链接"), ("access attempts", "登录尝试")],
)
def test_the_portals_catalogue_gives_the_strings_django_lacks(english, chinese):
    with translation.override("zh-hans"):
        assert translation.gettext(english) == chinese


def test_the_catalogue_is_where_django_looks():
    from django.conf import settings

    assert Path(settings.LOCALE_PATHS[0]) == PO_PATH.parent.parent.parent
