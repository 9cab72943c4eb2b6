"""awslambdaric in SnapStart mode, where each restore is a fork of the initialised process.

    python -m infra.snapfork <handler>      (AWS_LAMBDA_INITIALIZATION_TYPE=snap-start)

The real runtime client runs init and the before-snapshot hooks, then calls `restore/next`. Here
that call returns once per `FakeRuntimeAPI.restore()`, and each time the process forks: the
child is a new environment resumed from the same memory (it returns from `restore_next`, so the
runtime client runs the after-restore hooks, then asks for events); the parent stays the
snapshot, kills the previous environment (Lambda discards it) and waits for the next restore.

A fork is not a Firecracker restore in two ways, and both are corrected or noted:
- CPython re-seeds `random` in a forked child (an at-fork hook); a restore does not. The state
  is put back, so a child draws what a restored environment would without our own hook.
- Only the forking thread exists in the child (a restore keeps every thread): the
  extension's poll thread must be started again, which `Extension.restored` does.
"""

from __future__ import annotations

import os
import random
import signal
import sys
from typing import Any

from awslambdaric import __main__ as ric_main
from awslambdaric.lambda_runtime_client import BaseLambdaRuntimeClient

_restore_next = BaseLambdaRuntimeClient.restore_next


def restore_by_fork(self: Any) -> None:
    environment = 0
    while True:
        state = random.getstate()
        _restore_next(self)  # the snapshot (first call), then one return per restore
        if environment:
            os.kill(environment, signal.SIGKILL)
            os.waitpid(environment, 0)
        environment = os.fork()
        if environment == 0:
            random.setstate(state)  # as in the snapshot: no at-fork re-seed
            return


if __name__ == "__main__":
    BaseLambdaRuntimeClient.restore_next = restore_by_fork
    ric_main.main(sys.argv)
