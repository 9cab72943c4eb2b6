"""The template's cold-start choices: SnapStart on a published alias, or provisioned concurrency.

What the stack deploys is SAM's transform of the template, so the alias wiring is asserted on
that output (SAM's own translator, run in the SAM CLI's venv: it pins a boto3 of its own).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import cfn_yaml  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
FUNCTIONS = ("ReceiverFunction", "WorkerFunction")

# Run in the SAM CLI's interpreter: prints the transformed template as JSON. The S3 CodeUri
# stands for what `sam package` writes; no managed policy is referenced, so none is looked up.
TRANSFORM = """
import json, sys
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

class NoManagedPolicies:
    def load(self):
        return {}

template = yaml_parse(open(sys.argv[1]).read())
template["Globals"]["Function"]["CodeUri"] = "s3://bucket/package.zip"
print(json.dumps(transform(template, {}, NoManagedPolicies())))
"""


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    loaded: dict[str, Any] = cfn_yaml.load(str(TEMPLATE))
    return loaded


@pytest.fixture(scope="module")
def deployed() -> dict[str, Any]:
    """The CloudFormation template SAM deploys (after its transform)."""
    sam = os.environ.get("SAM_CLI") or str(ROOT / ".venv-sam" / "bin" / "sam")
    python = Path(sam).parent / "python"
    if not python.exists():
        pytest.skip("aws-sam-cli is not installed (make test installs it in .venv-sam)")
    result = subprocess.run(
        [str(python), "-c", TRANSFORM, str(TEMPLATE)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "SAM_CLI_TELEMETRY": "0"},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    transformed: dict[str, Any] = json.loads(result.stdout)
    return transformed


def evaluate(node: Any, parameters: dict[str, str]) -> Any:
    """The rule functions the template uses (Ref, Fn::Equals, Fn::Not), as CloudFormation does:
    on parameter values as strings."""
    if isinstance(node, dict) and len(node) == 1:
        ((name, args),) = node.items()
        if name == "Ref":
            return parameters[args]
        if name == "Fn::Equals":
            left, right = (evaluate(arg, parameters) for arg in args)
            return str(left) == str(right)
        if name == "Fn::Not":
            return not evaluate(args[0], parameters)
        raise AssertionError(f"rule function not understood here: {name}")
    return node


def rule_failures(template: dict[str, Any], **values: str) -> list[str]:
    """AssertDescriptions of the Rules that refuse these parameter values."""
    parameters = {name: str(p.get("Default", "")) for name, p in template["Parameters"].items()}
    parameters.update(values)
    failures = []
    for rule in template.get("Rules", {}).values():
        if "RuleCondition" in rule and not evaluate(rule["RuleCondition"], parameters):
            continue
        for assertion in rule["Assertions"]:
            if not evaluate(assertion["Assert"], parameters):
                failures.append(assertion["AssertDescription"])
    return failures


def test_snapstart_is_on_for_published_versions_by_default(template: dict[str, Any]) -> None:
    params = template["Parameters"]
    assert params["SnapStart"]["Default"] == "PublishedVersions"
    assert params["SnapStart"]["AllowedValues"] == ["PublishedVersions", "None"]
    assert template["Conditions"]["SnapStartOn"] == {
        "Fn::Equals": [{"Ref": "SnapStart"}, "PublishedVersions"]
    }
    function = template["Globals"]["Function"]
    assert function["Runtime"] in ("python3.12", "python3.13")  # SnapStart for Python: 3.12+
    assert function["SnapStart"] == {
        "ApplyOn": {"Fn::If": ["SnapStartOn", "PublishedVersions", "None"]}
    }
    assert function["AutoPublishAlias"] == "live"


def test_provisioned_concurrency_is_a_parameter_off_by_default(template: dict[str, Any]) -> None:
    assert template["Parameters"]["ProvisionedConcurrency"]["Default"] == 0
    config = template["Resources"]["ReceiverFunction"]["Properties"]["ProvisionedConcurrencyConfig"]
    condition, when_on, when_off = config["Fn::If"]
    assert condition == "HasProvisionedConcurrency"
    assert when_on == {"ProvisionedConcurrentExecutions": {"Ref": "ProvisionedConcurrency"}}
    assert when_off == {"Ref": "AWS::NoValue"}


@pytest.mark.parametrize(
    ("snapstart", "provisioned", "refused"),
    [
        ("PublishedVersions", "0", False),
        ("None", "0", False),
        ("None", "5", False),
        ("PublishedVersions", "5", True),
        ("PublishedVersions", "1", True),
    ],
)
def test_template_refuses_snapstart_with_provisioned_concurrency(
    template: dict[str, Any], snapstart: str, provisioned: str, refused: bool
) -> None:
    failures = rule_failures(template, SnapStart=snapstart, ProvisionedConcurrency=provisioned)
    assert bool(failures) == refused, failures
    if refused:
        assert "SnapStart=None" in failures[0]


def test_defaults_pass_the_rules(template: dict[str, Any]) -> None:
    assert rule_failures(template) == []


def test_every_function_publishes_the_alias_with_snapstart(deployed: dict[str, Any]) -> None:
    resources = deployed["Resources"]
    for name in FUNCTIONS:
        assert resources[name]["Properties"]["SnapStart"] == {
            "ApplyOn": {"Fn::If": ["SnapStartOn", "PublishedVersions", "None"]}
        }
        alias = resources[f"{name}Aliaslive"]
        assert alias["Type"] == "AWS::Lambda::Alias"
        version = alias["Properties"]["FunctionVersion"]["Fn::GetAtt"][0]
        assert resources[version]["Type"] == "AWS::Lambda::Version"
        assert resources[version]["Properties"]["FunctionName"] == {"Ref": name}


def test_http_api_and_sqs_invoke_the_alias_not_latest(deployed: dict[str, Any]) -> None:
    resources = deployed["Resources"]
    alias = "ReceiverFunctionAliaslive"
    paths = resources["WebhookApi"]["Properties"]["Body"]["paths"]
    routes = {(path, method) for path, ops in paths.items() for method in ops}
    # Deliveries, the senders' GET/HEAD handshakes (Meta, Dropbox, Okta, Trello...), health.
    assert routes == {
        ("/webhooks/{source}", "post"),
        ("/webhooks/{source}", "get"),
        ("/webhooks/{source}", "head"),
        ("/health", "get"),
    }
    integrations = [
        op["x-amazon-apigateway-integration"] for p in paths.values() for op in p.values()
    ]
    for integration in integrations:
        assert f"${{{alias}}}/invocations" in integration["uri"]["Fn::Sub"]
    permissions = [r for r in resources.values() if r["Type"] == "AWS::Lambda::Permission"]
    assert permissions
    assert all(p["Properties"]["FunctionName"] == {"Ref": alias} for p in permissions)
    mappings = [r for r in resources.values() if r["Type"] == "AWS::Lambda::EventSourceMapping"]
    assert [m["Properties"]["FunctionName"] for m in mappings] == [
        {"Ref": "WorkerFunctionAliaslive"}
    ]


def test_provisioned_concurrency_lands_on_the_receiver_alias(deployed: dict[str, Any]) -> None:
    alias = deployed["Resources"]["ReceiverFunctionAliaslive"]["Properties"]
    assert alias["ProvisionedConcurrencyConfig"]["Fn::If"][0] == "HasProvisionedConcurrency"
    assert "Rules" in deployed and "SnapStartOrProvisionedConcurrency" in deployed["Rules"]
