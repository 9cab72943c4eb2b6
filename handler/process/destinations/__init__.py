"""Destinations: verified deliveries forwarded over HTTP, re-signed, each on its own schedule.

    config.py     the `[[sources.<name>.destinations]]` tables, validated at start-up
    ssrf.py       which addresses a destination may resolve to
    forward.py    one HTTP attempt, signed with Standard Webhooks
    schedule.py   after an attempt: delivered, retry when, or dead-letter
    state.py      the DynamoDB records: attempts, circuit, pause, rate window
    forwarder.py  the fan-out, wake-ups and dead-letters, used by the worker

This package's __init__ stays empty of imports: the worker reads WAKE_UP_PREFIX from it, and the
forwarding modules are imported only when a source has destinations.
"""

# A work-queue message starting with this is a forwarding wake-up, not a delivery's envelope.
WAKE_UP_PREFIX = '{"forward"'
