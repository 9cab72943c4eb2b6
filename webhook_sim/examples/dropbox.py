"""Dropbox: a notification as in www.dropbox.com/developers/reference/webhooks (account ids of
changed users; both the current list_folder and the legacy delta keys)."""

from __future__ import annotations

from webhook_sim.samples import Encoding, Sample

from ._shared import json_sample

ENCODINGS: tuple[Encoding, ...] = ("json",)
DEFAULT_EVENT = "list_folder"


def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample:
    accounts = ["dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc", "dbid:AAD-ünïcödé-你好"]
    document = {"list_folder": {"accounts": accounts}, "delta": {"users": [12345678, 23456789]}}
    return json_sample(document, "list_folder")
