"""OpenAI: Standard Webhooks signing (see `standard_webhooks`) with the webhook-* names; the
delivery id is webhook-id, the event the body's `type` (response.completed).
https://platform.openai.com/docs/guides/webhooks
"""

from __future__ import annotations

from ._recipe import standard_webhooks

SCHEME = standard_webhooks("openai", "webhook")
