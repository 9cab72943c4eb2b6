"""Errors the user can act on: the CLI prints one line, the console shows the message."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from botocore.exceptions import ClientError


class CliError(Exception):
    """An error the user can act on: printed as one line, never with a traceback."""

    exit_code = 1


class NotFound(CliError):
    pass


class UsageError(CliError):
    exit_code = 2


def aws_message(error: ClientError) -> str:
    code = str(error.response.get("Error", {}).get("Code", ""))
    message = str(error.response.get("Error", {}).get("Message", ""))
    names = {
        "NoSuchBucket": "the archive bucket does not exist (ARCHIVE_BUCKET)",
        "NoSuchKey": "the archived object is missing",
        "AWS.SimpleQueueService.NonExistentQueue": "the queue does not exist (WORK_QUEUE_URL)",
        "QueueDoesNotExist": "the queue does not exist (WORK_QUEUE_URL)",
        "ResourceNotFoundException": "the idempotency table does not exist (IDEMPOTENCY_TABLE)",
        "AccessDenied": "access denied",
        "AccessDeniedException": "access denied",
    }
    return (
        f"{names.get(code, code or 'AWS error')}: {message}" if message else names.get(code, code)
    )
