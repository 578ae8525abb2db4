"""Training overhead: the same `model.fit`, bare vs as a workbench run drives it.

What differs between the two sides is only what the workbench adds to a lesson's fit:
the callbacks from `RunContext.callbacks` (progress and epoch events, cancellation,
divergence checks) and the CLI's ConsoleView consuming their events. Everything else is
shared: the linear lesson's model (its steps take about a millisecond, so overhead shows
instead of hiding behind the arithmetic), the digits data, the tf.data pipelines from
`ctx.batches`, epochs and batch size. The view writes to a throwaway stream that claims
to be a terminal, so it draws its progress bar as it would for a learner: the worst case.
"""

from __future__ import annotations

import io
import statistics
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.common import Row, median_seconds_paired


class _FakeTerminal(io.StringIO):
    """Rich draws the live progress bar only on a terminal; nobody reads this one."""

    def isatty(self) -> bool:
        return True


def measure(quick: bool) -> list[Row]:
    from workbench.running.quiet import import_tensorflow

    import_tensorflow()
    import keras

    from lessons.linear import LESSON
    from lessons.linear.losses import LOSSES
    from lessons.linear.model import build_linear
    from lessons.common import make_optimizer
    from workbench.running.context import RunContext
    from workbench.cli.progress import ConsoleView

    p = LESSON.settings()
    view = ConsoleView(stream=_FakeTerminal())
    ctx = RunContext(dataset="digits", seed=0, emit=view, cancel=threading.Event())
    # The same, writing TensorBoard logs as every run does by default: each fit gets a
    # folder and file writers of its own, as each run does.
    logs = tempfile.TemporaryDirectory(prefix="workbench-bench-tensorboard-")
    ctx_logged = RunContext(dataset="digits", seed=0, emit=view, cancel=threading.Event(),
                            tensorboard_dir=Path(logs.name))
    data = ctx.images
    model = build_linear(data.image_shape, data.num_classes, data.x_train.mean(axis=0), p.reg)
    model.compile(optimizer=make_optimizer(p.optimizer, p.learning_rate), loss=LOSSES[p.loss](),
                  metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")])
    train = ctx.batches(data.x_train, data.y_train, p.batch_size, shuffle=True)
    val = ctx.batches(data.x_val, data.y_val, p.batch_size)
    # Full: the lesson's own 50 epochs in one fit. Quick: 10, so one progress bar is
    # started and stopped per 10 epochs instead of per 50 (a slightly harsher test).
    epochs = 10 if quick else p.epochs

    def bare():
        model.fit(train, validation_data=val, epochs=epochs, verbose=0)

    def ours():
        model.fit(train, validation_data=val, epochs=epochs, verbose=0, callbacks=ctx.callbacks())
        view.close()  # as the CLI does when a run ends: the bar's thread must not outlive it

    def ours_logged():
        model.fit(train, validation_data=val, epochs=epochs, verbose=0,
                  callbacks=ctx_logged.callbacks())
        view.close()
        # As the runner does before it saves: the logs' writing thread finishes here, on
        # this side's clock, not during the next bare fit.
        ctx_logged.finish_logs()

    # Process CPU time beside the wall time: on a machine shared with other work, wall
    # time swings by more than the 5% at stake, while CPU time counts only this process.
    cpu = {ours: [], bare: [], ours_logged: []}

    def with_cpu(fn):
        def timed():
            started = time.process_time()
            fn()
            cpu[fn].append(time.process_time() - started)
        return timed

    # One model for both sides: Keras traces its train step once, on the warm-up fits.
    ours_s, bare_s = median_seconds_paired(with_cpu(ours), with_cpu(bare), repeats=15 if quick else 21,
                                           warmup=1)
    ours_cpu, bare_cpu = (statistics.median(cpu[fn][1:]) for fn in (ours, bare))  # not the warm-up
    bare_cpu_before = len(cpu[bare])
    logged_s, bare_again_s = median_seconds_paired(with_cpu(ours_logged), with_cpu(bare),
                                                   repeats=15 if quick else 21, warmup=1)
    logged_cpu = statistics.median(cpu[ours_logged][1:])
    bare_again_cpu = statistics.median(cpu[bare][bare_cpu_before + 1:])
    logs.cleanup()
    steps = -(-len(data.x_train) // p.batch_size)
    what = f"linear lesson on digits, {epochs} epochs x {steps} steps + validation"
    return [Row(f"training overhead ({what}; overhead {_percent(ours_s, bare_s)} wall, "
                f"{_percent(ours_cpu, bare_cpu)} CPU)", ours_s, "s per fit",
                "fit + workbench callbacks + progress bar",
                alternative=bare_s, alternative_label="bare model.fit, verbose=0",
                higher_is_better=False, budget=0.95),
            Row(f"training overhead with TensorBoard logs ({what}; overhead "
                f"{_percent(logged_s, bare_again_s)} wall, {_percent(logged_cpu, bare_again_cpu)} CPU)",
                logged_s, "s per fit", "the same + TensorBoard scalars per epoch",
                alternative=bare_again_s, alternative_label="bare model.fit, verbose=0",
                higher_is_better=False, budget=0.97)]


def _percent(ours: float, bare: float) -> str:
    return f"{100 * (ours / bare - 1):+.1f}%"
