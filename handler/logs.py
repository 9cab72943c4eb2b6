"""One structured JSON logger for the receiver and the worker (Powertools).

Lines carry the delivery id and source; bodies and secrets are never logged.
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger

# Logs and metrics carry the same service name (Powertools' own default is "service_undefined").
SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "webhook-receiver")

logger = Logger(
    service=SERVICE,
    level=os.environ.get("LOG_LEVEL", "INFO"),
)
