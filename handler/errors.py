"""The receiver's refusals, one hierarchy: each becomes `{"error": ..., "detail": ...}` with its
status, in one exception handler (api.py). The signature schemes' refusals (VerificationError,
signatures/base.py) are ReceiverErrors too, with the scheme's reason as their `error`."""

from __future__ import annotations


class ReceiverError(Exception):
    status = 400
    error = "bad_request"

    def __init__(self, detail: str, *, retry_after: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after = retry_after


class UnknownSource(ReceiverError):
    status = 404
    error = "unknown_source"


class BodyTooLarge(ReceiverError):
    status = 413
    error = "body_too_large"


class HandoffFailed(ReceiverError):
    """AWS refused or timed out before the delivery was durable: never acknowledge it."""

    status = 503
    error = "handoff_failed"


class ConfigError(Exception):
    """Invalid configuration found at start-up; the message names the source and field."""
