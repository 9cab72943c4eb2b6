"""Meta: a WhatsApp Cloud API inbound text message and an Instagram comment, as in Meta's webhook
references (developers.facebook.com/docs/whatsapp/cloud-api/webhooks/payload-examples,
developers.facebook.com/docs/instagram-platform/webhooks). No delivery id: the body's hash."""

from __future__ import annotations

from typing import Any

from webhook_sim.samples import Encoding, Sample

from ._shared import NON_ASCII, json_sample

ENCODINGS: tuple[Encoding, ...] = ("json",)
DEFAULT_EVENT = "whatsapp_business_account.messages"


def whatsapp_message(now: float, message_id: str) -> Any:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "15550783881",
                                "phone_number_id": "106540352242922",
                            },
                            "contacts": [
                                {"profile": {"name": "Zoë Ångström"}, "wa_id": "16505551234"}
                            ],
                            "messages": [
                                {
                                    "from": "16505551234",
                                    "id": f"wamid.{message_id}",
                                    "timestamp": str(int(now)),
                                    "text": {"body": f"Hola, ¿está abierto hoy? {NON_ASCII}"},
                                    "type": "text",
                                }
                            ],
                        },
                        "field": "messages",
                    }
                ],
            }
        ],
    }


def instagram_comment(now: float, comment_id: str) -> Any:
    return {
        "object": "instagram",
        "entry": [
            {
                "id": "17841405793187218",
                "time": int(now),
                "changes": [
                    {
                        "field": "comments",
                        "value": {
                            "from": {"id": "232323232", "username": "zoë.example"},
                            "media": {"id": "123123123", "media_product_type": "FEED"},
                            "id": comment_id,
                            "text": f"Trop beau ! {NON_ASCII}",
                        },
                    }
                ],
            }
        ],
    }


def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample:
    if event == "instagram.comments":
        return json_sample(instagram_comment(now, delivery_id), event)
    return json_sample(whatsapp_message(now, delivery_id), DEFAULT_EVENT)
