"""A local worker of a multi-worker run: `python -m workbench.running.worker`.

Started by the chief (workbench.running.cluster.LocalCluster) with the run in
`WORKBENCH_WORKER_RUN`. It loads TensorFlow and checks the run, says so on stdout, and
reads its `TF_CONFIG` from stdin (ports picked now are still free when it binds); then
it trains its shard of every batch beside the chief; it keeps nothing (no model, no
history, no TensorBoard logs: the chief's). A failure is one line on stderr, the same
line the CLI would print, which the chief passes on. It stops by itself when the chief
has gone, so no worker outlives its run.
"""

from __future__ import annotations

import json
import os
import sys


def main() -> int:
    from workbench.drawing.numbers import error_line
    from workbench.errors import WorkbenchError
    from workbench.running.cluster import LOG_ENV, RUN_ENV, WAITING
    from workbench.running.lifeline import die_with_parent
    from workbench.running.quiet import native_stderr_diverted

    die_with_parent(os.getppid())  # the all-reduce it would wait in never ends
    try:
        run = json.loads(os.environ[RUN_ENV])
        # TensorFlow's own lines go to a file the chief reads when a worker crashes.
        with native_stderr_diverted(os.environ.get(LOG_ENV)):
            from workbench.running import multiworker, runner

            request = runner.prepare(run["lesson"], run["params"], run["dataset"], run["seed"],
                                     run["step"])
            multiworker.import_tensorflow()
            print(WAITING, flush=True)
            config = sys.stdin.readline().strip()
            if not config:
                return 1  # the chief has gone before the cluster formed
            os.environ["TF_CONFIG"] = config
            multiworker.strategy()  # binds this worker's port, then waits for the others
            runner.execute(request, distribute="multiworker", precision=run["precision"],
                           record=False, tensorboard=False)
        return 0
    except BaseException as exc:  # noqa: BLE001  (one line for the chief, whatever it was)
        sys.stderr.write(error_line(exc) + "\n")
        sys.stderr.flush()
        return exc.exit_code if isinstance(exc, WorkbenchError) else 1


if __name__ == "__main__":
    sys.exit(main())
