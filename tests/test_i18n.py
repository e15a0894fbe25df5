"""Translations: the Korean catalog holds every message of the sources, translated, with
the same placeholders, and the committed ``.mo`` is that ``.po`` compiled; the language
follows --lang or the locale; JSON stays English whatever the language."""

from __future__ import annotations

import gettext
import io
import json
import re
import string
import unicodedata
from pathlib import Path

import pytest

from correlate import i18n

from .helpers import SAMPLES

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "correlate" / "locale"
PO = LOCALE / "ko" / "LC_MESSAGES" / "bsrcorr.po"
MO = PO.with_suffix(".mo")

babel = pytest.importorskip("babel", reason="./setup.sh --test installs Babel")
from babel.messages import extract as bextract  # noqa: E402
from babel.messages.mofile import write_mo  # noqa: E402
from babel.messages.pofile import read_po  # noqa: E402

# As README's `pybabel extract` (Translations): label() and a story's say() translate
# their text argument.
KEYWORDS = {"_": None, "N_": None, "Msg": None, "ngettext": (1, 2), "label": None, "say": (2,)}


def source_ids() -> set[str]:
    """Every message the code marks for translation (as README's `pybabel extract`)."""
    found = set()
    for path in sorted((ROOT / "correlate").rglob("*.py")):
        with open(path, "rb") as fh:
            for _, msg, _, _ in bextract.extract("python", fh, keywords=KEYWORDS):
                found.add(msg if isinstance(msg, str) else msg[0])
    return found


def catalog():
    with open(PO, "rb") as fh:
        return read_po(fh, locale="ko")


def fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_every_message_of_the_sources_is_in_the_korean_catalog():
    cat = catalog()
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in cat if m.id}
    wanted = source_ids()
    assert wanted - ids == set(), "run pybabel extract + update (README, Translations)"
    assert ids - wanted == set(), "stale messages: run pybabel update"


def test_no_message_hides_where_extraction_cannot_see_it():
    """pybabel does not look inside f-strings (Python 3.11): a ``_("...")`` there would
    stay English under --lang ko while the test above passed. Each literal ``_()`` call
    anywhere in the sources must be a message of the catalog."""
    cat = catalog()
    ids = {m.id for m in cat if isinstance(m.id, str) and m.id}
    call = re.compile(r"""(?<![\w.])_\((?P<q>["'])((?:(?!(?P=q)).)+)(?P=q)\)""")
    missing = []
    for path in sorted((ROOT / "correlate").rglob("*.py")):
        for m in call.finditer(path.read_text(encoding="utf-8")):
            if re.search("[A-Za-z]", m.group(2)) and m.group(2) not in ids:  # not "..."
                missing.append(f"{path.name}: {m.group(2)!r}")
    assert missing == []


def test_every_message_is_translated_with_the_same_placeholders():
    for m in catalog():
        if not m.id:
            continue
        assert not m.fuzzy, m.id
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        for s in strings:
            assert s, f"untranslated: {m.id!r}"
            assert fields(s) == fields(ids[0]), (m.id, s)
            # Korean text, not a copy of the English; a lone protocol word (2PC, netlink)
            # or a message of punctuation and placeholders only may stay as it is
            words = re.sub(r"\{\w*\}", "", ids[0]).strip()
            assert re.search("[\uac00-\ud7a3]", s) or not re.search(r"[a-z]+ [a-z]+", words), m.id


def compiled(cat) -> gettext.GNUTranslations:
    buf = io.BytesIO()
    write_mo(buf, cat)
    return gettext.GNUTranslations(io.BytesIO(buf.getvalue()))


def committed() -> gettext.GNUTranslations:
    with open(MO, "rb") as fh:
        return gettext.GNUTranslations(fh)


def messages(t: gettext.GNUTranslations) -> dict:
    """Every message and its translation; the header (msgid "") left out."""
    return {k: v for k, v in t._catalog.items() if k != ""}


def test_the_committed_mo_is_the_po_compiled():
    """The messages are compared, not the bytes: the header's ``Generated-By`` and dates
    change with Babel's version (2.18 -> 2.19 turned this red with no change of ours). What
    gettext reads from the header at run time, the charset and the plural rule, is
    compared by what it does."""
    fresh, mo = compiled(catalog()), committed()
    assert len(messages(mo)) > 500
    assert messages(fresh) == messages(mo)
    assert mo.charset() == fresh.charset() == "utf-8"
    assert [mo.plural(n) for n in range(30)] == [fresh.plural(n) for n in range(30)]


def test_a_stale_mo_is_caught():
    """One translation changed in the .po and not compiled: the comparison above fails."""
    cat = catalog()
    msg = next(m for m in cat if m.id and isinstance(m.id, str))
    msg.string += "!"
    assert messages(compiled(cat)) != messages(committed())


@pytest.mark.parametrize(
    ("env", "lang"),
    [
        ({"LANG": "ko_KR.UTF-8"}, "ko"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LC_ALL": "ko_KR.UTF-8", "LANG": "en_US.UTF-8"}, "ko"),
        ({"LC_ALL": "C", "LANG": "ko_KR.UTF-8"}, "en"),
        ({"LC_MESSAGES": "ko_KR", "LANG": "C"}, "ko"),
        ({}, "en"),
    ],
)
def test_default_language_follows_the_locale(env, lang):
    assert i18n.default_language(env) == lang


def test_korean_summary_and_english_json(tmp_path, bsrcorr):
    run = bsrcorr(SAMPLES / "node0", SAMPLES / "node1", "--lang", "ko", "--diagrams", "none")
    assert run.exit_code == 0, run.stderr
    assert "시계" in run.stdout and "기준 시계" in run.stdout  # labels and clock line
    doc = json.loads((run.out / "summary.json").read_text(encoding="utf-8"))
    text = json.dumps(doc, ensure_ascii=False)
    assert not re.search("[\uac00-\ud7a3]", text), "summary.json must stay English"
    english = bsrcorr(
        SAMPLES / "node0", SAMPLES / "node1", "--diagrams", "none", out=tmp_path / "en"
    )
    assert (english.out / "summary.json").read_text() == (run.out / "summary.json").read_text()
    i18n.use("en")


def test_help_in_the_readers_language(monkeypatch):
    """--help is bsrcorr's own words too: Korean under --lang ko (given before --help) or
    a ko locale, English otherwise; option names and choices stay as typed."""
    from click.testing import CliRunner

    from correlate.cli import main
    from correlate.render.bundle import CRASH_FILE

    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    english = CliRunner().invoke(main, ["--help"], prog_name="bsrcorr").output
    assert english.startswith("Usage: bsrcorr [OPTIONS] SRC...")
    assert "Options:" in english and "Output directory for the bundle." in english
    assert not re.search("[\uac00-\ud7a3]", english)
    # the --debug help names the file a crash is written to (a literal in the catalog)
    assert f"OUT/{CRASH_FILE}" in " ".join(english.split())
    korean = CliRunner().invoke(main, ["--lang", "ko", "--help"], prog_name="bsrcorr").output
    assert korean.startswith("사용법: bsrcorr [OPTIONS] SRC...")
    assert "옵션:" in korean and "결과 묶음을 쓸 디렉터리." in korean
    assert "--diagrams [auto|all|overview|none]" in korean
    assert "Output directory" not in korean

    # Laid out by terminal columns (Hangul takes two), as wide as the English help.
    def columns(line: str) -> int:
        return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)

    assert max(map(columns, korean.splitlines())) <= max(map(len, english.splitlines())) <= 80
    monkeypatch.setenv("LANG", "ko_KR.UTF-8")
    assert CliRunner().invoke(main, ["--help"], prog_name="bsrcorr").output == korean
