"""quarantine.py's limits: a token bucket per process, a size cap, signature failures only."""

from __future__ import annotations

import threading

import pytest

from handler import wiring
from handler.aws import AwsClients
from handler.receive.quarantine import Quarantine, RateLimit
from handler.receive.signatures import PayloadError, SignatureError, SignedRequest
from handler.settings import Settings


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_bucket_allows_a_burst_then_refills_at_its_rate() -> None:
    clock = Clock()
    limit = RateLimit(per_minute=60, clock=clock)
    assert [limit.take() for _ in range(61)] == [True] * 60 + [False]
    clock.now += 0.5  # half a token
    assert limit.take() is False
    clock.now += 0.5
    assert limit.take() is True
    clock.now += 3600  # refills up to the burst, not beyond
    assert sum(limit.take() for _ in range(100)) == 60


def test_a_zero_limit_keeps_nothing() -> None:
    assert RateLimit(per_minute=0, clock=Clock()).take() is False


def test_the_bucket_is_shared_safely_between_threads() -> None:
    limit = RateLimit(per_minute=500, clock=Clock())
    taken: list[bool] = []
    lock = threading.Lock()

    def take_many() -> None:
        results = [limit.take() for _ in range(100)]
        with lock:
            taken.extend(results)

    threads = [threading.Thread(target=take_many) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(taken) == 500  # never more than the bucket held, whatever the interleaving


REQUEST = SignedRequest("POST", "https://h/webhooks/github", {"x-hub-signature-256": "bad"}, b"{}")
WRONG = SignatureError("bad_signature", "no secret matches")


@pytest.fixture
def quarantine(settings: Settings, clients: AwsClients) -> Quarantine:
    limited = settings.model_copy(update={"quarantine_per_minute": 2, "quarantine_max_bytes": 10})
    return Quarantine.from_archive(wiring.archive(settings, clients), limited)


def test_keep_stops_at_the_rate_limit(quarantine: Quarantine) -> None:
    kept = [quarantine.keep("github", REQUEST, WRONG) for _ in range(3)]
    assert [item is not None for item in kept] == [True, True, False]
    assert {item.id for item in quarantine.items("github")} == {i.id for i in kept if i}


def test_keep_refuses_large_bodies_and_other_rejections(quarantine: Quarantine) -> None:
    large = SignedRequest("POST", REQUEST.url, REQUEST.headers, b"x" * 11)
    assert quarantine.keep("github", large, WRONG) is None
    unreadable = PayloadError("invalid_json", "not JSON")
    assert quarantine.keep("github", REQUEST, unreadable) is None
    assert list(quarantine.items("github")) == []
    # Neither used a token: the limit still allows two.
    assert quarantine.keep("github", REQUEST, WRONG) is not None
