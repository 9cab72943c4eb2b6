"""Read a delivery's body the way its sender encoded it.

Senders encode events three ways, and the content type says which:

    application/json (or +json)          Stripe, Shopify, GitLab, Discord, Standard Webhooks,
                                         GitHub (default), Slack Events API, Twilio JSON
    application/x-www-form-urlencoded    with one field, `payload`, holding JSON: GitHub's
                                         "application/x-www-form-urlencoded" setting, Slack
                                         interactivity (block actions, view submissions...)
    application/x-www-form-urlencoded    with fields: Twilio (SMS, voice, status callbacks),
                                         Slack slash commands

A body these rules cannot read raises `UnreadablePayload`, which names the reason (never the
body): the worker logs it on one line and fails the record.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

FORM = "application/x-www-form-urlencoded"


class UnreadablePayload(ValueError):
    """The body is not what its content type says, or in an encoding no sender uses."""


def media_type(content_type: str | None) -> tuple[str, str | None]:
    """("type/subtype" lowercased, charset or None) of a Content-Type header."""
    if not content_type:
        return "", None
    kind, *params = content_type.split(";")
    charset = None
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower() or None
    return kind.strip().lower(), charset


def is_json(kind: str) -> bool:
    return kind == "application/json" or kind.endswith("+json")


def read_json(body: bytes, charset: str | None = None) -> Any:
    try:
        # json.loads detects UTF-8/16/32 from bytes; a declared non-UTF charset is decoded first.
        text: str | bytes = body if charset in (None, "utf-8", "utf8") else body.decode(charset)
        return json.loads(text)
    except LookupError:
        raise UnreadablePayload(f"unknown charset {charset!r}") from None
    except UnicodeDecodeError as error:
        raise UnreadablePayload(f"not valid {error.encoding}: byte {error.start}") from None
    except json.JSONDecodeError as error:
        raise UnreadablePayload(
            f"not JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None


def read_form(body: bytes, charset: str | None = None) -> dict[str, str | list[str]]:
    """Form fields; a field sent more than once keeps every value, in order, as a list."""
    encoding = charset or "utf-8"
    try:
        # Percent-encoded on the wire, but some senders leave UTF-8 bytes raw: both read.
        text = body.decode(encoding)
        pairs = parse_qsl(
            text, keep_blank_values=True, strict_parsing=False, encoding=encoding, errors="strict"
        )
    except LookupError:
        raise UnreadablePayload(f"unknown charset {charset!r}") from None
    except UnicodeDecodeError as error:
        raise UnreadablePayload(
            f"not a form: a field is not valid {error.encoding} (byte {error.start})"
        ) from None
    fields: dict[str, str | list[str]] = {}
    for name, value in pairs:
        previous = fields.get(name)
        if previous is None:
            fields[name] = value
        elif isinstance(previous, list):
            previous.append(value)
        else:
            fields[name] = [previous, value]
    return fields


def read_payload(body: bytes, content_type: str | None) -> Any:
    """The event as its sender meant it: a JSON document, or a form's fields (see above)."""
    kind, charset = media_type(content_type)
    if not kind:
        # No content type (a proxy dropped it): the body tells, as the Slack verifier does.
        kind = "application/json" if body.lstrip()[:1] in (b"{", b"[") else FORM
    if is_json(kind):
        if not body.strip():
            raise UnreadablePayload("empty body, JSON expected")
        return read_json(body, charset)
    if kind == FORM:
        fields = read_form(body, charset)
        if list(fields) == ["payload"]:
            inner = fields["payload"]
            if not isinstance(inner, str):
                raise UnreadablePayload("the form's payload field is sent more than once")
            try:
                return read_json(inner.encode())
            except UnreadablePayload as error:
                raise UnreadablePayload(f"the form's payload field is {error}") from None
        return fields
    raise UnreadablePayload(f"content type {kind!r} is neither JSON nor a form")
