"""The words around the numbers, in the learner's language: gettext catalogues.

User-facing text is written in English in the source, as the message id, and looked up
in a package's `locale/<lang>/LC_MESSAGES/<domain>.po` for any other language, the way
gettext-based programs do: a translator edits the .po file (with any PO editor), not
Python. Placeholders are named (`{epoch}`), so a translation may reorder them.

The engine's own words live in `workbench/i18n/locale/<lang>/LC_MESSAGES/workbench.po`;
each lesson keeps its words (its path, claims, log lines, explanations) in its own
package, `<package>/locale/<lang>/LC_MESSAGES/messages.po`, so a lesson pack carries its
translations with it. `workbench.conformance` checks that every message a lesson shows
has a translation and that its catalogue holds nothing stale; tests/test_catalogue.py
does the same for the engine.

A .po file is read with Babel when a language first needs it, so there is no compiled
.mo file to keep in step with its source; what it holds is kept parsed between launches
(`workbench.i18n.catalogue_cache`), so the Chinese app does not parse nine at start-up.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

from workbench.i18n import catalogue_cache
from workbench.i18n.language import DEFAULT, LANGUAGES, spaced

LESSON_DOMAIN = "messages"  # Babel's default domain: `pybabel extract` writes messages.pot


class Catalogue:
    """One package's messages in every language: `texts(lang, "English {n}", n=3)`."""

    def __init__(self, directory: Path | None, domain: str = LESSON_DOMAIN):
        self.directory = directory  # the package's locale/ folder; None: English only
        self.domain = domain

    def path(self, lang: str) -> Path | None:
        if self.directory is None:
            return None
        return self.directory / lang / "LC_MESSAGES" / f"{self.domain}.po"

    def translations(self, lang: str) -> dict[str, str]:
        """English message -> its translation, for one language ({} for English)."""
        path = self.path(lang)
        if lang == DEFAULT or path is None:
            return {}
        return _read(path, lang)

    def __call__(self, lang: str, message: str, **fields) -> str:
        """`message` in `lang`, its `{placeholders}` filled from `fields`. An untranslated
        message stays English rather than failing; the catalogue tests find it."""
        text = self.translations(lang).get(message, message) if message else message
        if fields:
            text = text.format(**fields)
        return spaced(text) if lang == "zh" else text

    def everywhere(self, message: str, **fields) -> dict[str, str]:
        """The message in every language the workbench speaks (a run's log line, which the
        front end shows in whichever the learner reads)."""
        return {lang: self(lang, message, **fields) for lang in LANGUAGES}


@lru_cache(maxsize=None)
def _read(path: Path, lang: str) -> dict[str, str]:
    if not path.exists():
        return {}
    return catalogue_cache.messages(path, lambda po: _parse(po, lang))


def _parse(path: Path, lang: str) -> dict[str, str]:
    from babel.messages.pofile import read_po

    with open(path, "rb") as po:
        catalogue = read_po(po, locale=lang)
    return {m.id: m.string for m in catalogue if m.id and m.string and not m.fuzzy}


@lru_cache(maxsize=None)
def of_package(module: str) -> Catalogue:
    """The catalogue a package keeps beside its code (a lesson's, a lesson pack's); given
    a module that is not a package, its package's."""
    spec = importlib.util.find_spec(module)
    if spec is not None and not spec.submodule_search_locations and "." in module:
        spec = importlib.util.find_spec(module.rpartition(".")[0])
    if spec is None or not spec.submodule_search_locations:
        return Catalogue(None)
    return Catalogue(Path(list(spec.submodule_search_locations)[0]) / "locale")


ENGINE = Catalogue(Path(__file__).parent / "locale", "workbench")


def tr(lang: str, message: str, **fields) -> str:
    """One of the engine's own messages in `lang` (the app's chrome, the CLI's words)."""
    return ENGINE(lang, message, **fields)
