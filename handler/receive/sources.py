"""The configured webhook sources: parsed, validated and their secrets resolved once per process.

```toml
[sources.github]              # POST /webhooks/github
scheme = "github"
secrets = ["env:GITHUB_WEBHOOK_SECRET", "ssm:/webhooks/github-old"]   # any may verify
tolerance_seconds = 300

[[sources.github.destinations]]   # optional: forward verified deliveries (process/destinations)
name = "ci"
url = "https://ci.example.com/hooks"
secret = "env:CI_WHSEC"
```
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from handler.errors import ConfigError
from handler.receive.signatures.standard import decode_secret
from handler.settings import Settings

from .signatures import Scheme, SchemeOptions, SigningInput, scheme_named, scheme_names

if TYPE_CHECKING:
    from handler.process.destinations.config import Destination

SOURCE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")

# Resolves a reference such as "ssm:/name" to its value; given the prefix and the rest.
ReferenceResolver = Callable[[str, str], str]


@dataclass(frozen=True)
class Source:
    name: str
    scheme: Scheme[Any]
    secrets: tuple[str, ...] = field(repr=False)  # never let a secret reach a log through repr()
    options: SchemeOptions
    destinations: tuple[Destination, ...] = ()  # where verified deliveries are forwarded

    def sign(
        self,
        body: bytes,
        *,
        url: str,
        now: float,
        event_type: str,
        delivery_id: str,
        content_type: str = "application/json",
        secret: str | None = None,
    ) -> dict[str, str]:
        """The headers this source's sender would send, signed with its first secret."""
        if self.scheme.sign is None:
            raise ValueError(f"scheme {self.scheme.name} cannot sign (no sender key here)")
        message = SigningInput(
            body=body,
            secret=self.secrets[0] if secret is None else secret,
            url=url,
            now=now,
            event_type=event_type,
            delivery_id=delivery_id,
            content_type=content_type,
        )
        return self.scheme.sign(message, self.options)


def aws_resolver(session_factory: Callable[[str], Any]) -> ReferenceResolver:
    """Resolve ssm: and secretsmanager: references with clients made only when first needed."""
    clients: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in clients:
            clients[service] = session_factory(service)
        return clients[service]

    def resolve(kind: str, name: str) -> str:
        if kind == "ssm":
            response = client("ssm").get_parameter(Name=name, WithDecryption=True)
            return str(response["Parameter"]["Value"])
        response = client("secretsmanager").get_secret_value(SecretId=name)
        return str(response["SecretString"])

    return resolve


def resolve_reference(value: str, resolve_aws: ReferenceResolver, env: Mapping[str, str]) -> str:
    """`env:VAR`, `ssm:/name` and `secretsmanager:name` are references; anything else is literal."""
    kind, sep, name = value.partition(":")
    if not sep or kind not in {"env", "ssm", "secretsmanager"}:
        return value
    if not name:
        raise ConfigError(f"the reference {kind}: names nothing")
    if kind == "env":
        if name not in env:
            raise ConfigError(f"environment variable {name} is not set")
        return env[name]
    try:
        return resolve_aws(kind, name)
    except ConfigError:
        raise
    except Exception as error:  # the AWS error type varies; its message never holds the value
        raise ConfigError(f"cannot read {kind}:{name} ({type(error).__name__})") from None


def read_sources_document(
    settings: Settings, resolve_aws: ReferenceResolver, env: Mapping[str, str]
) -> dict[str, Any]:
    """The raw `{"sources": {...}}` document from WEBHOOK_SOURCES_FILE or WEBHOOK_SOURCES."""
    if settings.webhook_sources_file:
        try:
            with open(settings.webhook_sources_file, "rb") as handle:
                return tomllib.load(handle)
        except OSError as error:
            raise ConfigError(f"WEBHOOK_SOURCES_FILE: cannot read it ({error.strerror})") from None
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"WEBHOOK_SOURCES_FILE: invalid TOML ({error})") from None
    if settings.webhook_sources:
        try:
            text = resolve_reference(settings.webhook_sources, resolve_aws, env)
        except ConfigError as error:
            raise ConfigError(f"WEBHOOK_SOURCES: {error}") from None
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise ConfigError(f"WEBHOOK_SOURCES: invalid JSON ({error.msg})") from None
        if not isinstance(document, dict):
            raise ConfigError('WEBHOOK_SOURCES: expected an object {"sources": {...}}')
        return document
    return {"sources": {}}


def parse_source(
    name: str, raw: Any, resolve_aws: ReferenceResolver, env: Mapping[str, str]
) -> Source:
    where = f"source {name!r}"
    if not SOURCE_NAME.match(name):
        raise ConfigError(f"{where}: the name must be 1-64 letters, digits, '-' or '_'")
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a table of settings")
    fields = dict(raw)
    scheme_name = fields.pop("scheme", None)
    # Loads a catalogue sender's module now, and only this one (handler/receive/senders).
    scheme = scheme_named(scheme_name) if isinstance(scheme_name, str) else None
    if scheme is None:
        raise ConfigError(f"{where}: field 'scheme': expected one of {', '.join(scheme_names())}")
    secrets = fields.pop("secrets", None)
    if not isinstance(secrets, list) or not secrets:
        raise ConfigError(f"{where}: field 'secrets': expected a non-empty list")
    if not all(isinstance(secret, str) and secret for secret in secrets):
        raise ConfigError(f"{where}: field 'secrets': every entry must be a non-empty string")
    raw_destinations = fields.pop("destinations", [])
    for option in scheme.secret_options:  # secrets that are options (Meta's verify_token)
        if isinstance(fields.get(option), str):
            try:
                fields[option] = resolve_reference(fields[option], resolve_aws, env)
            except ConfigError as error:
                raise ConfigError(f"{where}: field {option!r}: {error}") from None
    try:
        options = scheme.options.model_validate(fields)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "?"
        # Only the field and the message: pydantic's own text would echo the input value.
        raise ConfigError(f"{where}: field {field!r}: {first['msg']}") from None
    resolved = []
    for index, secret in enumerate(secrets):
        try:
            resolved.append(resolve_reference(secret, resolve_aws, env))
        except ConfigError as error:
            raise ConfigError(f"{where}: field 'secrets[{index}]': {error}") from None
        if scheme.check_secret is not None:
            try:
                scheme.check_secret(resolved[-1])
            except ValueError as error:
                raise ConfigError(f"{where}: field 'secrets[{index}]': {error}") from None
    if not raw_destinations:
        return Source(name, scheme, tuple(resolved), options)
    # Imported only when a source has destinations: no cost to the receiver's cold start else.
    from handler.process.destinations.config import parse_destinations

    destinations = parse_destinations(
        name,
        raw_destinations,
        lambda value: resolve_reference(value, resolve_aws, env),
        decode_secret,
    )
    return Source(name, scheme, tuple(resolved), options, destinations)


def load_sources(
    settings: Settings, resolve_aws: ReferenceResolver, env: Mapping[str, str] | None = None
) -> dict[str, Source]:
    environment = os.environ if env is None else env
    document = read_sources_document(settings, resolve_aws, environment)
    table = document.get("sources", {})
    if not isinstance(table, dict):
        raise ConfigError("sources: expected a table of named sources")
    return {name: parse_source(name, raw, resolve_aws, environment) for name, raw in table.items()}
