"""The command palette (ctrl+p): every lesson, and what the app can do."""

from __future__ import annotations

from functools import partial
from typing import Callable, Iterator

from textual.command import DiscoveryHit, Hit, Hits, Provider

from workbench import registry
from workbench.i18n.catalogue import tr
from workbench.i18n.language import DEFAULT as EN


class WorkbenchCommands(Provider):
    def _commands(self) -> Iterator[tuple[str, str, Callable]]:
        app = self.app
        lang = app.lang
        for lesson in registry.lessons():
            yield (tr(lang, "Lesson: {title}", title=lesson.title_in(lang)), lesson.summary_in(lang),
                   partial(app.open_lesson, lesson.id))
        # English message ids (tr(EN, ...) marks them for the catalogue), shown in `lang` below
        actions = (
            (tr(EN, "Run the lesson"), tr(EN, "start a run with the form's values (r)"),
             partial(app.lesson_action, "run")),
            (tr(EN, "Cancel the run"), tr(EN, "stop at the next batch; nothing is saved (escape)"),
             partial(app.lesson_action, "cancel")),
            (tr(EN, "Guided path"), tr(EN, "the lesson's steps: read, predict, run, compare (p)"),
             partial(app.lesson_action, "tab('tab-path')")),
            (tr(EN, "Anatomy"), tr(EN, "per-layer shapes, parameters and MACs of the lesson's network"),
             partial(app.lesson_action, "tab('tab-anatomy')")),
            (tr(EN, "Models"), tr(EN, "saved models: inspect and delete (m)"),
             partial(app.switch_mode, "models")),
            (tr(EN, "Runs"), tr(EN, "every run kept: mark runs to compare their curves (h)"),
             partial(app.switch_mode, "runs")),
            (tr(EN, "Generate text"), tr(EN, "write text with a saved model (g)"), app.action_open_generate),
            (tr(EN, "Language: Chinese / English"),
             tr(EN, "notes and explanations in Chinese or English, remembered (ctrl+l)"),
             app.action_toggle_language),
            (tr(EN, "Toggle light/dark"), tr(EN, "switch between the light and the dark theme (t)"),
             app.action_toggle_theme),
        )
        for title, help, callback in actions:
            yield tr(lang, title), tr(lang, help), callback

    async def discover(self) -> Hits:
        for title, help, callback in self._commands():
            yield DiscoveryHit(title, callback, help=help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help)
