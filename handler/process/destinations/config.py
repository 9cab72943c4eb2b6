"""A source's destinations as configured in the sources file: validated once, at start-up.

```toml
[[sources.stripe.destinations]]
name = "billing"
url = "https://billing.example.com/hooks"
secret = "env:BILLING_WHSEC"             # a whsec_ Standard Webhooks secret (or a reference)
event_types = ["invoice.*", "charge.succeeded"]
filter = { "data.object.currency" = "eur" }
timeout_seconds = 10
rate_limit_per_second = 20
headers = { "X-Team" = "billing" }
# horizon: how long after the first attempt retries go on (a minute to 14 days; 3 days default)
retry = { initial_seconds = 5, multiplier = 2, max_interval_seconds = 3600, horizon_seconds = 7200 }
circuit = { failure_threshold = 5, open_seconds = 60 }
allow_private_network = false
```
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from handler.errors import ConfigError

from .ssrf import UnsafeUrl, check_url_statically

DESTINATION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
# Headers we set ourselves: a configured header must not forge or break them.
RESERVED_HEADERS = frozenset(
    {
        "content-type",
        "content-length",
        "host",
        "transfer-encoding",
        "connection",
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
        "webhook-source",
        "webhook-event-type",
    }
)


class RetrySchedule(BaseModel):
    """Exponential backoff with a ceiling, for at most `horizon_seconds` after the first attempt."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    initial_seconds: float = Field(default=5.0, gt=0, le=86_400)
    multiplier: float = Field(default=2.0, ge=1.0, le=10.0)
    max_interval_seconds: float = Field(default=3600.0, gt=0, le=86_400)
    # Three days by default, like Stripe's own retry horizon; from a minute to two weeks.
    horizon_seconds: float = Field(default=3 * 86_400.0, ge=60, le=14 * 86_400)


class Circuit(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    failure_threshold: int = Field(default=5, ge=1, le=1000)
    open_seconds: float = Field(default=60.0, ge=1, le=86_400)


class DestinationConfig(BaseModel):
    """The fields of one `[[sources.<name>.destinations]]` table, before its secret is resolved."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    url: str
    secret: str = Field(repr=False)
    event_types: tuple[str, ...] = ("*",)
    filter: dict[str, Any] = Field(default_factory=dict)
    timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    rate_limit_per_second: int | None = Field(default=None, ge=1, le=10_000)
    headers: dict[str, str] = Field(default_factory=dict)
    retry: RetrySchedule = RetrySchedule()
    circuit: Circuit = Circuit()
    allow_private_network: bool = False

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not DESTINATION_NAME.match(value):
            raise ValueError("must be 1-64 letters, digits, '-' or '_'")
        return value

    @field_validator("event_types")
    @classmethod
    def _event_types(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value or not all(isinstance(glob, str) and glob for glob in value):
            raise ValueError("must be a non-empty list of non-empty globs")
        return value

    @field_validator("filter")
    @classmethod
    def _filter(cls, value: dict[str, Any]) -> dict[str, Any]:
        for path in value:
            if not path or any(not part for part in path.split(".")):
                raise ValueError("keys are dotted paths such as 'data.object.currency'")
        return value

    @field_validator("headers")
    @classmethod
    def _headers(cls, value: dict[str, str]) -> dict[str, str]:
        for name, header in value.items():
            if not HEADER_NAME.match(name):
                raise ValueError(f"{name!r} is not a valid header name")
            if name.lower() in RESERVED_HEADERS:
                raise ValueError(f"{name!r} is set by the receiver and cannot be configured")
            if "\r" in header or "\n" in header:
                raise ValueError(f"the value of {name!r} holds a line break")
        return value


@dataclass(frozen=True)
class Destination:
    """A destination ready to use: its secret resolved and checked."""

    source: str
    name: str
    url: str
    secret: str = field(repr=False)  # never let a secret reach a log through repr()
    event_types: tuple[str, ...] = ("*",)
    filter: Mapping[str, Any] = field(default_factory=dict)
    timeout_seconds: float = 10.0
    rate_limit_per_second: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    retry: RetrySchedule = field(default_factory=RetrySchedule)
    circuit: Circuit = field(default_factory=Circuit)
    allow_private_network: bool = False

    def matches(self, event_type: str, body: bytes) -> bool:
        """Whether a delivery goes here: an event-type glob matches and every filter path holds."""
        if not any(fnmatch.fnmatchcase(event_type, glob) for glob in self.event_types):
            return False
        if not self.filter:
            return True
        try:
            document = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return False  # a filter on fields cannot hold for a body without fields
        return all(_lookup(document, path) == (True, want) for path, want in self.filter.items())


def _lookup(document: Any, path: str) -> tuple[bool, Any]:
    for part in path.split("."):
        if not isinstance(document, dict) or part not in document:
            return False, None
        document = document[part]
    return True, document


def parse_destinations(
    source: str,
    raw: Any,
    resolve_secret: Callable[[str], str],
    check_secret: Callable[[str], object],
) -> tuple[Destination, ...]:
    """Parse `sources.<source>.destinations`; a ConfigError names source, destination and field."""
    if not isinstance(raw, list):
        raise ConfigError(f"source {source!r}: field 'destinations': expected a list of tables")
    parsed: list[Destination] = []
    for index, entry in enumerate(raw):
        label = entry.get("name") if isinstance(entry, dict) else None
        where = f"source {source!r}: destination {label if isinstance(label, str) else index!r}"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: expected a table of settings")
        try:
            config = DestinationConfig.model_validate(entry)
        except ValidationError as error:
            first = error.errors()[0]
            path = ".".join(str(part) for part in first["loc"]) or "?"
            # Only the field and pydantic's message: its own text would echo the (secret) input.
            raise ConfigError(f"{where}: field {path!r}: {first['msg']}") from None
        if any(other.name == config.name for other in parsed):
            raise ConfigError(f"{where}: field 'name': used twice in this source")
        try:
            check_url_statically(config.url, allow_private_network=config.allow_private_network)
        except UnsafeUrl as error:
            raise ConfigError(f"{where}: field 'url': {error}") from None
        try:
            secret = resolve_secret(config.secret)
            check_secret(secret)
        except (ConfigError, ValueError) as error:
            raise ConfigError(f"{where}: field 'secret': {error}") from None
        values = config.model_dump(exclude={"secret", "retry", "circuit"})
        parsed.append(
            Destination(
                source=source,
                secret=secret,
                retry=config.retry,
                circuit=config.circuit,
                **{**values, "event_types": tuple(values["event_types"])},
            )
        )
    return tuple(parsed)
