"""Sources configuration: parsing, references, and errors that name the source and field."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from handler.errors import ConfigError
from handler.receive.ingest import delivery_id
from handler.receive.sources import load_sources
from handler.settings import Settings

NO_AWS = {"ssm:/webhooks/old": "from-ssm", "secretsmanager:gh": "from-secretsmanager"}


def resolve(kind: str, name: str) -> str:
    return NO_AWS[f"{kind}:{name}"]


def load(document: object, env: dict[str, str] | None = None) -> dict[str, object]:
    settings = Settings(webhook_sources=json.dumps(document))
    return dict(load_sources(settings, resolve, env or {}))


def test_toml_file_with_every_kind_of_secret_reference(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(
        """
[sources.github]
scheme = "github"
secrets = ["literal", "env:GH_SECRET", "ssm:/webhooks/old", "secretsmanager:gh"]
tolerance_seconds = 120
"""
    )
    sources = load_sources(Settings(webhook_sources_file=str(path)), resolve, {"GH_SECRET": "e"})
    github = sources["github"]
    assert github.secrets == ("literal", "e", "from-ssm", "from-secretsmanager")
    assert github.options.tolerance_seconds == 120
    assert "literal" not in repr(github)


def test_json_with_scheme_options() -> None:
    sources = load(
        {
            "sources": {
                "internal": {
                    "scheme": "hmac-sha256",
                    "secrets": ["s"],
                    "header": "X-Sig",
                    "encoding": "base64",
                }
            }
        }
    )
    assert sources["internal"].options.header == "X-Sig"  # type: ignore[attr-defined]


def test_webhook_sources_may_itself_be_a_reference() -> None:
    document = {"sources": {"gh": {"scheme": "github", "secrets": ["x"]}}}
    NO_AWS["ssm:/webhooks/config"] = json.dumps(document)
    settings = Settings(webhook_sources="ssm:/webhooks/config")
    assert list(load_sources(settings, resolve, {})) == ["gh"]


def test_no_sources_configured_is_an_empty_receiver() -> None:
    assert load_sources(Settings(), resolve, {}) == {}


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ({"scheme": "nope", "secrets": ["s"]}, "source 'x': field 'scheme'"),
        ({"scheme": "github"}, "source 'x': field 'secrets'"),
        ({"scheme": "github", "secrets": []}, "source 'x': field 'secrets'"),
        ({"scheme": "github", "secrets": [""]}, "source 'x': field 'secrets'"),
        (
            {"scheme": "github", "secrets": ["s"], "tolerance_seconds": 0},
            "field 'tolerance_seconds'",
        ),
        ({"scheme": "github", "secrets": ["s"], "colour": "red"}, "source 'x': field 'colour'"),
        (
            {"scheme": "github", "secrets": ["env:MISSING"]},
            "field 'secrets[0]': environment variable MISSING",
        ),
        (
            {"scheme": "github", "secrets": ["ok", "ssm:/absent"]},
            "field 'secrets[1]': cannot read ssm:/absent",
        ),
        ({"scheme": "standard", "secrets": ["whsec_!!!"]}, "source 'x': field 'secrets[0]'"),
        ({"scheme": "discord", "secrets": ["abcd"]}, "source 'x': field 'secrets[0]'"),
        ({"scheme": "hmac-sha256", "secrets": ["s"], "encoding": "rot13"}, "field 'encoding'"),
    ],
)
def test_invalid_source_fails_at_start_up_naming_source_and_field(
    source: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        load({"sources": {"x": source}})
    assert message in str(raised.value)


def test_errors_never_echo_a_secret_value() -> None:
    with pytest.raises(ConfigError) as raised:
        load({"sources": {"x": {"scheme": "discord", "secrets": ["top-secret-value"]}}})
    assert "top-secret-value" not in str(raised.value)


@pytest.mark.parametrize("name", ["has space", "a/b", "", "x" * 65, "-lead"])
def test_source_names_must_be_path_and_key_safe(name: str) -> None:
    with pytest.raises(ConfigError, match="the name must be"):
        load({"sources": {name: {"scheme": "github", "secrets": ["s"]}}})


@pytest.mark.parametrize(
    "text", ["not json", "[]", '{"sources": []}', '{"sources": {"x": "github"}}']
)
def test_malformed_documents_are_config_errors(text: str) -> None:
    with pytest.raises(ConfigError):
        load_sources(Settings(webhook_sources=text), resolve, {})


def test_unreadable_or_invalid_toml_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read it"):
        load_sources(Settings(webhook_sources_file=str(tmp_path / "absent.toml")), resolve, {})
    bad = tmp_path / "bad.toml"
    bad.write_text("[sources.x\n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_sources(Settings(webhook_sources_file=str(bad)), resolve, {})


def test_delivery_id_is_the_senders_when_safe_else_the_body_hash() -> None:
    x = hashlib.sha256(b"x").hexdigest()
    assert delivery_id("evt_123", x) == "evt_123"
    hashed = delivery_id(None, x)
    assert hashed == "sha256-2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"
    assert delivery_id("../../etc/passwd", x) == hashed
    assert delivery_id("a" * 129, x) == hashed
    assert delivery_id("", x) == hashed


def test_a_named_sender_with_a_secret_option_resolved_like_a_secret() -> None:
    document = {
        "sources": {
            "wa": {
                "scheme": "meta",
                "secrets": ["ssm:/webhooks/old"],
                "verify_token": "env:META_VERIFY_TOKEN",
            }
        }
    }
    meta = load(document, {"META_VERIFY_TOKEN": "tok-from-env"})["wa"]
    assert meta.options.verify_token.get_secret_value() == "tok-from-env"  # type: ignore[attr-defined]
    assert "tok-from-env" not in repr(meta) and "from-ssm" not in repr(meta)
    with pytest.raises(ConfigError, match="'wa': field 'verify_token': environment variable"):
        load(document, {})


def test_an_unknown_scheme_lists_the_built_ins_and_the_catalogue() -> None:
    with pytest.raises(ConfigError) as refused:
        load({"sources": {"x": {"scheme": "nope", "secrets": ["s"]}}})
    for name in ("github", "hmac-sha256", "zoom", "sendgrid", "meta"):
        assert name in str(refused.value)


def test_a_sender_needing_the_url_validates_public_url() -> None:
    source = {"scheme": "square", "secrets": ["k"], "public_url": "hooks.example.com/w"}
    with pytest.raises(ConfigError, match="'public_url'"):
        load({"sources": {"sq": source}})
