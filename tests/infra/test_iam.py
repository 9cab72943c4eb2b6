"""The wildcard check the template tests and the reliability report share (infra/iam.py)."""

from __future__ import annotations

from typing import Any

import pytest

from infra.iam import allow_statements, wildcard_grants

SCOPED = {"Fn::Sub": "arn:${AWS::Partition}:s3:::${ArchiveBucket}/archive/*"}


@pytest.mark.parametrize(
    ("statement", "found"),
    [
        ({"Effect": "Allow", "Action": "s3:GetObject", "Resource": SCOPED}, []),
        ({"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": {"Ref": "Q"}}, []),
        ({"Effect": "Allow", "Action": "logs:*", "Resource": "*"}, []),  # not a data service
        ({"Effect": "Allow", "Action": "*", "Resource": {"Ref": "Q"}}, ["action *"]),
        ({"Effect": "Allow", "Action": "s3:Get*", "Resource": SCOPED}, ["action s3:Get*"]),
        ({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}, ["resource *"]),
        (
            {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "arn:aws:dynamodb:*"},
            ["resource arn:aws:dynamodb:*"],
        ),
        (
            {
                "Effect": "Allow",
                "Action": "dynamodb:GetItem",
                "Resource": {"Fn::Sub": "arn:aws:dynamodb:${AWS::Region}:1:table/*"},
            },
            ["resource arn:aws:dynamodb:${AWS::Region}:1:table/*"],
        ),
        (
            {"Effect": "Allow", "NotAction": "s3:DeleteObject", "Resource": "*"},
            ["NotAction/NotResource"],
        ),
    ],
)
def test_wildcard_grants(statement: dict[str, Any], found: list[str]) -> None:
    assert wildcard_grants(statement) == found


def test_allow_statements_cover_every_resource_and_both_branches_of_an_if() -> None:
    allow = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": SCOPED}
    deny = {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}
    resources = {
        "Role": {"Properties": {"Policies": [{"Fn::If": ["C", {"Statement": [allow]}, deny]}]}},
        "BucketPolicy": {"Properties": {"PolicyDocument": {"Statement": [deny, allow]}}},
    }
    assert list(allow_statements(resources)) == [("Role", allow), ("BucketPolicy", allow)]
