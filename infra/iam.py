"""The template's IAM statements, and the one check that none grants data access by wildcard.

Used by the template tests (tests/infra) and by the reliability report (`make reliability`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

DATA_SERVICES = ("s3", "sqs", "dynamodb", "ssm", "secretsmanager", "kms")
# "arn:aws:s3:::*", "...:table/*", "...:secret:*": every resource of a kind.
EVERY_RESOURCE_OF_A_KIND = re.compile(r"(:|:[a-z-]+[/:])\*$")


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements(node: Any) -> Iterator[dict[str, Any]]:
    """Every IAM statement under node, including both branches of a Fn::If."""
    if isinstance(node, dict):
        if "Effect" in node and ("Action" in node or "NotAction" in node):
            yield node
        for value in node.values():
            yield from statements(value)
    elif isinstance(node, list):
        for item in node:
            yield from statements(item)


def allow_statements(resources: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(resource name, statement) for every Allow statement of every resource."""
    for name, resource in resources.items():
        for statement in statements(resource.get("Properties", {})):
            if statement.get("Effect") == "Allow":
                yield name, statement


def wildcard_grants(statement: Mapping[str, Any]) -> list[str]:
    """What in one Allow statement grants data access by wildcard: NotAction/NotResource, an
    action "*" or "s3:*"/"s3:Get*", or a Resource "*" / every resource of a kind."""
    if "NotAction" in statement or "NotResource" in statement:
        return ["NotAction/NotResource"]
    actions = [a for a in as_list(statement.get("Action")) if isinstance(a, str)]
    findings = []
    for action in actions:
        service, _, verb = action.partition(":")
        if action == "*" or (service in DATA_SERVICES and "*" in verb):
            findings.append(f"action {action}")
    if not any(a == "*" or a.partition(":")[0] in DATA_SERVICES for a in actions):
        return findings
    for resource in as_list(statement.get("Resource")):
        text = resource.get("Fn::Sub") if isinstance(resource, dict) else resource
        if not isinstance(text, str):
            continue  # a Ref/GetAtt of one resource
        # ${Param} placeholders stand for a scoped name, so they count as one.
        plain = re.sub(r"\$\{[^}]*\}", "X", text)
        if text == "*" or EVERY_RESOURCE_OF_A_KIND.search(plain):
            findings.append(f"resource {text}")
    return findings
