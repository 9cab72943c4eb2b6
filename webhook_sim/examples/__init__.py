"""Sample bodies of the catalogue's senders (handler/receive/senders), one module per sender.

A module `webhook_sim/examples/<sender>.py` (a `-` in the name becomes `_`) provides:

    ENCODINGS: tuple[Encoding, ...]     # what the sender posts: "json", "form", "payload"
    DEFAULT_EVENT: str
    def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample
    def new_id() -> str                 # optional: an id shaped like the sender's own
    TIMESTAMPED: bool                   # the sender signs a timestamp (stale ones are refused)
    def signing_secret(configured: str) -> str   # optional, senders signing with a private key:
                                        # the demo private key for a configured public key
    def signed_body(body: bytes, secret: str, now: float, content_type: str) -> bytes
                                        # optional, senders signing inside the body (Mailgun)
    SIGNS_BODY: bool                    # default True; False: a changed body still verifies
                                        # (Okta's header token, Mailgun's timestamp + token)
    OTHER_SECRET: str                   # optional: a second valid secret for the rotation test
                                        # (default: the sample secret with one character changed)

`example` follows the sender's published example (cite it), puts the delivery id, type and time
where the sender puts them, and reports the event type the receiver will classify. Modules load
only when a sample of that sender is asked for.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def examples_of(sender: str) -> ModuleType | None:
    """The sender's example module, or None when the catalogue has none for it."""
    module = sender.replace("-", "_")
    if module not in {info.name for info in pkgutil.iter_modules(__path__)}:
        return None
    return importlib.import_module(f"{__name__}.{module}")
