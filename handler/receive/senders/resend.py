"""Resend: Standard Webhooks signing (see `standard_webhooks`), sent through Svix, so the headers
are the svix-* names; the delivery id is svix-id, the event the body's `type` (email.delivered).
https://resend.com/docs/dashboard/webhooks/verify-webhooks-requests
"""

from __future__ import annotations

from ._recipe import standard_webhooks

SCHEME = standard_webhooks("resend", "svix")
