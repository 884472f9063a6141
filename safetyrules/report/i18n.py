"""Chinese and English output: labels, headings, common messages and the
names of decision values, from a gettext message catalogue.

The catalogue's source is ``locale/<lang>/LC_MESSAGES/safetyrules.po``; the
compiled ``.mo`` beside it ships in the package and is what runs (stdlib
``gettext``, no dependency).  ``compile_catalogues()`` rebuilds the ``.mo``
files with Babel (a test checks they are up to date).  English is the source
language: its messages are the msgids themselves.

Any output module (text, Markdown, HTML, the supervision checklist) asks
``translator(lang)`` for a :class:`Translator`::

    t = translator("zh")
    t("Findings")                 # '隐患'
    t.value("level", "red")       # '红'
    t.title({"zh": "…", "en": "…"})   # the title in the chosen language, else the other
"""

from __future__ import annotations

import functools
import gettext
import os
from typing import Any, Mapping, Optional

__all__ = ["LANGS", "Translator", "translator", "compile_catalogues", "LOCALE_DIR", "DOMAIN"]

LANGS = ("en", "zh")
DOMAIN = "safetyrules"
LOCALE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "locale")


class Translator:
    """Messages, values and titles in one language (``lang``: ``en``/``zh``,
    or None for the legacy bilingual text where a title shows both)."""

    def __init__(self, lang: Optional[str], catalogue: gettext.NullTranslations) -> None:
        self.lang = lang
        self._cat = catalogue

    def __call__(self, message: str) -> str:
        """``message`` (its English text) in this language."""
        return self._cat.gettext(message)

    gettext = __call__

    def value(self, context: str, value: Any) -> str:
        """A decision value (``level``/``tier``/``inspection``/``severity``/
        ``sector``/``bool``) as a word of this language; unknown for None."""
        if value is None:
            return self("unknown")
        if value is True or value is False:
            return self("yes" if value else "no")
        text = str(value)
        return self._cat.pgettext(context, text)

    def title(self, title: Optional[Mapping[str, str]]) -> str:
        """A ``{zh, en}`` title in this language, falling back to the other;
        with ``lang`` None, both ("en / zh")."""
        if not title:
            return ""
        en, zh = title.get("en"), title.get("zh")
        if self.lang is None:
            if en and zh:
                return f"{en} / {zh}"
            return en or zh or ""
        first, second = (zh, en) if self.lang == "zh" else (en, zh)
        return first or second or next(iter(title.values()), "")


@functools.lru_cache(maxsize=None)
def translator(lang: Optional[str] = None) -> Translator:
    """The :class:`Translator` of ``lang`` (``"en"``, ``"zh"``; None: English
    messages with bilingual titles, the output of earlier versions).
    Raises ``ValueError`` for another language."""
    if lang is not None and lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGS)}")
    if lang in (None, "en"):
        cat: gettext.NullTranslations = gettext.NullTranslations()
    else:
        cat = gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[lang])
    return Translator(lang, cat)


def compile_catalogues(locale_dir: str = LOCALE_DIR, out_dir: Optional[str] = None) -> list:
    """Compile every ``.po`` under ``locale_dir`` to ``.mo`` (needs Babel);
    returns the paths written.  ``out_dir`` mirrors the tree elsewhere."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for lang in sorted(os.listdir(locale_dir)):
        po = os.path.join(locale_dir, lang, "LC_MESSAGES", DOMAIN + ".po")
        if not os.path.exists(po):
            continue
        with open(po, "rb") as fh:
            catalog = read_po(fh, locale=lang)
        target_dir = os.path.join(out_dir or locale_dir, lang, "LC_MESSAGES")
        os.makedirs(target_dir, exist_ok=True)
        mo = os.path.join(target_dir, DOMAIN + ".mo")
        with open(mo, "wb") as fh:
            write_mo(fh, catalog, use_fuzzy=False)
        written.append(mo)
    return written
