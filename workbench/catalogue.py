"""The words around the numbers, in the learner's language: gettext catalogues.

User-facing text is written in English in the source, as the message id, and looked up
in `workbench/locale/<lang>/LC_MESSAGES/workbench.po` for any other language, the way
gettext-based programs do: a translator edits the .po file (with any PO editor), not
Python. Placeholders are named (`{epoch}`), so a translation may reorder them.
tests/test_catalogue.py extracts every `tr(...)` message from the source with Babel and
checks that each has a translation and that the catalogue holds nothing stale.

The .po file is read with Babel when a language first needs it (about 20 ms), so there is
no compiled .mo file to keep in step with its source.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from workbench.language import DEFAULT, spaced

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "workbench"


def catalogue_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=None)
def translations(lang: str) -> dict[str, str]:
    """English message -> its translation, for one language ({} for English)."""
    if lang == DEFAULT or not catalogue_path(lang).exists():
        return {}
    from babel.messages.pofile import read_po

    with open(catalogue_path(lang), "rb") as po:
        catalogue = read_po(po, locale=lang)
    return {m.id: m.string for m in catalogue if m.id and m.string and not m.fuzzy}


def tr(lang: str, message: str, **fields) -> str:
    """`message` in `lang`, its `{placeholders}` filled from `fields`. An untranslated
    message stays English rather than failing; the catalogue test finds it."""
    text = translations(lang).get(message, message)
    if fields:
        text = text.format(**fields)
    return spaced(text) if lang == "zh" else text
