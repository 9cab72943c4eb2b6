"""What the `webhooks` commands and the console do, without any terminal: find, send, replay,
redrive, release. One module per concern; `Operations` joins them on one shared context (the
settings, AWS clients and wired parts, built once per command or console)."""

from .context import Context, Outcome, cli_settings
from .deliveries import ArchivedDelivery, Deliveries
from .dlq import DeadLetter, DeadLetterQueue
from .errors import CliError, NotFound, UsageError, aws_message
from .inputs import parse_time, read_ids
from .quarantine import Releases
from .replay import Replays
from .sending import Answer, post, sign_delivery


class Operations(Replays, DeadLetterQueue, Releases):
    """Every operation on one context: `Operations()` reads the environment's settings."""


__all__ = [
    "Answer",
    "ArchivedDelivery",
    "CliError",
    "Context",
    "DeadLetter",
    "Deliveries",
    "NotFound",
    "Operations",
    "Outcome",
    "UsageError",
    "aws_message",
    "cli_settings",
    "parse_time",
    "post",
    "read_ids",
    "sign_delivery",
]
