"""The wire between the product and the in-memory AWS: latency, faults and botocore's retries.

Every AWS call the product makes goes through `Network.call` as botocore would make it: up to
`max_attempts` attempts (AWS_MAX_ATTEMPTS, standard retry mode), each of which the tape lets
- fail before it takes effect (throttling, a 5xx, a refused connection: nothing happened),
- take effect with its reply lost (a read timeout: it happened, the caller does not know),
- answer slowly, or normally.
botocore retries what it retries (throttling, 5xx, connection errors, read timeouts) after its
jittered backoff; a business error (a failed condition, NoSuchKey) is returned at once. The
calling actor parks at every step, so other actors run in between, and it may crash at each
boundary: before the request takes effect, or after the effect with the reply not yet seen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from ..runtime import Runtime, SimCrash
from .errors import client_error

# What botocore's standard mode retries among the errors the simulator raises.
RETRYABLE_CODES = frozenset(
    {
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "SlowDown",
        "RequestThrottled",
        "InternalError",
        "InternalServerError",
        "ServiceUnavailable",
    }
)

THROTTLE = {"dynamodb": "ProvisionedThroughputExceededException", "s3": "SlowDown"}
SERVER = {"dynamodb": "InternalServerError", "s3": "InternalError"}


@dataclass(frozen=True)
class FaultProfile:
    before: float = 0.0  # per attempt: fails before taking effect
    lost: float = 0.0  # per attempt: takes effect, the reply is lost
    slow: float = 0.0  # per attempt: answers after up to the read timeout
    max_attempts: int = 2
    read_timeout: float = 3.0
    latency: float = 0.02  # the most a normal request or reply takes, each way


Trace = Callable[..., None]


class Network:
    def __init__(self, runtime: Runtime, profile: FaultProfile, trace: Trace) -> None:
        self.rt = runtime
        self.profile = profile
        self.trace = trace
        self.calls = 0
        self.faults = 0
        # Called with (actor, service, operation, request) before the effect of each attempt:
        # the invariant checks look at what the product is about to do.
        self.observe: Callable[[Any, str, str, dict[str, Any]], None] = lambda *a: None

    def call(
        self, service: str, operation: str, request: dict[str, Any], effect: Callable[..., Any]
    ) -> Any:
        actor = self.rt.current
        if actor is None:  # set-up, outside the simulation
            return effect(**request)
        if actor.dead:
            raise SimCrash
        self.calls += 1
        tape, profile, rt = actor.stream, self.profile, self.rt
        label = f"{operation} {_subject(request)}"
        operation_name = operation
        operation = label
        error: BaseException | None = None
        for attempt in range(1, profile.max_attempts + 1):
            rt.wait(tape.uniform(0.001, profile.latency), boundary=f"{operation} before effect")
            if tape.chance(profile.before):
                self.faults += 1
                error = self._before_error(tape, service, operation_name)
                self.trace(actor.name, operation, f"FAULT before effect: {_describe(error)}")
            else:
                self.observe(actor, service, operation_name, request)
                try:
                    result = effect(**request)
                    outcome: BaseException | None = None
                except ClientError as business:
                    result, outcome = None, business
                if tape.chance(profile.lost):
                    self.faults += 1
                    done = "took effect" if outcome is None else f"answered {_describe(outcome)}"
                    self.trace(actor.name, operation, f"FAULT {done}, reply lost")
                    rt.wait(profile.read_timeout, boundary=f"{operation} after effect")
                    error = ReadTimeoutError(endpoint_url=f"https://{service}.amazonaws.com/")
                else:
                    slow = tape.chance(profile.slow)
                    delay = (
                        tape.uniform(profile.latency, profile.read_timeout * 0.9)
                        if slow
                        else tape.uniform(0.001, profile.latency)
                    )
                    rt.wait(delay, boundary=f"{operation} after effect")
                    if outcome is None:
                        self.trace(actor.name, operation, "ok" if not slow else "ok (slow)")
                        return result
                    code = _describe(outcome)
                    if code not in RETRYABLE_CODES:
                        self.trace(actor.name, operation, code)
                        raise outcome
                    error = outcome
            if attempt < profile.max_attempts:
                # botocore's standard mode: full jitter, base 1 s (attempt 1).
                rt.wait(tape.uniform(0.0, min(20.0, 2.0 ** (attempt - 1))), boundary=None)
        assert error is not None
        actor.data["raised"] = actor.data.get("raised", 0) + 1
        if request.get("ConditionExpression") == "#owner = :token":
            # An owner-conditional write (giving a lease back, recording an outcome) that AWS
            # refused every attempt of: this actor may now hold a lease it cannot release.
            failed = actor.data.setdefault("release_failed", {})
            failed[_subject(request)] = failed.get(_subject(request), 0) + 1
        self.trace(actor.name, operation, f"raised after {profile.max_attempts} attempts")
        raise error

    @staticmethod
    def _before_error(tape: Any, service: str, operation: str) -> BaseException:
        kind = tape.below(3)
        if kind == 0:
            return client_error(operation, THROTTLE.get(service, "ThrottlingException"), "", 400)
        if kind == 1:
            return client_error(operation, SERVER.get(service, "InternalError"), "", 500)
        return EndpointConnectionError(endpoint_url=f"https://{service}.amazonaws.com/")


def _subject(request: dict[str, Any]) -> str:
    """What a call is about, for the trace: the item, object or queue."""
    key = request.get("Key")
    if isinstance(key, dict) and "pk" in key:
        return str(key["pk"]["S"])
    item = request.get("Item")
    if isinstance(item, dict) and "pk" in item:
        return str(item["pk"]["S"])
    if isinstance(key, str):
        return key.rsplit("/", 1)[-1]
    url = request.get("QueueUrl")
    if isinstance(url, str):
        return url.rsplit("/", 1)[-1]
    return ""


def _describe(error: BaseException) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code"))
    return type(error).__name__


class FakeClient:
    """A botocore client's face over an in-memory store: `client.put_item(**request)`."""

    def __init__(self, service: str, store: Any, network: Network) -> None:
        self._service = service
        self._store = store
        self._network = network

    def __getattr__(self, operation: str) -> Callable[..., Any]:
        effect = getattr(self._store, operation, None)
        if effect is None or operation.startswith("_"):
            raise AttributeError(f"the simulated {self._service} has no operation {operation}")
        service, network = self._service, self._network

        def call(**request: Any) -> Any:
            return network.call(service, operation, request, effect)

        call.__name__ = operation
        self.__dict__[operation] = call  # next time, no __getattr__
        return call
