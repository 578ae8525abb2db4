"""The command palette (ctrl+p): every lesson, and what the app can do."""

from __future__ import annotations

from functools import partial
from typing import Callable, Iterator

from textual.command import DiscoveryHit, Hit, Hits, Provider

from workbench import registry


class WorkbenchCommands(Provider):
    def _commands(self) -> Iterator[tuple[str, str, Callable]]:
        app = self.app
        for lesson in registry.lessons():
            yield f"Lesson: {lesson.title}", lesson.summary, partial(app.open_lesson, lesson.id)
        yield "Run the lesson", "start a run with the form's values (r)", partial(app.lesson_action, "run")
        yield "Cancel the run", "stop at the next batch; nothing is saved (escape)", \
            partial(app.lesson_action, "cancel")
        yield "Guided path", "the lesson's steps: read, predict, run, compare (p)", \
            partial(app.lesson_action, "tab('tab-path')")
        yield "Anatomy", "per-layer shapes, parameters and MACs of the lesson's network", \
            partial(app.lesson_action, "tab('tab-anatomy')")
        yield "Models", "saved models: inspect and delete (m)", partial(app.switch_mode, "models")
        yield "Runs", "every run kept: mark runs to compare their curves (h)", \
            partial(app.switch_mode, "runs")
        yield "Generate text", "write text with a saved model (g)", app.action_open_generate
        yield "Language: 中文 / English", "notes and explanations in Chinese or English, " \
            "remembered (ctrl+l)", app.action_toggle_language
        yield "Toggle light/dark", "switch between the light and the dark theme (t)", app.action_toggle_theme

    async def discover(self) -> Hits:
        for title, help, callback in self._commands():
            yield DiscoveryHit(title, callback, help=help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help)
