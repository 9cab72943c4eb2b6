"""A webhook body as an operator wants to read it, by its encoding. Pure: bytes in, text out.

The text returned here is still the sender's (attacker-controlled) content: the templates
autoescape it; nothing here makes it safe for HTML, and nothing here should try.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import parse_qsl

# Pretty-printing a body costs memory in the page as well as here: past this size the raw view
# (always complete) and the download are enough.
PRETTY_LIMIT = 1024 * 1024


@dataclass(frozen=True)
class FormField:
    name: str
    value: str
    json: str | None = None  # the value pretty-printed, when it is JSON (Slack's `payload`)


@dataclass(frozen=True)
class BodyView:
    encoding: str  # json | form | text | binary | empty
    raw: str  # every byte: UTF-8 where valid, \xNN escapes where not
    valid_utf8: bool
    size: int
    pretty: str | None = None  # JSON, indented
    fields: tuple[FormField, ...] = ()
    note: str = ""


# Control characters are invisible (or, like ESC, act on a terminal a body is pasted into) and
# HTML turns NUL into U+FFFD: show them as \xNN, like bytes that are not UTF-8. Tab, LF and CR
# stay (the template keeps CR as a character reference, which HTML does not normalise away).
CONTROLS = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F) if chr(c) not in "\t\n\r"}


def raw_text(body: bytes) -> tuple[str, bool]:
    try:
        text, valid = body.decode("utf-8"), True
    except UnicodeDecodeError:
        text, valid = body.decode("utf-8", errors="backslashreplace"), False
    return text.translate(CONTROLS), valid


def pretty_json(text: str) -> str | None:
    try:
        document = json.loads(text)
    except ValueError:
        return None
    if not isinstance(document, dict | list):
        return None
    return json.dumps(document, indent=2, ensure_ascii=False)


def media_type(headers: dict[str, str]) -> str:
    value = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    return value.split(";", 1)[0].strip().lower()


def view_body(body: bytes, headers: dict[str, str]) -> BodyView:
    text, valid = raw_text(body)
    size = len(body)
    if not body:
        return BodyView("empty", "", True, 0)
    if size > PRETTY_LIMIT:
        return BodyView(
            "text" if valid else "binary", text, valid, size, note="too large to format"
        )
    kind = media_type(headers)
    if kind == "application/x-www-form-urlencoded":
        fields = tuple(
            FormField(name, value, pretty_json(value))
            for name, value in parse_qsl(text, keep_blank_values=True, errors="backslashreplace")
        )
        if fields:
            return BodyView("form", text, valid, size, fields=fields)
    pretty = pretty_json(text) if valid else None
    if pretty is not None:
        return BodyView("json", text, valid, size, pretty=pretty)
    return BodyView("text" if valid else "binary", text, valid, size)
