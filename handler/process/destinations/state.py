"""Forwarding state in the idempotency table, changed only by conditional writes.

Three kinds of item, each its own partition key so that destinations never contend:

    dest#<source>#<delivery id>#<destination>   one delivery at one destination: its attempts
                                                (records.py; operators' revivals.py)
    destination#<source>#<destination>          the circuit, pause and disable switches
                                                (circuit.py)
    rate#<source>#<destination>#<epoch second>  the rate limit's fixed-window counter (limits.py)

Every write that decides something is conditional, so what holds across concurrent workers holds
across the threads of one batch too (batch.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from .circuit import Switches
from .limits import RateLimit
from .records import Records
from .revivals import Revivals


@dataclass(frozen=True)
class ForwardTable(Records, Revivals, Switches, RateLimit):
    """Every forwarding item of one table: `ForwardTable(dynamodb, table, ttl_seconds)`."""
