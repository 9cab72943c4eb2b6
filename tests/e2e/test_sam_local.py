"""The built Lambda package in real `sam local` containers, against a moto server on the host.

One module-wide setup (infra/sam_local.py, as `make sam-api` uses it): a Docker engine (started
if none runs, stopped afterwards if started here), the offline stand-in base image, a moto server
on the Docker bridge with the resources and the sources JSON in SSM, and one `sam build` into a
temporary directory. Events are generated fresh (signed events go stale). Skipped, with the
reason, only where no Docker engine can be started.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from infra import events as sample
from infra import sam_local
from infra.processes import free_port
from webhook_sim.senders import sign

pytestmark = [pytest.mark.docker, pytest.mark.e2e]


def test_sources_parameter_is_the_templates_default() -> None:
    from cfnlint.decode import cfn_yaml  # type: ignore[import-untyped]

    template = cfn_yaml.load(str(sam_local.ROOT / "template.yaml"))
    default = template["Parameters"]["SourcesConfig"]["Default"]
    assert default == f"ssm:{sam_local.SOURCES_PARAMETER}"


def test_env_vars_override_only_variables_the_template_declares() -> None:
    from cfnlint.decode import cfn_yaml

    template = cfn_yaml.load(str(sam_local.ROOT / "template.yaml"))
    declared = template["Globals"]["Function"]["Environment"]["Variables"]
    resources = sam_local.Resources("b", "http://172.17.0.1:5000/123456789012/q", "d", "t")
    variables = sam_local.function_environment(resources, 5000)
    assert set(variables) <= set(declared)
    assert variables["WORK_QUEUE_URL"] == "http://host.docker.internal:5000/123456789012/q"


class SamLocal:
    def __init__(self, cloud: sam_local.LocalCloud, build_dir: Path, events_dir: Path) -> None:
        self.cloud = cloud
        self.build_dir = build_dir
        self.events_dir = events_dir

    def event(self, name: str) -> tuple[dict[str, Any], Path]:
        """`name` generated now (signed events go stale), and its file."""
        events = sample.generate(time.time())
        path = sample.write({name: events[name]}, self.events_dir)[0]
        return events[name], path

    def invoke(self, name: str) -> Any:
        event, path = self.event(name)
        function = sample.function_for(event)
        result = sam_local.sam_invoke(function, path, self.cloud.env_vars, self.build_dir)
        assert result.returncode == 0 and result.response is not None, result.stderr[-3000:]
        return result.response

    def status(self, source: str, delivery_id: str) -> str | None:
        """The delivery's dedup record's status: "claimed" once the receiver made it durable (its
        message sent; nothing is written after that until a worker holds it)."""
        assert self.cloud.resources is not None
        item = (
            self.cloud.client("dynamodb")
            .get_item(
                TableName=self.cloud.resources.table,
                Key={"pk": {"S": f"{source}#{delivery_id}"}},
                ConsistentRead=True,
            )
            .get("Item")
        )
        return None if item is None else str(item["status"]["S"])

    def wait_for_keys(self, suffix: str, timeout: float = 5.0) -> list[str]:
        """The worker archives a delivery as it handles its message: poll S3 briefly."""
        deadline = time.monotonic() + timeout
        while True:
            keys = [k for k in self.cloud.archive_keys() if k.endswith(suffix)]
            if keys or time.monotonic() > deadline:
                return keys
            time.sleep(0.2)


@pytest.fixture(scope="module")
def sam(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SamLocal]:
    sam_binary = Path(sam_local.sam_binary())
    if not sam_binary.exists():
        pytest.skip(f"aws-sam-cli is not installed at {sam_binary} (make test installs it)")
    workdir = tmp_path_factory.mktemp("sam-local")
    build_dir = workdir / "build"
    cloud = sam_local.LocalCloud(
        env_vars=workdir / "env.json", log_file=workdir / "moto.log", aws_port=None
    )
    # `sam build` while the engine, the image and moto start (as `make sam-invoke` does).
    with ThreadPoolExecutor(1) as pool:
        early = pool.submit(sam_local.sam_build, build_dir, quiet=True)
        try:
            cloud.start()
        except sam_local.DockerUnavailable as error:
            print(f"\nsam local tests skipped: {error}")
            pytest.skip(f"no Docker engine could be started: {error}")
        try:
            try:
                seconds = early.result()
            except RuntimeError:  # no CPython 3.13 here: the .pyc needed the image, there now
                seconds = sam_local.sam_build(build_dir, quiet=True)
            print(f"\nsam build: {seconds:.1f}s")
            yield SamLocal(cloud, build_dir, workdir / "events")
        finally:
            cloud.stop()


@pytest.mark.parametrize("source", ["github", "stripe", "slack", "standard"])
def test_invoke_valid_delivery_is_accepted_and_queued(sam: SamLocal, source: str) -> None:
    """The 202 follows the claim and the message; the worker, not the receiver, archives it."""
    queued = sam.cloud.queued()
    response = sam.invoke(f"{source}-valid")
    assert response["statusCode"] == 202, response
    body = json.loads(response["body"])
    assert body["status"] == "accepted"
    assert sam.status(source, body["id"]) == "claimed"
    assert sam.cloud.queued() == queued + 1
    assert not sam.wait_for_keys(f"/{body['id']}.delivery", timeout=0)


@pytest.mark.parametrize("source", ["github", "stripe", "slack", "standard"])
def test_invoke_tampered_delivery_is_refused(sam: SamLocal, source: str) -> None:
    response = sam.invoke(f"{source}-tampered")
    assert response["statusCode"] == 401, response
    assert json.loads(response["body"])["error"]


def test_invoke_stale_delivery_is_refused(sam: SamLocal) -> None:
    assert sam.invoke("stripe-stale")["statusCode"] == 401


def test_invoke_unknown_source_is_404(sam: SamLocal) -> None:
    assert sam.invoke("unknown-source")["statusCode"] == 404


def test_invoke_slack_url_verification_answers_the_challenge(sam: SamLocal) -> None:
    response = sam.invoke("slack-url-verification")
    assert response["statusCode"] == 200, response
    assert json.loads(response["body"])["challenge"].startswith("challenge-")


def test_invoke_whatsapp_subscribe_get_answers_the_challenge_and_queues_nothing(
    sam: SamLocal,
) -> None:
    """A GET handshake through the packaged Lambda (API Gateway routes GET /webhooks/{source} to
    the receiver): the challenge as text; nothing is queued or archived."""
    event, path = sam.event("whatsapp-subscribe")
    queued = sam.cloud.queued()
    function = sample.function_for(event)
    result = sam_local.sam_invoke(function, path, sam.cloud.env_vars, sam.build_dir)
    assert result.returncode == 0 and result.response is not None, result.stderr[-3000:]
    response = result.response
    assert response["statusCode"] == 200, response
    assert response["body"] == event["queryStringParameters"]["hub.challenge"]
    assert response["headers"]["content-type"].startswith("text/plain")
    assert sam.cloud.queued() == queued


def test_invoke_sender_shaped_acks_and_the_delivery_is_queued(sam: SamLocal) -> None:
    """In the Lambda package too: Slack's empty 200 and Discord's deferred response, each
    after the delivery was made durable."""
    slack = sam.invoke("slack-slash-command")
    assert slack["statusCode"] == 200 and not slack.get("body"), slack
    discord = sam.invoke("discord-interaction")
    assert discord["statusCode"] == 200 and json.loads(discord["body"]) == {"type": 5}
    for source, response in (("slack", slack), ("discord", discord)):
        delivery_id = response["headers"]["x-delivery-id"]
        assert sam.status(source, delivery_id) == "claimed", delivery_id


def test_invoke_worker_reports_exactly_the_poison_record(sam: SamLocal) -> None:
    event, _ = sam.event("sqs-batch-poison")
    poison = [r["messageId"] for r in event["Records"] if '"poison"' in r["body"]]
    response = sam.invoke("sqs-batch-poison")
    assert response == {"batchItemFailures": [{"itemIdentifier": poison[0]}]}
    # The good records were processed: the worker archived each, once, in its one object.
    for record in event["Records"]:
        if record["messageId"] not in poison:
            assert sam.wait_for_keys(f"/{json.loads(record['body'])['id']}.delivery")


def test_start_api_signed_post_is_accepted_queued_and_deduplicated(sam: SamLocal) -> None:
    port = free_port()
    log = sam.events_dir.parent / "start-api.log"
    with log.open("ab") as output:
        api = sam_local.start_api(
            port, sam.cloud.env_vars, sam.build_dir, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        base_url = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base_url, timeout=120) as http:
            started = time.monotonic()
            assert http.get("/health").status_code == 200  # starts the container
            print(f"\nsam local start-api first request: {time.monotonic() - started:.2f}s")
            body = json.dumps({"zen": "Keep it logically awesome.", "n": uuid.uuid4().hex})
            url, headers = _github(base_url, body.encode())
            started = time.monotonic()
            first = http.post(url, content=body, headers=headers)
            print(f"signed POST: {time.monotonic() - started:.3f}s")
            assert first.status_code == 202, first.text
            assert sam.status("github", first.json()["id"]) == "claimed"
            second = http.post(url, content=body, headers=headers)
            assert second.status_code == 200, second.text
            assert second.json()["status"] == "duplicate"
    finally:
        sam_local.stop_api(api)
    assert api.returncode is not None


def _github(base_url: str, body: bytes) -> tuple[str, dict[str, str]]:
    signed = sign(
        sample.demo_sources()["github"],
        body,
        base_url=base_url,
        event_type="push",
        sender_id=str(uuid.uuid4()),
    )
    return signed.url, signed.headers


def test_package_is_built_for_the_templates_python(sam: SamLocal) -> None:
    """.pyc and compiled wheels for the template's runtime only: the containers import them (a
    cp313 extension module cannot load in another Python), so the invocations above ran on it."""
    from cfnlint.decode import cfn_yaml

    template = cfn_yaml.load(str(sam_local.ROOT / "template.yaml"))
    runtime = template["Globals"]["Function"]["Runtime"]  # "python3.13"
    tag = "cpython-" + runtime.removeprefix("python").replace(".", "")
    package = sam.build_dir / "ReceiverFunction"
    compiled = {p.name.split(".")[1] for p in package.rglob("__pycache__/*.pyc")}
    assert compiled == {tag}, compiled
    extensions = {p.name.split(".")[1] for p in package.glob("pydantic_core/*.so")}
    assert extensions and all(name.startswith(tag) for name in extensions), extensions
