"""Found by `make reliability` (load, no faults): 3 of 4,213 first copies got 409.

Under load the receiver's DynamoDB PutItem (the claim) outlived its 1 s read timeout; botocore
retried the identical request, whose condition then failed on the claim the first attempt had
written, with our own owner token. The claim was reported IN_FLIGHT: the sender's only copy got
409 and was blocked until the claim lease ran out (30 s by default).
"""

from __future__ import annotations

from typing import Any

from handler.settings import Settings
from handler.store.dedup import Claim, DedupTable


class RetriedPut:
    """put_item applied, then sent again as botocore does after a lost answer."""

    def __init__(self, real: Any) -> None:
        self.real = real

    def put_item(self, **kwargs: Any) -> Any:
        self.real.put_item(**kwargs)
        return self.real.put_item(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def test_a_retried_claim_is_still_ours(settings: Settings, clients: Any) -> None:
    table = DedupTable(RetriedPut(clients.dynamodb), settings.idempotency_table, 3600, 30, 300)
    claim, _, _ = table.claim("github#retried-claim", 1_000_000.0)
    assert claim is Claim.CLAIMED
    again, _, _ = table.claim("github#retried-claim", 1_000_001.0)  # a real second copy
    assert again is Claim.IN_FLIGHT
