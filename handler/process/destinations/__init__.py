"""Destinations: verified deliveries forwarded over HTTP, re-signed, each on its own schedule.

    config.py     the `[[sources.<name>.destinations]]` tables, validated at start-up
    ssrf.py       which addresses a destination may resolve to
    forward.py    one HTTP attempt, signed with Standard Webhooks
    schedule.py   after an attempt: delivered, retry when, or dead-letter
    items.py      what the DynamoDB items share: the table, typed values
    records.py    one delivery at one destination: its attempts (revivals.py: operators' writes)
    circuit.py    a destination's circuit, pause and disable switches
    limits.py     a destination's rate limit, a one-second window
    state.py      the four above as one ForwardTable
    messages.py   the wake-up message and the log fields
    forwarder.py  the fan-out and wake-ups, used by the worker; guards.py before an attempt
                  (pause, circuit, rate limit), outcomes.py after it (retry, dead-letter)
    batch.py      one SQS batch's forwards side by side, before its records are processed

This package's __init__ stays empty of imports: the worker reads WAKE_UP_PREFIX from it, and the
forwarding modules are imported only when a source has destinations.
"""

# A work-queue message starting with this is a forwarding wake-up, not a delivery's envelope.
WAKE_UP_PREFIX = '{"forward"'
