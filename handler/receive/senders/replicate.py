"""Replicate: Standard Webhooks signing (see `standard_webhooks`) with the webhook-* names; the
delivery id is webhook-id, the event the prediction's `status` (succeeded): Replicate posts the
prediction itself, with no type. https://replicate.com/docs/topics/webhooks/verify-webhook
"""

from __future__ import annotations

from ._recipe import standard_webhooks

SCHEME = standard_webhooks("replicate", "webhook", event="body:status")
