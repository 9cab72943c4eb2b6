"""Found by `make reliability`: a secret that travels as a header is stored with the delivery.

GitLab's X-Gitlab-Token *is* the configured secret (GitLab sends it verbatim, nothing is
signed). The receiver keeps every header except credentials in the SQS envelope and in the
archive's meta, so the token ends up at rest in S3 and in the queue: anyone who can read the
archive can forge GitLab deliveries. It must be dropped like Authorization is.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from handler.aws import AwsClients
from handler.process.worker import Worker
from handler.store.archive import delivery_key
from handler.store.queue import Envelope
from infra.resources import Resources
from support import SOURCES, body_for, sign


def test_gitlab_token_is_not_archived_or_queued(
    client: TestClient, clients: AwsClients, resources: Resources, worker: Worker
) -> None:
    token = SOURCES["gitlab"].secrets[0]
    body = body_for("gitlab", "Push Hook")
    url, headers = sign("gitlab", body, delivery_id="gitlab-secret-at-rest-1")
    assert headers["x-gitlab-token"] == token
    response = client.post(url, content=body, headers=headers)
    assert response.status_code == 202, response.text

    [message] = clients.sqs.receive_message(QueueUrl=resources.queue_url, MaxNumberOfMessages=10)[
        "Messages"
    ]
    envelope = Envelope.model_validate_json(message["Body"])
    assert token not in message["Body"], "the GitLab token is in the SQS message"

    worker.handle(envelope)  # the worker archives it
    key = delivery_key("gitlab", envelope.id, envelope.received_at)
    stored = clients.s3.get_object(Bucket=resources.bucket, Key=key)["Body"].read()
    assert token.encode() not in stored, "the GitLab token is in the archive"
    assert "x-gitlab-token" not in worker.archive.read(key).meta["headers"]
