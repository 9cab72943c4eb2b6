"""Webflow: form_submission as in Webflow's webhook events reference (no delivery id: the body's
hash stands in)."""

from __future__ import annotations

from typing import Any

from webhook_sim.samples import Encoding, Sample

from ._shared import NON_ASCII, iso, json_sample

ENCODINGS: tuple[Encoding, ...] = ("json",)
DEFAULT_EVENT = "form_submission"
TIMESTAMPED = True


def form_submission(event: str, submission_id: str, at: str) -> Any:
    """https://developers.webflow.com/data/reference/webhooks/events/form-submission"""
    return {
        "triggerType": event,
        "payload": {
            "name": "Contact Us",
            "siteId": "65427cf400e02b306eaa049c",
            "data": {
                "First Name": "Zoë",
                "Last Name": "Ångström",
                "email": "zoe@example.com",
                "Message": f"Bonjour — {NON_ASCII}",
            },
            "schema": [
                {"fieldName": "First Name", "fieldType": "FormTextInput", "fieldElementId": "a1"},
                {"fieldName": "Last Name", "fieldType": "FormTextInput", "fieldElementId": "a2"},
                {"fieldName": "email", "fieldType": "FormEmail", "fieldElementId": "a3"},
                {"fieldName": "Message", "fieldType": "FormTextarea", "fieldElementId": "a4"},
            ],
            "submittedAt": at,
            "id": submission_id,
            "formId": "65429eadebe8a9f3a30f62d0",
            "formElementId": "4e038d2c-6a1e-4953-7be9-a59a2b453177",
        },
    }


def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample:
    return json_sample(form_submission(event, delivery_id, iso(now, millis=True)), event)
