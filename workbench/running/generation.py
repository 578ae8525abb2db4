"""Writing text with a saved model, for `workbench generate` and the Generate screen.

The options are declared here once, as `Param`s, so the CLI's flags and the screen's
fields accept and refuse the same values with the same words. Which models can write is
the lessons' business: a lesson that declares a `generator` names the function that
turns one of its saved models into a sampler, and `open_sampler` finds it through the
model's metadata.
"""

from __future__ import annotations

import os
from typing import Any, Iterator, Mapping

from workbench import registry
from workbench.errors import BadInput
from workbench.i18n.catalogue import tr
from workbench.i18n.language import DEFAULT as EN
from workbench.params import SEED, Param, resolve
from workbench.results import store

# The help lines are English message ids (`tr(EN, ...)` marks them for the catalogue); the
# Generate screen shows them in the app's language.
OPTIONS = (
    Param("length", int, 500, tr(EN, "characters to generate"), low=0, high=100_000),
    Param("temperature", float, 0.8, tr(EN, "0 = always the likeliest character; higher = more "
                                            "adventurous"), low=0.0),
    Param("top_k", int, 0, tr(EN, "sample only among the k likeliest characters (0 = all)"), low=0),
    SEED,
)


def writing_lessons() -> tuple[str, ...]:
    """Ids of the lessons whose models write text."""
    return tuple(lesson.id for lesson in registry.lessons() if lesson.generator)


def can_write(info: store.ModelInfo) -> bool:
    # A lesson's variants are its other models (lstm-shapes.h5 maps digit sequences): only its
    # own model writes text, so only that one is offered on the Generate screen.
    return info.lesson in writing_lessons() and not info.metadata.get("variant")


def open_sampler(path: str | os.PathLike, *, mine_workspace: str | os.PathLike | None = None,
                 mine: bool = False):
    """The sampler of a saved model that writes text; BadInput for any other file. With
    `mine`, the sampler that the learner's exercise functions drive (once they pass)."""
    model, info = store.load_model(path, lessons=writing_lessons())
    lesson = registry.get(info.lesson)
    try:
        if not mine:
            return registry.load(lesson.generator)(model, info.metadata)
        from workbench.course import exercises

        functions = exercises.mine_functions(lesson.id, lesson.mine_generator_uses,
                                             exercises.workspace(mine_workspace))
        return registry.load(lesson.mine_generator)(model, info.metadata, functions)
    except BadInput as exc:
        raise BadInput(f"{str(info.path)!r}: {exc}") from None


def options(given: Mapping[str, Any]) -> dict[str, Any]:
    """`OPTIONS` with `given` (text or values) overlaid, each checked, or BadInput."""
    return resolve(OPTIONS, given, owner="generate")


def generate(sampler, prime: str, chosen: Mapping[str, Any]) -> Iterator[str]:
    """The generated text after `prime`, in chunks as it is sampled; `chosen` from `options`."""
    return sampler.generate(prime, chosen["length"], temperature=chosen["temperature"],
                            top_k=chosen["top_k"] or None, seed=chosen["seed"])
