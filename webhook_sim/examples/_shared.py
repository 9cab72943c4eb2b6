"""What the example modules share: JSON and form bodies as the senders write them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from webhook_sim.published import FORM, JSON, NON_ASCII
from webhook_sim.samples import Sample

__all__ = ["FORM", "JSON", "NON_ASCII", "form_sample", "iso", "json_sample", "private_half"]


def json_sample(document: Any, event: str) -> Sample:
    return Sample(json.dumps(document, ensure_ascii=False).encode(), JSON, event)


def form_sample(fields: dict[str, str], event: str) -> Sample:
    return Sample(urlencode(fields).encode(), FORM, event)


def iso(now: float, millis: bool = False) -> str:
    moment = datetime.fromtimestamp(now, UTC)
    if millis:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def private_half(demo_keys: Mapping[str, str], configured: str, sender: str) -> str:
    """The demo private key of a configured public key (ValueError for any other key): senders
    that sign with a private key are simulated only with the demo pairs."""
    try:
        return demo_keys[configured]
    except KeyError:
        raise ValueError(f"only the demo {sender} keys can sign here") from None
