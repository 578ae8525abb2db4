"""The Run tab: a run's progress, curves and log while it goes, then its results.

It only draws: the screen starts and cancels runs, the worker posts `RunEvent`s and one
`RunEnded` here. The metrics (the CLI's table, from `workbench.drawing.tables`, or the same names
and values one under the other where the table does not fit) are filled from `Metric`
events as they come and then replaced by the `Result`'s own metrics, which are what the
CLI prints and the model keeps.

The panel shows one lesson's run at a time: `clear` (another lesson is shown) empties
every part of it. Its words are in the app's language (`show_language` redraws them);
metric names, parameter names and numbers stay as they are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Collapsible, Label, ProgressBar, RichLog, Static

from workbench.cli.progress import EpochCount
from workbench.drawing import tables
from workbench.drawing.numbers import app_wording, epoch_line, metric_rows, numbers
from workbench.i18n.catalogue import tr
from workbench.running import events
from workbench.tui.messages import RunEnded, RunEvent
from workbench.tui.widgets.curves import ChartView, Curves
from workbench.tui.widgets.picture_view import PictureView

if TYPE_CHECKING:
    from workbench.running.runner import Request


def idle_text(lang: str) -> str:
    return tr(lang, "No run yet. Set the parameters, then press [b]ctrl+r[/b] or [b]Run[/b].")


IDLE = idle_text("en")


def curve_box(title: str, plot) -> Vertical:
    """plotext draws on the widget's whole size, so the border goes on a box around it."""
    box = Vertical(plot, classes="curve-box")
    box.border_title = title
    return box


def group_title(name: str, values: dict, lang: str) -> str:
    return tr(lang, "{name} ({count} values)", name=name, count=sum(1 for _ in metric_rows(values)))


def outcome_word(outcome: str, lang: str) -> str:
    return {"cancelled": tr(lang, "cancelled"), "failed": tr(lang, "failed")}.get(outcome, outcome)


def saved_line(path: str, models_dir, width: int, lang: str) -> str:
    """Where the run's model went, whole on one line where it fits; else the path on a
    line of its own, relative to the models folder when the whole one would not fit."""
    whole = tr(lang, "Saved model: [b]{path}[/b]  ([b]m[/b] opens the models)", path=path)
    if not width or cell_len(Text.from_markup(whole).plain) <= width:
        return whole
    heading = tr(lang, "Saved model ([b]m[/b] opens the models):")
    if cell_len(path) <= width:
        return f"{heading}\n[b]{path}[/b]"
    return heading + "\n" + tr(lang, "[b]{path}[/b] in the models folder",
                                path=tables.shown_path(path, models_dir))


def distribute_line(distribute: dict, lang: str) -> str:
    """What trained a distributed run (the result's "distribute"), in one line."""
    if distribute["workers"] == 1:  # MirroredStrategy: the devices of this process
        return tr(lang, "trained with {strategy}: {replicas} replicas",
                  strategy=distribute["strategy"], replicas=distribute["replicas"])
    return tr(lang, "trained with {strategy}: {workers} workers, {replicas} replicas",
              strategy=distribute["strategy"], workers=distribute["workers"],
              replicas=distribute["replicas"])


def artifact_line(event: events.Artifact, lang: str, models_dir) -> str:
    kind = {"model": tr(lang, "model"), "image": tr(lang, "image")}.get(event.kind, event.kind)
    return tr(lang, "saved {kind}: {path}", kind=kind, path=tables.shown_path(event.path, models_dir))


class Drawing(Vertical):
    """A text drawing of a run that trains no epochs (backprop's graph, kNN's folds): its
    first line as a heading, the rest unwrapped, scrolling sideways where it is wider."""

    DEFAULT_CLASSES = "drawing-box"

    def __init__(self, event: events.Log, lang: str) -> None:
        super().__init__()
        self.event = event
        self._heading = Static(classes="chart-title")
        self._body = Static(classes="drawing")
        self.show_language(lang)

    def compose(self) -> ComposeResult:
        yield self._heading
        yield self._body

    @staticmethod
    def parts(event: events.Log, lang: str) -> tuple[str, str]:
        heading, _, body = app_wording(event.in_language(lang)).partition("\n")
        return heading.rstrip(":：").strip(), body

    def show_language(self, lang: str) -> None:
        heading, body = self.parts(self.event, lang)
        self._heading.update(Text(heading))
        self._body.update(Text(body, no_wrap=True, overflow="ignore"))


class RunPanel(VerticalScroll):
    DEFAULT_CSS = """
    RunPanel {
        height: 100%;
        scrollbar-size-vertical: 1;
    }
    #run-status {
        height: auto;
        padding: 1 1 0 1;
    }
    RunPanel.-done #run-status {
        color: $text-success;
    }
    RunPanel.-cancelled #run-status {
        color: $text-warning;
    }
    RunPanel.-failed #run-status {
        color: $text-error;
        text-style: bold;
    }
    #run-progress {
        height: 1;
        margin: 1 1 0 1;
    }
    /* A finished or new lesson's tab holds nothing of another run: every part is hidden. */
    RunPanel.-idle #run-progress, RunPanel.-idle #run-curves, RunPanel.-idle #run-log,
    RunPanel.-idle #run-metrics, RunPanel.-idle #run-live, RunPanel.-idle #run-drawings,
    RunPanel.-idle #run-metric-groups, RunPanel.-idle #run-model, RunPanel.-idle #run-pictures {
        display: none;
    }
    #run-stage {
        width: auto;
        max-width: 24;
        text-style: bold;
        padding: 0 2 0 0;
    }
    #run-bar {
        width: 1fr;
    }
    #run-bar Bar {
        width: 1fr;
        min-width: 8;
    }
    #run-count {
        width: auto;
        padding: 0 0 0 1;
    }
    #run-live {
        height: auto;
        padding: 0 1;
        color: $text-muted;
    }
    #run-summary {
        height: auto;
        margin: 1 0 0 0;
    }
    RunPanel.-idle #run-summary {
        display: none;
    }
    #run-drawings {
        height: auto;
    }
    #run-curves {
        height: 45vh;  /* grows with the terminal: at 48 rows, room for three lines apart */
        min-height: 12;
        margin: 1 0 0 0;
    }
    #run-more-curves {
        height: 30vh;  /* smaller than loss and accuracy: the supporting cast */
        min-height: 10;
        margin: 1 0 0 0;
    }
    #run-charts {
        height: auto;
    }
    RunPanel.-idle #run-more-curves, RunPanel.-idle #run-charts {
        display: none;
    }
    #run-metric-groups {
        height: auto;
    }
    #run-metric-groups Collapsible {
        padding: 0;
        border-top: none;
    }
    #run-log {
        height: 10;
        margin: 1 0 0 0;
        border: round $primary 40%;
        border-title-color: $primary;
        background: $surface;
        scrollbar-size-vertical: 1;
        overflow-x: hidden;  /* lines wrap; a horizontal bar would only hide the last one */
    }
    #run-metrics {
        height: auto;
        margin: 1 0 0 0;
        border: round $secondary 40%;
        border-title-color: $secondary;
    }
    #run-log:focus {
        border: round $accent;
    }
    #run-model {
        height: auto;
        margin: 1 0 0 0;
    }
    #run-pictures {
        height: auto;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._metrics: dict[str, object] = {}
        self._lesson = None  # the lesson of the run shown
        self._count = EpochCount()
        self._epochs_seen = False
        # The status line for a language: redrawn when the app's language changes.
        self._status_of: Callable[[str], str | Text] = idle_text
        self.outcome: str | None = None  # of the last run: done, cancelled or failed
        self.result = None  # the last finished run's Result
        self.error: str | None = None

    @property
    def lang(self) -> str:
        return getattr(self.app, "lang", "en")

    @property
    def models_dir(self):
        from workbench.results import store

        return store.models_dir(getattr(self.app, "models_dir", None))

    def compose(self) -> ComposeResult:
        yield Static(idle_text(self.lang), id="run-status")
        yield Static("", id="run-summary")  # results first: the lesson's key numbers
        with Horizontal(id="run-progress"):
            yield Label("", id="run-stage")
            yield ProgressBar(id="run-bar", show_eta=False)
            yield Label("", id="run-count")  # epoch 2/5, or 2/3 of another stage
        yield Static("", id="run-live")  # the live numbers, under the bar: loss 0.41 ...
        # A run that trains no epochs draws in text (a graph, a table of folds): each
        # drawing in a box of its own, where the curves would be.
        yield Vertical(id="run-drawings")
        with Horizontal(id="run-curves"):  # shown from the first epoch on
            # The totals only: parts of the loss (a reg term) sit on another scale.
            yield curve_box("loss", Curves(lambda key: key in ("loss", "val_loss"), id="curve-loss"))
            yield curve_box("accuracy", Curves(lambda key: key.endswith("accuracy"),
                                                id="curve-accuracy"))
        # Quantities on scales of their own (an L2 term, a gradient norm): the lesson's
        # `more_curves`, one small plot each, made when a run of that lesson begins.
        yield Horizontal(id="run-more-curves")
        yield Vertical(id="run-charts")  # the lesson's `Chart`s, once measured
        yield RichLog(id="run-log", wrap=True, max_lines=5000, markup=False, min_width=20)
        yield Static("", id="run-metrics")
        yield Vertical(id="run-metric-groups")  # nested metrics, one collapsed group each
        yield Static("", id="run-model")
        yield Vertical(id="run-pictures")

    def on_mount(self) -> None:
        self._titles()
        self.query_one("#run-curves").display = False
        self.query_one("#run-more-curves").display = False
        self.set_class(True, "-idle")

    def _titles(self) -> None:
        self.query_one("#run-log").border_title = tr(self.lang, "Log")
        self.query_one("#run-metrics").border_title = tr(self.lang, "Metrics")

    # -- a run begins -------------------------------------------------------------------
    def clear(self) -> None:
        """Back to "no run yet": another lesson is shown, and nothing of this run stays
        (its saved models stay in Models)."""
        self.outcome = self.result = self.error = None
        self._lesson = None
        self._empty()
        self.set_class(False, "-done", "-cancelled", "-failed", "-running")
        self.set_class(True, "-idle")
        self._status(idle_text)

    def _empty(self) -> None:
        self._metrics = {}
        self._epochs_seen = False
        self._staged = False  # a run that reports no stage (backprop's graph) shows no bar
        self.query_one("#run-progress").display = True
        for selector in ("#run-stage", "#run-count"):
            self.query_one(selector, Label).update("")
        self._live("")
        self.query_one("#run-bar", ProgressBar).update(total=None, progress=0)
        for holder in ("#run-drawings", "#run-more-curves", "#run-charts", "#run-metric-groups",
                       "#run-pictures"):
            self.query_one(holder).remove_children()
        for curves in self.query("#run-curves Curves").results(Curves):
            curves.clear()
            curves.parent.display = True
        self.query_one("#run-curves").display = False
        self.query_one("#run-more-curves").display = False
        self.query_one("#run-log", RichLog).clear()
        for static in ("#run-metrics", "#run-summary", "#run-model"):
            self.query_one(static, Static).update("")
        self.scroll_home(animate=False)

    def begin(self, ready: Request) -> None:
        lesson = ready.lesson
        self._empty()
        self._lesson = lesson
        self._count = EpochCount()
        self.outcome = self.result = self.error = None
        self.set_class(False, "-idle", "-done", "-cancelled", "-failed")
        self.set_class(True, "-running")
        self._status(lambda lang: tr(
            lang, "Running [b]{title}[/b] on {dataset}, seed {seed}…  "
                  "([b]escape[/b] cancels at the next batch)",
            title=lesson.title_in(lang), dataset=ready.dataset, seed=ready.seed))
        self.query_one("#run-stage", Label).update(tr(self.lang, "starting"))
        self._live(tr(self.lang, "loading TensorFlow and data"))
        more = self.query_one("#run-more-curves")
        more.mount_all(curve_box(plot.title, Curves(lambda key, keys=plot.keys: key in keys,
                                                    log_y=plot.log_y))
                       for plot in lesson.more_curves)

    def _live(self, text: str) -> None:
        live = self.query_one("#run-live", Static)
        live.update(text)
        live.display = bool(text)  # no blank line under the bar

    def _status(self, status: Callable[[str], str | Text]) -> None:
        self._status_of = status
        self.query_one("#run-status", Static).update(status(self.lang))

    # -- while it runs ------------------------------------------------------------------
    def on_run_event(self, message: RunEvent) -> None:
        message.stop()
        event = message.event
        log = self.query_one("#run-log", RichLog)
        if isinstance(event, events.Stage):
            self._staged = True
            self._count.stage(event.total, event.epochs)
            self.query_one("#run-stage", Label).update(event.name)
            self._live("")
            self.query_one("#run-bar", ProgressBar).update(total=event.total, progress=0)
            self._show_count()
            log.write(Text(f"── {event.name}", style="bold"))
        elif isinstance(event, events.Progress):
            self._count.progress(event.done, event.total)
            self.query_one("#run-bar", ProgressBar).update(total=event.total, progress=event.done)
            self._live(numbers(event.info))
            self._show_count()
        elif isinstance(event, events.Log):
            if "\n" in event.text and not self._epochs_seen:
                self.query_one("#run-drawings").mount(Drawing(event, self.lang))
                log.write(f"↑ {Drawing.parts(event, self.lang)[0]}")
            else:
                log.write(app_wording(event.in_language(self.lang)))
        elif isinstance(event, events.EpochEnd):
            self._count.epoch_end(event.epoch)
            self._show_count()
            if not self._epochs_seen:
                self._epochs_seen = True
                self.query_one("#run-curves").display = True
                self.query_one("#run-more-curves").display = bool(self._lesson and
                                                                  self._lesson.more_curves)
            log.write(epoch_line(event.epoch, event.logs, event.series))
            for curves in self.query(Curves):
                curves.add_epoch(event)
                # A curve the lesson never logs (the LSTM has no accuracy) gives way.
                curves.parent.display = bool(curves.series)
        elif isinstance(event, events.Metric):
            self._metrics[event.name] = event.value
            self._show_metrics(self._metrics)
        elif isinstance(event, events.Picture):
            self.query_one("#run-pictures").mount(PictureView(event))
        elif isinstance(event, events.Chart):
            # A chart's title says what is measured, often at length: it wraps above the
            # plot instead of being cut in the border.
            box = Vertical(Static(event.title, classes="chart-title"), ChartView(event),
                           classes="curve-box")
            self.query_one("#run-charts").mount(box)
        elif isinstance(event, events.Artifact):
            log.write(artifact_line(event, self.lang, self.models_dir))

    def _show_count(self) -> None:
        self.query_one("#run-count", Label).update(self._count.text(self.lang))

    def _show_metrics(self, metrics: dict, final: bool = False) -> None:
        """While the run goes, every metric in one list as it comes; at the end the
        single numbers there and each nested metric in a collapsed group of its own."""
        if not final:
            self.query_one("#run-metrics", Static).update(tables.metrics_list(metrics))
            return
        single, groups = tables.metric_groups(metrics)
        self.query_one("#run-metrics", Static).update(tables.metrics_list(single))
        holder = self.query_one("#run-metric-groups")
        holder.remove_children()
        holder.mount_all(
            Collapsible(Static(tables.metrics_list(values), classes="metric-group"),
                        title=group_title(name, values, self.lang), collapsed=True, name=name)
            for name, values in groups.items())

    # -- it ended -----------------------------------------------------------------------
    def on_run_ended(self, message: RunEnded) -> None:
        # Not stopped: the screen hears it too and re-enables its Run button.
        self.outcome, self.result, self.error = message.outcome, message.result, message.error
        self.set_class(False, "-running")
        self.set_class(True, f"-{message.outcome}")
        self._live("")
        bar = self.query_one("#run-bar", ProgressBar)
        # A bar with no total animates for ever: give it one, full when done, else still.
        bar.update(total=bar.total or 1, progress=(bar.total or 1) if message.outcome == "done"
                   else bar.progress)
        if message.outcome == "done" and not self._staged:
            self.query_one("#run-progress").display = False
        if message.outcome != "done":
            self.query_one("#run-stage", Label).update(outcome_word(message.outcome, self.lang))
        if message.outcome == "done":
            result = message.result
            self._show_metrics(result.metrics, final=True)
            self._status(lambda lang: tr(lang, "[b]✓ done[/b] in {seconds} s on {device}",
                                         seconds=format(result.seconds, ".1f"), device=result.device))
            if result.distribute:
                self.query_one("#run-log", RichLog).write(distribute_line(result.distribute, self.lang))
        elif message.outcome == "cancelled":
            self._status(lambda lang: tr(lang, "[b]cancelled[/b]; nothing was saved"))
            self.query_one("#run-log", RichLog).write(tr(self.lang, "cancelled; nothing was saved"))
        else:
            self._status(lambda lang: Text(message.error or tr(lang, "failed")))
            self.query_one("#run-log", RichLog).write(message.error or tr(self.lang, "failed"))
        self._results()

    def _results(self) -> None:
        """The key results and the saved-model line of a finished run, in the app's language."""
        result, lang = self.result, self.lang
        if self.outcome != "done" or result is None or self._lesson is None:
            return
        summary = tables.highlights_view(self._lesson.highlights, result.metrics, lang)
        if result.step is not None:  # a path experiment: what it claimed, on this run, first
            from rich.console import Group

            from workbench.drawing.guided_path import claims_text

            summary = Group(*claims_text(self._lesson, result, lang), summary)
        self.query_one("#run-summary", Static).update(summary)
        self._saved()

    def _saved(self) -> None:
        result = self.result
        if self.outcome != "done" or result is None:
            return
        model = self.query_one("#run-model", Static)
        model.update(saved_line(result.model_path, self.models_dir, model.content_size.width, self.lang)
                     if result.model_path else tr(self.lang, "This run saves no model."))

    def on_resize(self) -> None:
        self.call_after_refresh(self._saved)  # the model's path, whole where it now fits

    # -- the app's language changed -----------------------------------------------------------
    def show_language(self) -> None:
        """Every word of the tab again, in the app's language (the numbers stay)."""
        lang = self.lang
        self._titles()
        self.query_one("#run-status", Static).update(self._status_of(lang))
        for drawing in self.query(Drawing):
            drawing.show_language(lang)
        for group in self.query("#run-metric-groups Collapsible").results(Collapsible):
            if self.result is not None and group.name in self.result.metrics:
                group.title = group_title(group.name, self.result.metrics[group.name], lang)
        if self.outcome in ("cancelled", "failed"):
            self.query_one("#run-stage", Label).update(outcome_word(self.outcome, lang))
        self._show_count()
        self._results()
