"""Process entry points: `lambda_handler` for API Gateway, `app` for uvicorn.

Everything here runs once per cold start: settings are read, secrets resolved and clients built
before the first delivery arrives. Invalid configuration fails here, naming the source and field.
On Lambda the after-response extension registers here too: the Extensions API only accepts
registrations during init. With SnapStart all of this is in the snapshot; `_after_restore`
renews what a restored environment must not share (handler/snapstart.py).
"""

from __future__ import annotations

from mangum import Mangum

from handler.receive.api import create_app
from handler.receive.lambda_ext import AckFirst, AfterResponse, start_extension

from . import metrics, snapstart, wiring
from .aws import AwsClients
from .settings import get_settings

settings = get_settings()
clients = AwsClients.create(settings)
receiver = wiring.receiver(settings, clients, wiring.sources(settings))
on_lambda = wiring.on_lambda()
# Outside Lambda (uvicorn, tests) BackgroundTasks already run after the response: nothing to do.
after_response = AfterResponse() if on_lambda else None
app = create_app(receiver, docs=not on_lambda, after_response=after_response, inline_io=on_lambda)
# lifespan="auto" would run startup and shutdown on every invocation; there is nothing to run.
_mangum = Mangum(app, lifespan="off")
extension = start_extension(after_response) if after_response is not None else None
lambda_handler = (
    AckFirst(_mangum, after_response, extension) if after_response is not None else _mangum
)


def _after_restore() -> None:
    """SnapStart (handler/snapstart.py): new clients, a fresh rate limit, a new long poll."""
    clients.renew()
    app.state.quarantine.limit.reset()
    if extension is not None and after_response is not None:
        extension.restored(after_response)


snapstart.after_restore(_after_restore)
# Lambda context and cold_start on every log line, and the ColdStart metric (Powertools).
lambda_handler = metrics.lambda_entry(lambda_handler)
