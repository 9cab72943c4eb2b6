"""Clerk: Standard Webhooks signing (see `standard_webhooks`), sent through Svix, so the headers
are the svix-* names; the delivery id is svix-id, the event the body's `type` (user.created).
https://clerk.com/docs/webhooks/sync-data
"""

from __future__ import annotations

from ._recipe import standard_webhooks

SCHEME = standard_webhooks("clerk", "svix")
