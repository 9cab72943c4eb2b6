"""One structured JSON logger for the receiver and the worker (Powertools).

Lines carry the delivery id and source; bodies and secrets are never logged.
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger

logger = Logger(
    service=os.environ.get("POWERTOOLS_SERVICE_NAME", "webhook-receiver"),
    level=os.environ.get("LOG_LEVEL", "INFO"),
)
