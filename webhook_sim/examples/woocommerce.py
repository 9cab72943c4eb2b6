"""WooCommerce: the order resource an order.created webhook posts; the delivery id travels in
X-WC-Webhook-Delivery-ID."""

from __future__ import annotations

import secrets
from typing import Any

from webhook_sim.published import NON_ASCII
from webhook_sim.samples import Encoding, Sample

from ._shared import iso, json_sample

ENCODINGS: tuple[Encoding, ...] = ("json",)
DEFAULT_EVENT = "order.created"
TIMESTAMPED = False


def woocommerce_order(order_id: int, at_iso: str) -> Any:
    """https://woocommerce.github.io/woocommerce-rest-api-docs/#order-properties (order.created
    delivers the order resource as the REST API returns it)."""
    return {
        "id": order_id,
        "parent_id": 0,
        "status": "processing",
        "currency": "EUR",
        "version": "9.4.0",
        "prices_include_tax": False,
        "date_created": at_iso,
        "date_modified": at_iso,
        "discount_total": "0.00",
        "shipping_total": "10.00",
        "total": "29.35",
        "total_tax": "1.35",
        "customer_id": 0,
        "order_key": "wc_order_58d2d042d1d",
        "billing": {
            "first_name": "Zoë",
            "last_name": "Ångström",
            "address_1": "Rue de l'Église 5",
            "city": "Zürich",
            "postcode": "8001",
            "country": "CH",
            "email": "zoe@example.com",
            "phone": "(555) 555-5555",
        },
        "shipping": {"first_name": "Zoë", "last_name": "Ångström", "city": "Zürich"},
        "payment_method": "bacs",
        "payment_method_title": "Direct Bank Transfer",
        "customer_note": NON_ASCII,
        "line_items": [
            {
                "id": 315,
                "name": "Woo Single #1 — Café",
                "product_id": 93,
                "quantity": 2,
                "subtotal": "6.00",
                "total": "6.00",
                "sku": "",
                "price": 3,
            }
        ],
        "meta_data": [],
    }


def new_id() -> str:
    # WooCommerce's delivery id is wp_hash(webhook id . time): 32 hex digits.
    return secrets.token_hex(16)


def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample:
    document = woocommerce_order(int(now) % 100_000, iso(now, millis=True))
    return json_sample(document, event)
