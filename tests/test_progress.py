"""The CLI's ConsoleView: quick epochs are printed in batches, never lost or reordered."""

import io

from workbench.cli.progress import ConsoleView
from workbench.running import events


def test_quick_epoch_lines_all_print_in_order_before_what_follows():
    stream = io.StringIO()
    view = ConsoleView(stream=stream)
    view(events.Stage("train", 30))
    for epoch in range(1, 4):  # microseconds apart: after the first, they wait to be batched
        view(events.EpochEnd(epoch, {"loss": 1.0 / epoch}))
        view(events.Progress("train", 10 * epoch, 30, {}))
    view(events.Log("done training"))
    view(events.EpochEnd(4, {"loss": 0.2}))  # waits for close()
    view.close()
    lines = stream.getvalue().splitlines()
    assert lines == ["epoch 1: loss 1", "epoch 2: loss 0.5", "epoch 3: loss 0.3333",
                     "done training", "epoch 4: loss 0.2"]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_bar_is_drawn_once_for_numbers_that_do_not_change_and_at_once_for_a_stage_end(monkeypatch):
    from rich.progress import Progress as Bar

    draws = []
    original = Bar.refresh
    monkeypatch.setattr(Bar, "refresh", lambda bar: (draws.append(bar.tasks[0].completed), original(bar)))
    stream = _Terminal()
    view = ConsoleView(stream=stream)
    view(events.Stage("train", 300, 3))
    drawn_at_start = len(draws)
    for _ in range(50):  # the same picture, over and over
        view(events.Progress("train", 10, 300, {"loss": 0.5}))
    view(events.Progress("train", 20, 300, {"loss": 0.4}))  # soon after: waits for a later draw
    assert len(draws) - drawn_at_start <= 1
    view(events.Progress("train", 300, 300, {"loss": 0.1}))  # the stage's end is never held back
    assert draws[-1] == 300
    assert "300/300" in stream.getvalue()
    view.close()
