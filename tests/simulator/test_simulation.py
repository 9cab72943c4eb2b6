"""The deterministic simulator (simulation/) as part of `make test`: a bounded number of seeds
hold every invariant, a seed replays the same run, the bugs it found stay fixed, and it finds
the bugs put back by its mutations. `make simulate` runs many more seeds; see README.
"""

from __future__ import annotations

import pytest

from simulation.mutations import MUTATIONS
from simulation.runner import run, shrink
from simulation.tape import decode, encode

# Seeds every `make test` runs (each a few to a few dozen deliveries with faults, crashes,
# several receivers and workers): well under a minute on one core.
SEEDS = range(100, 160)


def test_seeds_hold_every_invariant() -> None:
    for seed in SEEDS:
        outcome = run(seed, keep_trace=False)
        assert outcome.violation is None, (
            f"seed {seed}: {outcome.violation} (replay: make simulate ARGS='--seed {seed}')"
        )


def test_a_seed_replays_the_same_run() -> None:
    first, second = run(7), run(7)
    assert first.trace_hash == second.trace_hash
    assert first.aws_calls == second.aws_calls > 0
    assert run(8).trace_hash != first.trace_hash


def test_a_recorded_tape_replays_the_seed() -> None:
    seeded = run(11)
    replayed = run(None, values=decode(encode(seeded.tape)))
    assert replayed.trace_hash == seeded.trace_hash


# The product bugs the simulator found, each as its shrunk schedule. Each schedule breaks its
# invariant with the bug put back (the mutation of the same name) and holds with the fix.
REGRESSIONS = {
    # A forward's retry recorded, then the worker died before its wake-up was sent: the record
    # stayed "pending" and the redelivered previous wake-up was stale (seed 92, shrunk).
    "retry-before-wake-up": (
        "destination at least once",
        "scenario:0=609885577,2=776650835,5=1005010444,6=2534211770,8=3577387887;"
        "sender-0:0=69549;sender-1:0=118578,10=991298989;sender-10:0=238918,12=159322791;"
        "sender-11:0=218215,10=3895751944;"
        "sender-3:0=71665,1=3103744594,4=4097637598,10=3467448126;"
        "sender-4:0=203290,12=1911273442;sender-5:0=188031,10=3556454749;"
        "sender-6:0=236668,4=3459373002,6=4129907920,11=879280273;"
        "sender-7:0=258934,10=3813264704;"
        "sender-8:0=20886,1=2770766140,4=2477886249,10=3883136465;"
        "sender-9:0=114450,1=1315063186,4=3745737479,10=1461225279;sqs:8=733754018;"
        "wake:evt_sim9xdf436b07:1:23=3019540310;"
        "work:00000006-0000-4000-8000-0000ce31d7ca:1:0=1300302474,19=4282473669,20=3789365828;"
        "work:evt_sim3xf43cfcde:1:37=3947230584;"
        "work:evt_sim8x93b18b29:1:84=4063260970,96=4287025092;"
        "work:evt_sim9xdf436b07:1:37=3987131781",
    ),
    # A held forward deferred (its attempt given back), then the worker died before the
    # wake-up: it had taken over a crashed attempt's record, so the redelivered wake-up was
    # stale and the record stayed "pending" (found under seed 436, shrunk).
    "defer-before-wake-up": (
        "destination at least once",
        "poller-0:16=4088650987,81=4188420713,105=4221742334;"
        "scenario:0=2882362578,1=2648372981,2=874464534,3=1881655831,4=2421482275,6=2332252961,15=1942984400;"
        "sender-1:0=894889853,1=1392914347,2=2911074186,3=1026380791,10=319909314;"
        "sender-2:0=1701323376,1=887490040,4=3843903985;"
        "sender-2#0:10=4288696959,12=504616107;"
        "sender-4:0=2017040469,1=2323584721,4=2204568376,10=329711016;"
        "sender-5:0=220013932;"
        "sender-5#0:23=4255190471;"
        "sender-6:0=1314139439,10=784745576;"
        "wake:evt_sim2xe51d51f1:1:2=4133075148,7=4206841077,240=4111779055,266=4231456115,285=4183528766,310=4287101563;"
        "wake:evt_sim2xe51d51f1:2:14=1467238342,20=4270764765;"
        "wake:evt_sim4x83670b38:1:0=1165946851,28=1221998262,33=1321247432,35=1297059257,38=4172068315,40=1873416507,41=1790339955,46=1505234214,48=1678099201,52=2110142310,53=2019556345,55=1417624069,75=4257220987;"
        "work:evt_sim4x83670b38:1:7=1734946240,8=4272505687",
    ),
}


@pytest.mark.parametrize("name", sorted(REGRESSIONS))
def test_found_bugs_stay_fixed(name: str) -> None:
    invariant, tape = REGRESSIONS[name]
    streams = decode(tape)
    broken = run(None, values=streams, mutation=MUTATIONS[name].apply)
    assert broken.invariant == invariant, "the schedule no longer shows the bug"
    fixed = run(None, values=streams)
    assert fixed.violation is None, fixed.violation


@pytest.mark.parametrize("name", ["delete-before-outcome", "release-after-lost-send"])
def test_it_finds_a_reintroduced_bug_and_shrinks_it(name: str) -> None:
    mutation = MUTATIONS[name].apply
    found = next(
        (o for o in (run(seed, mutation=mutation) for seed in range(400)) if o.violation),
        None,
    )
    assert found is not None, f"{name}: not found in 400 seeds"
    shrunk = shrink(found, mutation=mutation, budget_seconds=8)
    assert shrunk.invariant == found.invariant
    assert len(shrunk.trace) <= len(found.trace)
