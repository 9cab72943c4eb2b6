"""Trello: an updateCard action as in developer.atlassian.com/cloud/trello/guides/rest-api/
webhooks/ (action.id the id, action.type the type, the model watched)."""

from __future__ import annotations

from typing import Any

from webhook_sim.samples import Encoding, Sample

from ._shared import NON_ASCII, iso, json_sample

ENCODINGS: tuple[Encoding, ...] = ("json",)
DEFAULT_EVENT = "updateCard"


def new_id() -> str:
    import secrets

    return secrets.token_hex(12)  # Trello ids are 24 hex digits


def action(kind: str, delivery_id: str, now: float) -> Any:
    board = {"id": "5a3b3b3b3b3b3b3b3b3b3b3b", "name": "Feuille de route", "shortLink": "aBcD1234"}
    return {
        "model": {**board, "desc": f"Planning {NON_ASCII}", "closed": False},
        "action": {
            "id": delivery_id,
            "idMemberCreator": "4ee7df1be582acdec80000ae",
            "type": kind,
            "date": iso(now, millis=True),
            "data": {
                "card": {"id": "5a4c4c4c4c4c4c4c4c4c4c4c", "name": "Écrire la doc — 你好"},
                "old": {"name": "Ecrire la doc"},
                "board": board,
                "list": {"id": "5a5d5d5d5d5d5d5d5d5d5d5d", "name": "En cours"},
            },
            "memberCreator": {"id": "4ee7df1be582acdec80000ae", "fullName": "Zoë Ångström"},
        },
    }


def example(event: str, delivery_id: str, now: float, encoding: Encoding) -> Sample:
    return json_sample(action(event, delivery_id, now), event)
