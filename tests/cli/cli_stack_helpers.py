"""The handle CLI tests get on the running stack (started by conftest.py), and small helpers."""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner

from handler import wiring
from handler.aws import AwsClients
from handler.process.worker import Worker
from handler.settings import Settings
from infra.local_worker import poll_once
from support import RunningStack
from webhooks_cli import app


def archived_key(s3: Any, bucket: str, source: str, delivery_id: str) -> str:
    """The delivery's one archive object (`<id>.delivery`)."""
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=f"archive/{source}/")
    return next(
        str(item["Key"])
        for item in listing.get("Contents", [])
        if item["Key"].endswith(f"/{delivery_id}.delivery")
    )


class CliStack(RunningStack):
    """The running stack, plus the CLI run in-process with its environment."""

    def cli(self, *args: str, env: dict[str, str | None] | None = None) -> Any:
        """Run `webhooks ARGS` in-process with the stack's environment."""
        return CliRunner().invoke(app, list(args), env={**self.env, **(env or {})})

    def cli_json(self, *args: str, env: dict[str, str | None] | None = None) -> Any:
        result = self.cli(*args, "--json", env=env)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    def worker(self) -> Worker:
        settings = Settings(
            archive_bucket=self.resources.bucket,
            work_queue_url=self.resources.queue_url,
            idempotency_table=self.resources.table,
        )
        clients = AwsClients(
            s3=self.client("s3"), sqs=self.client("sqs"), dynamodb=self.client("dynamodb")
        )
        return Worker(wiring.dedup_table(settings, clients), wiring.archive(settings, clients))

    def drain(self) -> tuple[int, int]:
        """What the worker Lambda would do: process the work queue until it is empty."""
        worker, sqs = self.worker(), self.client("sqs")
        arn = sqs.get_queue_attributes(
            QueueUrl=self.resources.queue_url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        total = (0, 0)
        while True:
            done, failed = poll_once(worker, sqs, self.resources.queue_url, arn, wait_seconds=0)
            if not done and not failed:
                return total
            total = (total[0] + done, total[1] + failed)

    def record(self, source: str, delivery_id: str) -> dict[str, Any]:
        item = self.client("dynamodb").get_item(
            TableName=self.resources.table, Key={"pk": {"S": f"{source}#{delivery_id}"}}
        )["Item"]
        return {name: next(iter(value.values())) for name, value in item.items()}
