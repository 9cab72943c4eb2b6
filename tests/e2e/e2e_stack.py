"""The handle e2e tests get on the running stack (started by conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import httpx

from infra.resources import Resources


@dataclass
class Stack:
    aws_url: str
    base_url: str
    resources: Resources
    env: dict[str, str]
    log: Path

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.aws_url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=30)
