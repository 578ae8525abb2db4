"""The Path tab: a lesson's guided path, its steps with done marks, the current step
highlighted and the highlighted step in full below (drawn by `workbench.path_views`, as
`workbench path` prints it). `enter` performs a step, `n`/`p` move to the next/previous;
what performing means (run, ask, open the notes) is the screen's, told by `Perform`."""

from __future__ import annotations

from typing import Sequence

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Label, ListItem, ListView, Static

from workbench import guide, path_views
from workbench.guide import StepState
from workbench.language import pick


class StepItem(ListItem):
    def __init__(self, state: StepState, lang: str, current: bool) -> None:
        super().__init__()
        self.state = state
        self._line = path_views.step_line(state, lang, current=current)

    def compose(self) -> ComposeResult:
        yield Label(self._line, classes="path-step")

    def show(self, state: StepState, lang: str, current: bool) -> None:
        self.state = state
        self._line = path_views.step_line(state, lang, current=current)
        if self.is_mounted:
            self.query_one(Label).update(self._line)


class PathView(Vertical):
    BINDINGS = [Binding("n", "move(1)", "Next step", show=False),
                Binding("p", "move(-1)", "Previous step", show=False)]

    class Perform(Message):
        """The learner pressed enter on a step."""

        def __init__(self, state: StepState) -> None:
            super().__init__()
            self.state = state

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="path-view")
        self.states: list[StepState] = []
        self.compared: dict[int, list] = {}
        self.lang = "en"
        self.lesson_id = ""  # for the commands a step's text suggests

    def compose(self) -> ComposeResult:
        yield Static("", classes="path-summary")
        yield ListView(classes="path-steps")
        with VerticalScroll(classes="path-detail-scroll"):
            yield Static("", classes="path-detail")

    @property
    def steps_list(self) -> ListView:
        return self.query_one(".path-steps", ListView)

    def show(self, lesson_id: str, states: Sequence[StepState], lang: str,
             compared: dict[int, list], keep: int | None = None) -> None:
        """Draw the path; the highlight stays on step `keep`, else goes to the current step."""
        self.states, self.lang, self.compared = list(states), lang, compared
        self.lesson_id = lesson_id
        now = guide.current(self.states)
        done = sum(s.done for s in self.states)
        self.query_one(".path-summary", Static).update(pick(
            lang, f"[b]{done}/{len(self.states)}[/b] steps done · [b]enter[/b] does the step · "
                  f"[b]n[/b]/[b]p[/b] next/previous",
            f"已完成 [b]{done}/{len(self.states)}[/b] 步 · [b]enter[/b] 执行 · [b]n[/b]/[b]p[/b] 下一步/上一步"))
        steps = self.steps_list
        items = list(steps.query(StepItem))
        same = [item.state.step for item in items] == [s.step for s in self.states]
        if same:  # the same lesson again, with new marks: the items change in place
            for item, state in zip(items, self.states):
                item.show(state, lang, state.n == now)
        else:
            steps.clear()
            steps.extend(StepItem(s, lang, s.n == now) for s in self.states)
        target = keep if keep is not None else now
        steps.index = max(0, min(target, len(self.states)) - 1)
        self._detail(self.states[steps.index] if self.states else None)

    def _detail(self, state: StepState | None) -> None:
        detail = self.query_one(".path-detail", Static)
        if state is None:
            detail.update(pick(self.lang, "This lesson has no guided path.", "本课没有学习路径。"))
            return
        detail.update(path_views.step_detail(state, self.lang, self.lesson_id,
                                             compared=self.compared.get(state.n, ())))

    @property
    def highlighted(self) -> StepState | None:
        index = self.steps_list.index
        return self.states[index] if index is not None and index < len(self.states) else None

    @on(ListView.Highlighted, ".path-steps")
    def _highlighted(self, event: ListView.Highlighted) -> None:
        event.stop()
        self._detail(self.highlighted)

    @on(ListView.Selected, ".path-steps")
    def _selected(self, event: ListView.Selected) -> None:
        event.stop()
        if self.highlighted is not None:
            self.post_message(self.Perform(self.highlighted))

    def action_move(self, by: int) -> None:
        steps = self.steps_list
        if self.states:
            steps.index = max(0, min(len(self.states) - 1, (steps.index or 0) + by))
            steps.focus()

    def focus_steps(self) -> None:
        self.steps_list.focus()
