"""Found while tracing issue 17 (one acked delivery never processed under load): not its cause,
but the same slow path. Under load the worker's hold (a conditional UpdateItem) can outlive the
read timeout; botocore then sends the identical request again, whose condition fails on the hold
the first attempt wrote, with our own owner token. The hold was reported BUSY: the worker gave
the message back and the delivery waited a whole visibility timeout (and used up one of its
receives before the DLQ) behind a lease that was its own.
"""

from __future__ import annotations

from typing import Any

from handler.settings import Settings
from handler.store.dedup import DedupTable, Hold


class RetriedUpdate:
    """update_item applied, then sent again as botocore does after a lost answer."""

    def __init__(self, real: Any) -> None:
        self.real = real

    def update_item(self, **kwargs: Any) -> Any:
        self.real.update_item(**kwargs)
        return self.real.update_item(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def test_a_retried_hold_is_still_ours(settings: Settings, clients: Any) -> None:
    plain = DedupTable(clients.dynamodb, settings.idempotency_table, 3600, 30, 300)
    retried = DedupTable(RetriedUpdate(clients.dynamodb), settings.idempotency_table, 3600, 30, 300)
    key = "github#retried-hold"
    hold, token = retried.hold_for_processing(key, 1_000_000.0)
    assert hold is Hold.STARTED
    assert retried.mark_processed(key, token, {"n": 1}, 1_000_001.0)  # retried too: still ours
    record = plain.get(key)
    assert record is not None and record["status"] == "processed" and record["attempts"] == "1"


def test_another_workers_live_hold_is_still_busy(settings: Settings, clients: Any) -> None:
    table = DedupTable(clients.dynamodb, settings.idempotency_table, 3600, 30, 300)
    key = "github#held-elsewhere"
    assert table.hold_for_processing(key, 1_000_000.0)[0] is Hold.STARTED
    assert table.hold_for_processing(key, 1_000_001.0)[0] is Hold.BUSY
