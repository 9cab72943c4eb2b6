"""Lambda SnapStart: what a restored environment must not inherit from the snapshot.

With SnapStart, init (imports, settings, clients, the extension's registration) runs once when a
version is published; every new environment resumes from a snapshot of that memory. Whatever
init made is therefore shared by every environment restored from it, and whatever it opened may
be gone. The hooks registered here (`snapshot_restore_py`, which the managed runtime's client
runs: after-restore hooks in registration order, before the first invocation) undo that:

- `random` is re-seeded: restored environments would otherwise draw the same retry jitter;
- AWS clients are rebuilt: connections made at init are not guaranteed after a restore, and
  credentials are resolved again;
- state derived from the clock at init is reset (the quarantine's rate limit);
- the extension's long poll, open when the snapshot was taken, is dropped and made again;
- the first invocation after a restore is logged and counted as a restore, not a cold start.

Nothing unique (claim tokens, ids) is made at init: those come from `uuid4()` per call, i.e. from
`os.urandom`, which the restored kernel re-seeds. Outside SnapStart nothing here runs.
"""

from __future__ import annotations

import os
import random
import threading
from collections.abc import Callable
from typing import Any

INITIALIZATION_TYPE = "AWS_LAMBDA_INITIALIZATION_TYPE"
SNAP_START = "snap-start"

Hook = Callable[[], None]

try:  # in the managed runtime (a dependency of awslambdaric), and from PyPI for the tests
    from snapshot_restore_py import register_after_restore as _register_after_restore
except ImportError:  # pragma: no cover - no runtime client, no snapshots: hooks never run

    def _register_after_restore(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return func


def snapshots_enabled() -> bool:
    """Whether this init is the one a snapshot is taken of (the runtime client then runs hooks)."""
    return os.environ.get(INITIALIZATION_TYPE) == SNAP_START


class Restores:
    """Counts restores; the first invocation after one is reported as such (`take_restored`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0
        self._pending = False

    def mark(self) -> None:
        with self._lock:
            self.count += 1
            self._pending = True

    def take_restored(self) -> bool:
        """True exactly once after each restore: for the invocation that paid for it."""
        with self._lock:
            pending, self._pending = self._pending, False
            return pending


restores = Restores()


def reseed_random() -> None:
    # From os.urandom: the restored kernel's entropy, different in every environment.
    random.seed()


def after_restore(*hooks: Hook) -> None:
    """Register `hooks` to run after each restore, in order, after the common ones below."""
    for hook in hooks:
        _register_after_restore(hook)


# Registered at import, before any module's own hooks: the seed and the restore count first.
_register_after_restore(reseed_random)
_register_after_restore(restores.mark)
