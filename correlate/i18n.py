"""Translation: the language bsrcorr writes for people in, with gettext catalogs.

Everything bsrcorr itself writes for a person (the terminal summary, warnings and
errors, event explanations, finding messages, episode titles and stories, UUID rule
meanings, diagram labels, the report) goes through this module; log text never does,
and neither do JSON keys and values (an interface for scripts: English).

* ``_("text")`` translates now, in the active language; ``N_("text")`` only marks a
  string for extraction (tables of words translated where they are shown).
* :class:`Msg` keeps a message as its English template and values: ``str(msg)`` is the
  English sentence (for ``summary.json``), ``msg.text()`` the sentence in the active
  language (values that are :class:`Msg` themselves are translated too). Analysis
  stages build ``Msg``; renderers choose.

Catalogs: ``correlate/locale/<lang>/LC_MESSAGES/bsrcorr.po``, compiled to ``.mo`` with
Babel (``pybabel``; see README, "Translations") and committed; a test holds the catalog
to the sources (every message translated, none stale, the ``.mo`` compiled from the
``.po``). The default language follows the locale: ``LC_ALL``, ``LC_MESSAGES`` or ``LANG``
starting with ``ko`` gives Korean, anything else English.
"""

from __future__ import annotations

import gettext
import os
from pathlib import Path
from typing import Any

DOMAIN = "bsrcorr"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("en", "ko")

_active: gettext.NullTranslations = gettext.NullTranslations()
_lang = "en"


def default_language(environ: dict[str, str] | None = None) -> str:
    """The language the locale asks for: Korean for ``ko*``, else English (the first
    of ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` that is set decides, as POSIX says)."""
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name)
        if value:
            return "ko" if value.lower().startswith("ko") else "en"
    return "en"


def use(lang: str) -> None:
    """Make ``lang`` (``en`` or ``ko``) the active language."""
    global _active, _lang
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}")
    _lang = lang
    if lang == "en":
        _active = gettext.NullTranslations()
    else:
        _active = gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang])


def language() -> str:
    return _lang


def _(message: str) -> str:
    """``message`` in the active language."""
    return _active.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _active.ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks ``message`` for the catalog without translating it here."""
    return message


class Msg:
    """A message for a person, kept as its English template and its values."""

    __slots__ = ("params", "template")

    def __init__(self, template: str, /, **params: Any) -> None:
        self.template = template
        self.params = params

    def __str__(self) -> str:
        return self.template.format(**{k: str(v) for k, v in self.params.items()})

    def text(self) -> str:
        """The message in the active language."""
        values = {k: text(v) for k, v in self.params.items()}
        return _(self.template).format(**values)

    def __repr__(self) -> str:
        return f"Msg({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (Msg, Join)):
            return str(self) == str(other)
        return isinstance(other, str) and str(self) == other

    def __hash__(self) -> int:
        return hash(str(self))

    def __contains__(self, part: str) -> bool:
        return part in str(self)


class Join:
    """A list of messages shown joined by ``sep``, each in the active language."""

    __slots__ = ("items", "sep")

    def __init__(self, sep: str, items: list[Any]) -> None:
        self.sep = sep
        self.items = list(items)

    def __str__(self) -> str:
        return self.sep.join(str(x) for x in self.items)

    def text(self) -> str:
        return self.sep.join(text(x) for x in self.items)

    def __repr__(self) -> str:
        return f"Join({str(self)!r})"

    # As Msg: equal to its English, so a test (or a caller) compares with plain text.
    def __eq__(self, other: object) -> bool:
        if isinstance(other, (Msg, Join, str)):
            return str(self) == str(other)
        return False

    def __hash__(self) -> int:
        return hash(str(self))

    def __contains__(self, part: str) -> bool:
        return part in str(self)


def text(value: Any) -> str:
    """A :class:`Msg` in the active language; anything else as it is."""
    return value.text() if isinstance(value, (Msg, Join)) else str(value)


# What a person reads where a peer's name is not in any line (never "None" or "?").
UNNAMED_PEER = N_("an unnamed peer")
UNKNOWN_NODE = N_("an unknown node")
