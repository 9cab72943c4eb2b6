"""The HTTP front door: POST /webhooks/{source}, GET/HEAD /webhooks/{source} (the handshakes
some senders make before they send anything) and GET /health, errors as JSON.

The route reads the raw body (bounded), hands it to the Receiver, answers, and schedules the
work after the ack (under ACK_POLICY=instant the hand-off; the per-minute counts of duplicates
and refusals, handler/store/tally.py) as a FastAPI background task. Under uvicorn those run after
the response is sent; on Lambda, `after_response` takes them (handler/receive/lambda_ext.py) so
that the handler returns first. A delivery accepted under ACK_POLICY=durable leaves no work
after its ack: the worker archives it from its message.
"""

import time
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from fastapi import BackgroundTasks, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from handler import metrics
from handler.errors import BodyTooLarge, HandoffFailed, ReceiverError, UnknownSource
from handler.logs import logger
from handler.store.tally import UNKNOWN_SOURCE, rejected

from .ingest import Accepted, Handshake, Receiver
from .quarantine import Quarantine
from .signatures import Reply, SignatureError, SignedRequest, VerificationError


def error_response(
    status: int, error: str, detail: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": error, "detail": detail}, status_code=status, headers=headers)


def rejection(source: str, error: VerificationError) -> JSONResponse:
    """A delivery refused by its scheme (401/415/422): logged and counted by reason."""
    logger.info("rejected", extra={"reason": error.reason})
    metrics.delivery_rejected(source, error.reason)
    return error_response(error.status, error.reason, error.detail)


def reply_response(reply: Reply, headers: dict[str, str] | None = None) -> Response:
    """A sender-shaped answer: a handshake, or the ack a sender requires."""
    if reply.headers:
        headers = {**reply.headers, **(headers or {})}
    if reply.body is None:
        return Response(status_code=reply.status, headers=headers)
    if isinstance(reply.body, str):
        return Response(reply.body, reply.status, headers, media_type=reply.media_type)
    return JSONResponse(reply.body, reply.status, headers=headers)


def acknowledgement(accepted: Accepted, status: int, label: str) -> Response:
    """Our ack, or the one the sender requires (Slack forms, Discord interactions, Twilio's
    TwiML); the id in a header either way."""
    headers = {"X-Delivery-Id": accepted.envelope.id}
    if accepted.reply is not None:
        return reply_response(accepted.reply, headers)
    delivery = {"id": accepted.envelope.id, "source": accepted.envelope.source, "status": label}
    return JSONResponse(delivery, status, headers=headers)


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refused as soon as it is known to exceed `limit`, never buffered past it."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise ReceiverError("Content-Length is not a number")
        if int(declared) > limit:
            raise BodyTooLarge(f"the body exceeds {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge(f"the body exceeds {limit} bytes")
            chunks.append(chunk)
    except ClientDisconnect:
        raise ReceiverError("the client disconnected before sending the whole body") from None
    return b"".join(chunks)


def signed_request(request: Request, body: bytes) -> SignedRequest:
    headers = {name: value for name, value in request.headers.items()}
    return SignedRequest(method=request.method, url=str(request.url), headers=headers, body=body)


class Deferrer(Protocol):
    def defer(self, background: Any) -> None: ...


def deferring_route(after_response: Deferrer) -> type[APIRoute]:
    """A route class whose responses carry no background: their tasks go to `after_response`.

    FastAPI gathers the tasks of the route and of every (sub-)dependency into one
    BackgroundTasks and sets it as `response.background` before the response is called; taking
    it here, in order and with the arguments bound, is the hook that needs no patching.
    """

    class DeferringRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handle = super().get_route_handler()

            async def handle_then_defer(request: Request) -> Response:
                response = await handle(request)
                if response.background is not None:
                    after_response.defer(response.background)
                    response.background = None
                return response

            return handle_then_defer

    return DeferringRoute


def create_app(
    receiver: Receiver,
    *,
    docs: bool = True,
    after_response: Deferrer | None = None,
    inline_io: bool = False,
) -> FastAPI:
    """`after_response` (Lambda only) runs background tasks once the handler has returned.

    `inline_io` (Lambda only): an environment serves one request at a time, so the blocking
    hand-off may run on the event loop; a thread hop would only add latency there.
    """
    app = FastAPI(
        title="Webhook receiver",
        openapi_url="/openapi.json" if docs else None,
        docs_url="/docs" if docs else None,
        redoc_url=None,
    )
    if after_response is not None:
        app.router.route_class = deferring_route(after_response)
    inline = inline_io or receiver.settings.ack_policy == "instant"

    quarantine = Quarantine.from_archive(receiver.archive, receiver.settings)
    app.state.quarantine = quarantine  # its rate limit is reset after a SnapStart restore

    def refusal(source: str, reason: str) -> tuple[str, str, float]:
        """`receiver.count`'s arguments for a refusal, counted per minute after the response
        (the console charts refusals by reason)."""
        known = source if source in receiver.sources else UNKNOWN_SOURCE
        return known, rejected(reason), receiver.clock()

    @app.post("/webhooks/{source}", status_code=202)
    async def receive_webhook(
        source: str,
        request: Request,
        background_tasks: BackgroundTasks,
    ) -> Response:
        started = time.perf_counter()
        receiver.source(source)  # 404 before reading a byte of the body
        metrics.add_delivery_log_keys(source=source)
        body = await read_body(request, receiver.settings.max_body_bytes)
        signed = signed_request(request, body)
        try:
            if inline:  # instant: verification only, no I/O before the ack; or on Lambda
                result = receiver.receive(source, signed)
            else:
                # boto3 blocks: keep it off the event loop so a slow AWS call cannot stall the rest.
                result = await run_in_threadpool(receiver.receive, source, signed)
        except SignatureError as error:
            # Kept after the 401 (capped, rate-limited) for re-verification after a secret fix.
            # Returned, not raised: a raised error would drop the background task.
            background_tasks.add_task(quarantine.keep, source, signed, error)
            background_tasks.add_task(receiver.count, *refusal(source, error.reason))
            return rejection(source, error)
        if isinstance(result, Handshake):
            return reply_response(result.reply)
        metrics.add_delivery_log_keys(delivery_id=result.envelope.id)
        if result.duplicate:
            logger.info("duplicate delivery")
            metrics.delivery_acked(source, duplicate=True, started=started)
            background_tasks.add_task(receiver.after_duplicate, result)
            return acknowledgement(result, 200, "duplicate")
        logger.info("accepted", extra={"bytes": len(body)})
        metrics.delivery_acked(source, duplicate=False, started=started)
        if not result.handed_off:
            # ACK_POLICY=instant: the hand-off after the response (a plain task: a dependency
            # for it cost ~60 µs a call).
            background_tasks.add_task(receiver.after_ack, result)
        return acknowledgement(result, 202, "accepted")

    @app.api_route("/webhooks/{source}", methods=["GET", "HEAD"])
    async def answer_handshake(source: str, request: Request) -> Response:
        """Handshakes that come as a GET (Meta's hub.challenge, Dropbox, Okta) or a HEAD
        (Trello): answered by the source's sender, never enqueued; 405 for a source whose
        sender has none."""
        receiver.source(source)  # 404 for an unknown source
        signed = signed_request(request, b"")
        try:
            answered = receiver.handshake(source, signed)
        except VerificationError as error:
            response = rejection(source, error)
            # In the route: on Lambda the deferring route class moves this after the response.
            response.background = BackgroundTask(receiver.count, *refusal(source, error.reason))
            return response
        if answered is None:
            return error_response(
                405,
                "method_not_allowed",
                f"source {source!r} answers no handshake on {request.method}; deliveries are POSTs",
                {"Allow": "POST"},
            )
        logger.info("handshake answered", extra={"method": request.method})
        return reply_response(answered.reply)

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "sources": len(receiver.sources)}

    @app.exception_handler(ReceiverError)
    async def receiver_error(request: Request, error: ReceiverError) -> JSONResponse:
        # A path naming no source must not become a metric dimension (unbounded values).
        source = "-" if isinstance(error, UnknownSource) else request.path_params.get("source", "-")
        headers = {"Retry-After": str(error.retry_after)} if error.retry_after else None
        if isinstance(error, HandoffFailed):
            metrics.handoff_failed(source, "handoff")
            return error_response(error.status, error.error, error.detail, headers)
        if isinstance(error, VerificationError):
            response = rejection(source, error)
        else:
            metrics.delivery_rejected(source, error.error)
            response = error_response(error.status, error.error, error.detail, headers)
        # Raised, so answered outside the route: on Lambda its count is deferred here.
        task = BackgroundTask(receiver.count, *refusal(source, error.error))
        if after_response is not None:
            after_response.defer(task)
        else:
            response.background = task
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in error.errors())
        return error_response(422, "invalid_request", f"invalid fields: {fields}")

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        names = {404: "not_found", 405: "method_not_allowed"}
        return error_response(
            error.status_code,
            names.get(error.status_code, "http_error"),
            str(error.detail),
            dict(error.headers) if error.headers else None,
        )

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, error: Exception) -> JSONResponse:
        # A bug, not bad input; log it with its traceback, never send one.
        logger.exception("unexpected error", extra={"path": request.url.path})
        return error_response(500, "internal_error", "an unexpected error occurred")

    return app
