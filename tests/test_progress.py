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
