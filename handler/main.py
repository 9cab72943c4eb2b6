"""Process entry points: `lambda_handler` for API Gateway, `app` for uvicorn.

Everything here runs once per cold start: settings are read, secrets resolved and clients built
before the first delivery arrives. Invalid configuration fails here, naming the source and field.
"""

from __future__ import annotations

from mangum import Mangum

from . import wiring
from .api import create_app
from .aws import AwsClients
from .settings import get_settings

settings = get_settings()
clients = AwsClients.create(settings)
receiver = wiring.receiver(settings, clients, wiring.sources(settings))
app = create_app(receiver, docs=not wiring.on_lambda())
# lifespan="auto" would run startup and shutdown on every invocation; there is nothing to run.
lambda_handler = Mangum(app, lifespan="off")
