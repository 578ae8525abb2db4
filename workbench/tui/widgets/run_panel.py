"""The Run tab: a run's progress, curves and log while it goes, then its results.

It only draws: the screen starts and cancels runs, the worker posts `RunEvent`s and one
`RunEnded` here. The metrics table (the CLI's, from `workbench.views`) is filled from
`Metric` events as they come and then replaced by the `Result`'s own metrics, which are
what the CLI prints and the model keeps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Collapsible, Label, ProgressBar, RichLog, Static

from workbench import events, views
from workbench.formatting import app_wording, epoch_line, metric_rows, numbers
from workbench.tui.messages import RunEnded, RunEvent
from workbench.tui.widgets.curves import ChartView, Curves
from workbench.tui.widgets.picture_view import PictureView

if TYPE_CHECKING:
    from workbench.runner import Request

IDLE = "No run yet. Set the parameters, then press [b]ctrl+r[/b] or [b]Run[/b]."


def curve_box(title: str, plot) -> Vertical:
    """plotext draws on the widget's whole size, so the border goes on a box around it."""
    box = Vertical(plot, classes="curve-box")
    box.border_title = title
    return box


class RunPanel(VerticalScroll):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._metrics: dict[str, object] = {}
        self._highlights: tuple[tuple[str, str], ...] = ()
        self._lesson = None  # the lesson of the run shown
        self.outcome: str | None = None  # of the last run: done, cancelled or failed
        self.result = None  # the last finished run's Result

    def compose(self) -> ComposeResult:
        yield Static(IDLE, id="run-status")
        yield Static("", id="run-summary")  # results first: the lesson's key numbers
        with Horizontal(id="run-progress"):
            yield Label("", id="run-stage")
            yield ProgressBar(id="run-bar", show_eta=False)
            yield Label("", id="run-live")
        with Horizontal(id="run-curves"):
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
        self.query_one("#run-log").border_title = "Log"
        self.query_one("#run-metrics").border_title = "Metrics"
        self.set_class(True, "-idle")

    # -- a run begins -------------------------------------------------------------------
    def clear(self) -> None:
        """Back to "no run yet" (another lesson is shown; its saved models stay in Models)."""
        self.outcome = self.result = None
        self.set_class(False, "-done", "-cancelled", "-failed", "-running")
        self.set_class(True, "-idle")
        self._status(IDLE)

    def begin(self, ready: Request) -> None:
        self._highlights = ready.lesson.highlights
        self._lesson = ready.lesson
        self._metrics = {}
        self.outcome = self.result = None
        self.set_class(False, "-idle", "-done", "-cancelled", "-failed")
        self.set_class(True, "-running")
        self.set_class(not ready.lesson.trains, "-no-curves")
        self._status(f"Running [b]{ready.lesson.title}[/b] on {ready.dataset}, seed {ready.seed}…  "
                     "([b]escape[/b] cancels at the next batch)")
        self.query_one("#run-stage", Label).update("starting")
        self.query_one("#run-live", Label).update("loading TensorFlow and data")
        self.query_one("#run-bar", ProgressBar).update(total=None, progress=0)
        more = self.query_one("#run-more-curves")
        more.remove_children()
        more.mount_all(curve_box(plot.title, Curves(lambda key, keys=plot.keys: key in keys,
                                                     log_y=plot.log_y))
                       for plot in ready.lesson.more_curves)
        more.display = bool(ready.lesson.more_curves)
        for curves in self.query("#run-curves Curves").results(Curves):
            curves.clear()
            curves.parent.display = True
        self.query_one("#run-charts").remove_children()
        self.query_one("#run-metric-groups").remove_children()
        self.query_one("#run-log", RichLog).clear()
        self.query_one("#run-metrics", Static).update("")
        self.query_one("#run-summary", Static).update("")
        self.query_one("#run-model", Static).update("")
        self.query_one("#run-pictures").remove_children()
        self.scroll_home(animate=False)

    def _status(self, markup: str) -> None:
        self.query_one("#run-status", Static).update(markup)

    # -- while it runs ------------------------------------------------------------------
    def on_run_event(self, message: RunEvent) -> None:
        message.stop()
        event = message.event
        log = self.query_one("#run-log", RichLog)
        if isinstance(event, events.Stage):
            self.query_one("#run-stage", Label).update(event.name)
            self.query_one("#run-live", Label).update("")
            self.query_one("#run-bar", ProgressBar).update(total=event.total, progress=0)
            log.write(Text(f"── {event.name}", style="bold"))
        elif isinstance(event, events.Progress):
            self.query_one("#run-bar", ProgressBar).update(total=event.total, progress=event.done)
            self.query_one("#run-live", Label).update(numbers(event.info))
        elif isinstance(event, events.Log):
            log.write(app_wording(event.in_language(self.app.lang)))
        elif isinstance(event, events.EpochEnd):
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
            log.write(f"saved {event.kind}: {event.path}")

    def _show_metrics(self, metrics: dict, final: bool = False) -> None:
        """While the run goes, every metric in one table as it comes; at the end the
        single numbers there and each nested metric in a collapsed group of its own."""
        if not final:
            self.query_one("#run-metrics", Static).update(views.metrics_table(metrics))
            return
        single, groups = views.metric_groups(metrics)
        self.query_one("#run-metrics", Static).update(views.metrics_table(single))
        holder = self.query_one("#run-metric-groups")
        holder.remove_children()
        holder.mount_all(
            Collapsible(Static(views.metrics_table(values), classes="metric-group"),
                        title=f"{name} ({sum(1 for _ in metric_rows(values))} values)",
                        collapsed=True)
            for name, values in groups.items())

    # -- it ended -----------------------------------------------------------------------
    def on_run_ended(self, message: RunEnded) -> None:
        # Not stopped: the screen hears it too and re-enables its Run button.
        self.outcome, self.result = message.outcome, message.result
        self.set_class(False, "-running")
        self.set_class(True, f"-{message.outcome}")
        live = self.query_one("#run-live", Label)
        live.update("")
        bar = self.query_one("#run-bar", ProgressBar)
        # A bar with no total animates for ever: give it one, full when done, else still.
        bar.update(total=bar.total or 1, progress=(bar.total or 1) if message.outcome == "done"
                   else bar.progress)
        if message.outcome != "done":
            self.query_one("#run-stage", Label).update(message.outcome)
        if message.outcome == "done":
            result = message.result
            self._show_metrics(result.metrics, final=True)
            summary = views.highlights_view(self._highlights, result.metrics)
            if result.step is not None:  # a path experiment: what it claimed, on this run, first
                from rich.console import Group

                from workbench.path_views import claims_text

                summary = Group(*claims_text(self._lesson, result, self.app.lang), summary)
            self.query_one("#run-summary", Static).update(summary)
            self._status(f"[b]✓ done[/b] in {result.seconds:.1f} s on {result.device}")
            saved = (f"Saved model: [b]{result.model_path}[/b]  ([b]m[/b] opens the models)"
                     if result.model_path else "This run saves no model.")
            self.query_one("#run-model", Static).update(saved)
        elif message.outcome == "cancelled":
            self._status("[b]cancelled[/b]; nothing was saved")
            self.query_one("#run-log", RichLog).write("cancelled; nothing was saved")
        else:
            self.query_one("#run-status", Static).update(Text(message.error or "failed"))
            self.query_one("#run-log", RichLog).write(message.error or "failed")
