"""The Path tab: a lesson's guided path, its steps with done marks, the current step
highlighted and the highlighted step in full below (drawn by `workbench.drawing.guided_path`, as
`workbench path` prints it). `enter` performs a step, `n`/`p` move to the next/previous,
PageUp/PageDown scroll the step's text; what performing means (run, ask, open the notes)
is the screen's, told by `Perform`. The hint above the steps names the keys that work
where the focus is (`show_hint`), so it never promises a key that does something else."""

from __future__ import annotations

from typing import Sequence

from rich.cells import cell_len
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Label, ListItem, ListView, Static

from workbench.course import guide
from workbench.course.guide import StepState
from workbench.drawing import guided_path
from workbench.i18n.catalogue import tr
from workbench.i18n.language import DEFAULT as EN

# Where the focus is, for the hint: the steps, the step's text, the lesson list, elsewhere.
FOCUS_PLACES = ("steps", "detail", "lessons", "elsewhere")


def hanging(line: Text, title: str) -> Table:
    """`✓ 3 experiment  ` then the title, which wraps under itself, not under the mark."""
    head = line[:len(line) - len(title)] if title and line.plain.endswith(title) else line
    rest = line[len(head):]
    grid = Table.grid(expand=True)
    grid.add_column(width=cell_len(head.plain), no_wrap=True)
    grid.add_column(ratio=1, overflow="fold")
    grid.add_row(head, rest)
    return grid


class StepItem(ListItem):
    def __init__(self, state: StepState, lang: str, current: bool) -> None:
        super().__init__()
        self.state = state
        self.lang, self.current = lang, current

    @property
    def line(self) -> Text:
        return guided_path.step_line(self.state, self.lang, current=self.current)

    def _renderable(self) -> Table:
        return hanging(self.line, guide.title_of(self.state.step, self.lang))

    def compose(self) -> ComposeResult:
        yield Label(self._renderable(), classes="path-step")

    def show(self, state: StepState, lang: str, current: bool) -> None:
        self.state, self.lang, self.current = state, lang, current
        if self.is_mounted:
            self.query_one(Label).update(self._renderable())


class StepList(ListView):
    """The steps; PageUp/PageDown scroll the highlighted step's text below, so its claims
    are read without leaving the step (every step fits: the list itself never scrolls)."""

    BINDINGS = [Binding("pagedown", "detail('page_down')", tr(EN, "Scroll the step's text"),
                        show=False),
                Binding("pageup", "detail('page_up')", tr(EN, "Scroll the step's text"), show=False)]

    def action_detail(self, how: str) -> None:
        scroll = self.parent.query_one(".path-detail-scroll", VerticalScroll)
        getattr(scroll, f"action_{how}")()


class PathView(Vertical):
    BINDINGS = [Binding("n", "move(1)", tr(EN, "Next step"), show=False),
                Binding("p", "move(-1)", tr(EN, "Previous step"), show=False)]

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
        self.focus_place = "lessons"  # where the focus is, for the hint
        self._shown: int | None = None  # the step whose text is below

    def compose(self) -> ComposeResult:
        yield Static("", classes="path-summary")
        yield StepList(classes="path-steps")
        # Focusable (tab reaches it): a long step's claims are read with the arrows too.
        with VerticalScroll(classes="path-detail-scroll"):
            yield Static("", classes="path-detail")

    @property
    def steps_list(self) -> ListView:
        return self.query_one(".path-steps", ListView)

    @property
    def detail_scroll(self) -> VerticalScroll:
        return self.query_one(".path-detail-scroll", VerticalScroll)

    def show(self, lesson_id: str, states: Sequence[StepState], lang: str,
             compared: dict[int, list], keep: int | None = None) -> None:
        """Draw the path; the highlight stays on step `keep`, else goes to the current step."""
        if lesson_id != self.lesson_id:
            self._shown = None
        self.states, self.lang, self.compared = list(states), lang, compared
        self.lesson_id = lesson_id
        now = guide.current(self.states)
        self.show_hint()
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

    def show_hint(self, place: str | None = None) -> None:
        """The line above the steps: progress, then the keys that work where the focus is."""
        self.focus_place = place or self.focus_place
        done, total, lang = sum(s.done for s in self.states), len(self.states), self.lang
        keys = {
            "steps": tr(lang, "[b]enter[/b] does the step · [b]n[/b]/[b]p[/b] next/previous · "
                              "[b]pgdn[/b]/[b]pgup[/b] its text"),
            "detail": tr(lang, "[b]↑[/b]/[b]↓[/b] scroll the step's text · [b]n[/b]/[b]p[/b] "
                               "next/previous step · [b]shift+tab[/b] back to the steps"),
            "lessons": tr(lang, "[b]enter[/b] goes into the path · [b]↑[/b]/[b]↓[/b] another "
                                "lesson · [b]n[/b] the notes"),
            "elsewhere": tr(lang, "[b]p[/b] goes into the path · [b]l[/b] the lesson list"),
        }[self.focus_place]
        head = tr(lang, "{done}/{total} steps done", done=done, total=total)
        self.query_one(".path-summary", Static).update(f"[b]{head}[/b] · {keys}")

    @property
    def hint(self) -> str:
        """The hint as shown, in plain text (for tests and screen readers)."""
        return str(self.query_one(".path-summary", Static).render())

    def _detail(self, state: StepState | None) -> None:
        detail = self.query_one(".path-detail", Static)
        if state is None:
            detail.update(tr(self.lang, "This lesson has no guided path."))
            return
        detail.update(guided_path.step_detail(state, self.lang, self.lesson_id,
                                             compared=self.compared.get(state.n, ())))
        if state.n != self._shown:  # another step opens at its top; the same one stays put
            self._shown = state.n
            self.detail_scroll.scroll_home(animate=False, immediate=True)

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
