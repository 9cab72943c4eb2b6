"""The SAM template is code too: assert the invariants a deployment relies on."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import cfn_yaml  # type: ignore[import-untyped]

from infra import iam

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    loaded: dict[str, Any] = cfn_yaml.load(str(TEMPLATE))
    return loaded


@pytest.fixture(scope="module")
def resources(template: dict[str, Any]) -> dict[str, Any]:
    res: dict[str, Any] = template["Resources"]
    return res


def of_type(resources: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in resources.items() if r["Type"] == type_}


def function_properties(template: dict[str, Any], name: str) -> dict[str, Any]:
    """A function's properties with the Globals.Function defaults applied (shallow)."""
    props = dict(template.get("Globals", {}).get("Function", {}))
    props.update(template["Resources"][name]["Properties"])
    return props


# ----------------------------------------------------------------------------- linters


def test_cfn_lint_is_clean() -> None:
    from cfnlint.api import lint_all  # type: ignore[import-untyped]

    # Errors and warnings, like the cfn-lint CLI by default; informational rules (I*) are advice.
    matches = [m for m in lint_all(TEMPLATE.read_text()) if not m.rule.id.startswith("I")]
    assert [str(m) for m in matches] == []
    stateful = [m for m in lint_all(TEMPLATE.read_text()) if m.rule.id == "I3011"]
    assert [str(m) for m in stateful] == [], "set DeletionPolicy/UpdateReplacePolicy explicitly"


def test_sam_validate_lint() -> None:
    # SAM pins its own boto3, so `make` installs it in a venv of its own (.venv-sam).
    sam = os.environ.get("SAM_CLI") or shutil.which("sam")
    if sam is None:
        pytest.skip("aws-sam-cli is not installed (make test installs it in .venv-sam)")
    result = subprocess.run(
        [sam, "validate", "--lint", "--template-file", str(TEMPLATE)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "SAM_CLI_TELEMETRY": "0"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is a valid SAM Template" in result.stdout + result.stderr


# ----------------------------------------------------------------------------- functions


def test_functions_are_the_receiver_and_worker(template: dict[str, Any]) -> None:
    functions = of_type(template["Resources"], "AWS::Serverless::Function")
    handlers = {name: function_properties(template, name)["Handler"] for name in functions}
    assert handlers == {
        "ReceiverFunction": "handler.main.lambda_handler",
        "WorkerFunction": "handler.worker_main.lambda_handler",
    }


def test_every_handler_resolves_to_a_module_file(template: dict[str, Any]) -> None:
    for name in of_type(template["Resources"], "AWS::Serverless::Function"):
        handler = function_properties(template, name)["Handler"]
        module, _, attribute = handler.rpartition(".")
        assert module and attribute.isidentifier(), handler
        path = ROOT.joinpath(*module.split("."))
        assert path.with_suffix(".py").is_file() or (path / "__init__.py").is_file(), handler
        for package in module.split(".")[:-1]:
            assert (ROOT / package / "__init__.py").is_file(), f"{package} is not a package"


def test_runtime_architecture_and_sizes_are_parameters(template: dict[str, Any]) -> None:
    params = template["Parameters"]
    assert params["Architecture"]["AllowedValues"] == ["x86_64", "arm64"]
    assert params["Architecture"]["Default"] == "x86_64"
    for name, memory, timeout in (
        ("ReceiverFunction", "ReceiverMemorySize", "ReceiverTimeout"),
        ("WorkerFunction", "WorkerMemorySize", "WorkerTimeout"),
    ):
        props = function_properties(template, name)
        assert props["Runtime"] == "python3.13"
        assert props["Architectures"] == [{"Ref": "Architecture"}]
        assert props["MemorySize"] == {"Ref": memory}
        assert props["Timeout"] == {"Ref": timeout}
    # An HTTP API integration gives up after 30 s.
    assert params["ReceiverTimeout"]["MaxValue"] < 30


def test_package_is_built_by_the_clean_makefile(template: dict[str, Any]) -> None:
    """handler/ + requirements + .pyc only: the makefile build, never a copy of the project."""
    makefile = ROOT / "infra" / "lambda" / "Makefile"
    text = makefile.read_text()
    for name in of_type(template["Resources"], "AWS::Serverless::Function"):
        metadata = template["Resources"][name]["Metadata"]
        assert metadata == {"BuildMethod": "makefile", "ContextPath": "infra/lambda"}
        assert re.search(rf"^[^#\n]*\bbuild-{name}\b[^\n]*:", text, re.M), name
    assert "compileall" in text
    assert "cp -R handler " in text
    for forbidden in ("tests", ".venv", "events"):
        assert not re.search(rf"(cp|rsync)[^\n]*\b{re.escape(forbidden)}\b", text)


def test_http_api_routes_use_payload_v2(resources: dict[str, Any]) -> None:
    events = resources["ReceiverFunction"]["Properties"]["Events"]
    routes = {
        (e["Properties"]["Method"], e["Properties"]["Path"]): e["Properties"]
        for e in events.values()
        if e["Type"] == "HttpApi"
    }
    assert set(routes) == {
        ("POST", "/webhooks/{source}"),
        ("GET", "/webhooks/{source}"),  # the handshakes senders make before sending anything
        ("HEAD", "/webhooks/{source}"),  # Trello's
        ("GET", "/health"),
    }
    for props in routes.values():
        assert props["PayloadFormatVersion"] == "2.0"
        assert props["ApiId"] == {"Ref": "WebhookApi"}
    assert resources["WebhookApi"]["Type"] == "AWS::Serverless::HttpApi"


def test_environment_declares_every_setting(template: dict[str, Any]) -> None:
    env = template["Globals"]["Function"]["Environment"]["Variables"]
    expected = {
        "WEBHOOK_SOURCES",
        "ARCHIVE_BUCKET",
        "WORK_QUEUE_URL",
        "IDEMPOTENCY_TABLE",
        "MAX_BODY_BYTES",
        "CLAIM_CHECK_BYTES",
        "DEDUP_TTL_SECONDS",
        "ACK_POLICY",
        "ARCHIVE_MODE",
        "LOG_LEVEL",
        "POWERTOOLS_SERVICE_NAME",
        "POWERTOOLS_METRICS_NAMESPACE",
        "AWS_ENDPOINT_URL",
    }
    assert expected <= set(env)
    # `sam local --env-vars` can only override declared variables; in AWS it must stay empty.
    assert env["AWS_ENDPOINT_URL"] == {"Ref": "AwsEndpointUrl"}
    assert template["Parameters"]["AwsEndpointUrl"]["Default"] == ""
    assert env["ARCHIVE_BUCKET"] == {"Ref": "ArchiveBucket"}
    assert env["WORK_QUEUE_URL"] == {"Ref": "WorkQueue"}
    assert env["IDEMPOTENCY_TABLE"] == {"Ref": "IdempotencyTable"}


# ----------------------------------------------------------------------------- secrets


def test_sources_config_is_a_reference_never_a_secret(template: dict[str, Any]) -> None:
    param = template["Parameters"]["SourcesConfig"]
    pattern = re.compile(param["AllowedPattern"])
    assert pattern.match(param["Default"])
    assert pattern.match("secretsmanager:webhook-receiver/sources")
    assert not pattern.match('{"github": {"secret": "hunter2"}}')
    env = template["Globals"]["Function"]["Environment"]["Variables"]
    assert env["WEBHOOK_SOURCES"] == {"Ref": "SourcesConfig"}


def test_no_secret_material_in_template() -> None:
    text = TEMPLATE.read_text()
    for pattern in (r"whsec_", r"sk_live_", r"AKIA[0-9A-Z]{16}", r"-----BEGIN", r"xox[bp]-"):
        assert not re.search(pattern, text), pattern
    # Dynamic references would put a secret's value into the stack (and maybe its outputs).
    assert "{{resolve:" not in text


# ----------------------------------------------------------------------------- IAM


def test_functions_use_their_own_roles(resources: dict[str, Any]) -> None:
    """SAM's implicit roles attach AWSLambdaSQSQueueExecutionRole (sqs:* on "*"): avoid them."""
    for name in ("ReceiverFunction", "WorkerFunction"):
        props = resources[name]["Properties"]
        assert "Policies" not in props
        role = props["Role"]
        assert role == {"Fn::GetAtt": [name.replace("Function", "Role"), "Arn"]}
        role_props = resources[role["Fn::GetAtt"][0]]["Properties"]
        assert "ManagedPolicyArns" not in role_props


def test_no_wildcard_data_permissions(resources: dict[str, Any]) -> None:
    allows = list(iam.allow_statements(resources))
    assert allows, "no Allow statements found"
    for name, statement in allows:
        assert iam.wildcard_grants(statement) == [], (name, statement)


def test_iam_grants_exactly_what_each_function_needs(resources: dict[str, Any]) -> None:
    def grants(role: str) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for s in iam.statements(resources[role]["Properties"]["Policies"]):
            for action in iam.as_list(s["Action"]):
                out.setdefault(action.partition(":")[0], set()).add(action)
        return out

    receiver = grants("ReceiverRole")
    assert receiver["dynamodb"] == {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
    }
    assert receiver["sqs"] == {"sqs:SendMessage"}
    assert receiver["s3"] == {"s3:PutObject"}
    assert receiver["ssm"] == {"ssm:GetParameter"}
    assert receiver["secretsmanager"] == {"secretsmanager:GetSecretValue"}

    worker = grants("WorkerRole")
    assert worker["s3"] == {"s3:GetObject", "s3:PutObject"}
    assert worker["dynamodb"] == {"dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:PutItem"}
    # SendMessage, ssm and secretsmanager only with Destinations=Enabled (both Fn::If branches
    # are read here): the wake-ups, the destinations' dead-letters, the config and its secrets.
    assert worker["sqs"] == {
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:GetQueueAttributes",
        "sqs:SendMessage",
    }
    assert worker["ssm"] == {"ssm:GetParameter"}
    assert worker["secretsmanager"] == {"secretsmanager:GetSecretValue"}
    for statement in resources["WorkerRole"]["Properties"]["Policies"][0]["PolicyDocument"][
        "Statement"
    ]:
        if "Fn::If" in statement:
            assert statement["Fn::If"][0] in {"ForwardsDestinations", "ForwardsWithKmsKey"} or (
                statement["Fn::If"][1].get("Sid") == "Tracing"
            )


def test_config_permissions_are_scoped_to_the_configured_names(resources: dict[str, Any]) -> None:
    for role in ("ReceiverRole", "WorkerRole"):
        statements = {s.get("Sid"): s for s in iam.statements(resources[role]["Properties"])}
        ssm = json.dumps(statements["SourcesConfigParameters"]["Resource"])
        secrets = json.dumps(statements["SigningSecrets"]["Resource"])
        assert ":parameter${ConfigParameterPath}*" in ssm
        assert ":secret:${SecretsNamePrefix}*" in secrets


def test_data_permissions_target_this_stacks_resources(resources: dict[str, Any]) -> None:
    expected = {
        "dynamodb": {"Fn::GetAtt": ["IdempotencyTable", "Arn"]},
        "sqs": {"Fn::GetAtt": ["WorkQueue", "Arn"]},
        "s3": {"Fn::Sub": "${ArchiveBucket.Arn}/*"},
    }
    for role in ("ReceiverRole", "WorkerRole"):
        for s in iam.statements(resources[role]["Properties"]):
            services = {a.partition(":")[0] for a in iam.as_list(s["Action"])}
            for service, resource in expected.items():
                if s.get("Sid") == "ForwardDeadLetters":
                    resource = {"Fn::GetAtt": ["DestinationsDeadLetterQueue", "Arn"]}
                if service in services:
                    assert s["Resource"] == resource, (role, s)


# ----------------------------------------------------------------------------- storage


def test_bucket_encrypted_private_and_tls_only(resources: dict[str, Any]) -> None:
    bucket = resources["ArchiveBucket"]["Properties"]
    rule = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    policies = [
        p
        for p in of_type(resources, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": "ArchiveBucket"}
    ]
    assert len(policies) == 1
    denies = [
        s
        for s in policies[0]["Properties"]["PolicyDocument"]["Statement"]
        if s["Effect"] == "Deny"
        and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") in ("false", False)
    ]
    assert denies, "no TLS-only statement"
    covered = json.dumps(denies[0]["Resource"])
    assert "ArchiveBucket" in covered and "/*" in covered


def test_bucket_lifecycle_is_a_parameter(
    template: dict[str, Any], resources: dict[str, Any]
) -> None:
    rules = resources["ArchiveBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert '"ExpirationInDays": {"Ref": "ArchiveRetentionDays"}' in json.dumps(rules)
    assert "ArchiveRetentionDays" in template["Parameters"]


def test_idempotency_table_ttl_pitr_on_demand(resources: dict[str, Any]) -> None:
    table = resources["IdempotencyTable"]["Properties"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert table["AttributeDefinitions"] == [{"AttributeName": "pk", "AttributeType": "S"}]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert table["SSESpecification"]["SSEEnabled"] is True


def test_dedup_ttl_outlives_the_longest_retry_horizon(template: dict[str, Any]) -> None:
    three_days = 3 * 24 * 3600
    assert template["Parameters"]["DedupTtlSeconds"]["Default"] > three_days


# ----------------------------------------------------------------------------- queues


def test_work_queue_redrives_to_an_encrypted_dlq(resources: dict[str, Any]) -> None:
    queue = resources["WorkQueue"]["Properties"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["DeadLetterQueue", "Arn"]
    }
    assert queue["RedrivePolicy"]["maxReceiveCount"] == {"Ref": "MaxReceiveCount"}
    assert queue["SqsManagedSseEnabled"] is True
    dlq = resources["DeadLetterQueue"]["Properties"]
    assert dlq["SqsManagedSseEnabled"] is True
    # The DLQ keeps messages as long as SQS allows, longer than the source queue.
    assert dlq["MessageRetentionPeriod"] == 1209600 > queue["MessageRetentionPeriod"]


def test_visibility_timeout_is_six_times_the_worker_timeout(template: dict[str, Any]) -> None:
    queue = template["Resources"]["WorkQueue"]["Properties"]
    assert queue["VisibilityTimeout"] == {
        "Fn::FindInMap": [
            "WorkerTimeoutToVisibility",
            {"Ref": "WorkerTimeout"},
            "VisibilityTimeout",
        ]
    }
    mapping = template["Mappings"]["WorkerTimeoutToVisibility"]
    allowed = template["Parameters"]["WorkerTimeout"]["AllowedValues"]
    largest_window = template["Parameters"]["WorkerBatchingWindowSeconds"]["MaxValue"]
    assert {str(t) for t in allowed} == set(mapping)
    for timeout in allowed:
        visibility = mapping[str(timeout)]["VisibilityTimeout"]
        assert visibility >= 6 * int(timeout) + largest_window, timeout
        assert visibility <= 43200
    assert str(template["Parameters"]["WorkerTimeout"]["Default"]) in mapping


def test_worker_reports_batch_item_failures(resources: dict[str, Any]) -> None:
    events = resources["WorkerFunction"]["Properties"]["Events"]
    sqs = [e["Properties"] for e in events.values() if e["Type"] == "SQS"]
    assert len(sqs) == 1
    assert sqs[0]["Queue"] == {"Fn::GetAtt": ["WorkQueue", "Arn"]}
    assert sqs[0]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert sqs[0]["BatchSize"] == {"Ref": "WorkerBatchSize"}
    assert sqs[0]["MaximumBatchingWindowInSeconds"] == {"Ref": "WorkerBatchingWindowSeconds"}


# ----------------------------------------------------------------------------- alarms, outputs


def test_alarms_cover_dlq_depth_receiver_5xx_and_worker_errors(resources: dict[str, Any]) -> None:
    alarms = [a["Properties"] for a in of_type(resources, "AWS::CloudWatch::Alarm").values()]

    def find(namespace: str, metric: str, dimension_value: Any) -> list[dict[str, Any]]:
        return [
            a
            for a in alarms
            if a["Namespace"] == namespace
            and a["MetricName"] == metric
            and any(d["Value"] == dimension_value for d in a["Dimensions"])
        ]

    assert find(
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        {"Fn::GetAtt": ["DeadLetterQueue", "QueueName"]},
    )
    assert find("AWS/ApiGateway", "5xx", {"Ref": "WebhookApi"})
    assert find("AWS/Lambda", "Errors", {"Ref": "WorkerFunction"})
    assert find(
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        {"Fn::GetAtt": ["DestinationsDeadLetterQueue", "QueueName"]},
    )
    for alarm in alarms:
        assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
        assert alarm["TreatMissingData"] == "notBreaching"


def test_outputs_name_every_resource_a_user_needs(template: dict[str, Any]) -> None:
    outputs = template["Outputs"]
    for name in (
        "WebhookBaseUrl",
        "HealthUrl",
        "WebhookApiId",
        "ReceiverFunctionName",
        "WorkerFunctionName",
        "WorkQueueUrl",
        "DeadLetterQueueUrl",
        "ArchiveBucketName",
        "IdempotencyTableName",
    ):
        assert name in outputs, name
    assert outputs["WebhookBaseUrl"]["Value"]["Fn::Sub"].startswith("https://${WebhookApi}.")
    assert outputs["WebhookBaseUrl"]["Value"]["Fn::Sub"].endswith("/webhooks")
    assert outputs["ArchiveBucketName"]["Value"] == {"Ref": "ArchiveBucket"}


def test_outputs_expose_no_secret(template: dict[str, Any]) -> None:
    text = json.dumps(template["Outputs"])
    assert "resolve:secretsmanager" not in text and "resolve:ssm-secure" not in text
    assert "SecretString" not in text


# ----------------------------------------------------------------------------- leases


def test_processing_lease_ends_before_the_work_queue_dead_letters(template: dict[str, Any]) -> None:
    """handler/store/leases.py's rule for every worker timeout the template allows and the smallest,
    default and largest maxReceiveCount: a crashed worker's deliveries are never dead-lettered."""
    from handler.store.leases import lease_problem

    parameters = template["Parameters"]
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["PROCESSING_LEASE_SECONDS"] == {"Ref": "WorkerTimeout"}
    worker = template["Resources"]["WorkerFunction"]["Properties"]
    assert worker["Timeout"] == {"Ref": "WorkerTimeout"}
    assert worker["Environment"]["Variables"]["WORKER_TIMEOUT_SECONDS"] == {"Ref": "WorkerTimeout"}
    queue = template["Resources"]["WorkQueue"]["Properties"]
    assert queue["VisibilityTimeout"] == {
        "Fn::FindInMap": [
            "WorkerTimeoutToVisibility",
            {"Ref": "WorkerTimeout"},
            "VisibilityTimeout",
        ]
    }
    assert queue["RedrivePolicy"]["maxReceiveCount"] == {"Ref": "MaxReceiveCount"}
    receives = parameters["MaxReceiveCount"]
    mapping = template["Mappings"]["WorkerTimeoutToVisibility"]
    checked = 0
    for timeout in parameters["WorkerTimeout"]["AllowedValues"]:
        visibility = int(mapping[str(timeout)]["VisibilityTimeout"])
        for max_receive in (receives["MinValue"], receives["Default"], receives["MaxValue"]):
            lease = int(timeout)  # PROCESSING_LEASE_SECONDS = WorkerTimeout
            assert lease_problem(lease, visibility, int(max_receive), int(timeout)) is None, (
                timeout,
                max_receive,
            )
            checked += 1
    assert checked == 3 * len(parameters["WorkerTimeout"]["AllowedValues"])


def test_worker_may_send_a_busy_message_back_for_its_lease(resources: dict[str, Any]) -> None:
    """The worker calls ChangeMessageVisibility on a busy record (handler/process/worker.py)."""
    statements = resources["WorkerRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    consume = next(s for s in statements if s.get("Sid") == "ConsumeWork")
    assert "sqs:ChangeMessageVisibility" in consume["Action"]
    assert "sqs:GetQueueAttributes" in consume["Action"]
    assert consume["Resource"] == {"Fn::GetAtt": ["WorkQueue", "Arn"]}


def test_sam_local_queue_matches_the_templates_default(template: dict[str, Any]) -> None:
    """`make sam-api`/`sam-invoke` create the queue the deployed worker would read its lease
    rule from: the template's visibility for the default WorkerTimeout."""
    from infra.sam_local import TEMPLATE_VISIBILITY_TIMEOUT

    default = str(template["Parameters"]["WorkerTimeout"]["Default"])
    mapping = template["Mappings"]["WorkerTimeoutToVisibility"][default]
    assert int(mapping["VisibilityTimeout"]) == TEMPLATE_VISIBILITY_TIMEOUT
