"""botocore's own exceptions, shaped as botocore raises them for each AWS answer."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError


def client_error(
    operation: str, code: str, message: str = "", status: int = 400, **extra: Any
) -> ClientError:
    response: dict[str, Any] = {
        "Error": {"Code": code, "Message": message or code},
        "ResponseMetadata": {"HTTPStatusCode": status},
        **extra,
    }
    return ClientError(response, operation)  # type: ignore[arg-type]


def with_metadata(response: dict[str, Any], status: int = 200) -> dict[str, Any]:
    response["ResponseMetadata"] = {"HTTPStatusCode": status, "RetryAttempts": 0}
    return response
