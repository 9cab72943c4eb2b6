"""The worker Lambda's entry point: `lambda_handler` for the SQS event source mapping.

It imports the worker and the composition root only: no receiver, no signature scheme. Under
SnapStart the worker is built at init, so it is in the snapshot rather than on the first batch,
and its clients are renewed after a restore (handler/snapstart.py).
"""

from __future__ import annotations

from typing import Any

from handler.process.worker import handle_batch

from . import metrics, snapstart, wiring

snapstart.after_restore(wiring.renew_default_clients)
if snapstart.snapshots_enabled():
    wiring.default_worker()


@metrics.lambda_entry
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle_batch(wiring.default_worker(), event, context)
