"""Reconcile what the senders were told with what the system did.

Every delivery that got a 2xx must be archived byte-exact (a `.delivery` object: read back, every
one, through the product's own reader; the pair of the layout before it: ETag = MD5 of the body
for every one, a full read-back of a sample) and have exactly one effect; one that never got a
2xx may be missing, but may not have two effects either. Effects come from the effects file
written by the workers (infra/reliability/effects.py). Every delivery counted as lost or doubled
comes with its evidence (infra/reliability/evidence.py), so that a failure explains itself.
"""

from __future__ import annotations

import random
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from handler.store.archive import Archive, ArchiveFormatError

from .evidence import flatten, log_mentions, read_journal, verdict
from .senders import Delivery
from .stack import Stack

MAX_EVIDENCE = 50


@dataclass
class Effects:
    effects: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    commits: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def read(cls, path: Path) -> Effects:
        found = cls()
        if not path.exists():
            return found
        for line in path.read_text().splitlines():
            parts = line.split(" ", 2)
            if len(parts) != 3:
                continue
            pid, kind, key = int(parts[0]), parts[1], parts[2]
            (found.effects if kind == "effect" else found.commits)[key].append(pid)
        return found

    def doubles(self, key: str, killed: set[int]) -> tuple[int, int]:
        """(double effects, effects re-run after a worker died between effect and commit)."""
        effects = self.effects.get(key, [])
        commits = Counter(self.commits.get(key, []))
        crash_reruns = 0
        for pid in effects:
            if pid in killed and commits[pid] == 0:
                crash_reruns += 1
        explained = min(crash_reruns, max(len(effects) - 1, 0))
        extra = max(len(effects) - 1 - explained, 0)
        return max(extra, sum(commits.values()) - 1, 0), explained


def wait_drained(stack: Stack, timeout: float) -> bool:
    """Until the work queue is empty (visible and in flight) or `timeout` seconds pass."""
    assert stack.resources is not None
    sqs = stack.client("sqs")
    deadline = time.monotonic() + timeout
    quiet = 0
    while time.monotonic() < deadline:
        attributes = sqs.get_queue_attributes(
            QueueUrl=stack.resources.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        if sum(int(value) for value in attributes.values()) == 0:
            quiet += 1
            if quiet >= 2:
                return True
        else:
            quiet = 0
        time.sleep(0.5)
    return False


def queue_depth(stack: Stack, url: str) -> int:
    attributes = stack.client("sqs").get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(value) for value in attributes.values())


def archive_index(stack: Stack) -> dict[str, dict[str, str]]:
    """'source#id' -> {"delivery": etag, "delivery_key": key} (or, in the layout before it,
    {"body": etag, "json": etag, "body_key": key, ...}) under archive/."""
    assert stack.resources is not None
    s3 = stack.client("s3")
    index: dict[str, dict[str, str]] = defaultdict(dict)
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=stack.resources.bucket, Prefix="archive/"):
        for item in page.get("Contents", []):
            parts = item["Key"].split("/")
            if len(parts) != 6:
                continue
            source, name = parts[1], parts[5]
            delivery_id, _, suffix = name.rpartition(".")
            if suffix not in ("delivery", "body", "json"):
                continue
            index[f"{source}#{delivery_id}"][suffix] = item["ETag"].strip('"')
            index[f"{source}#{delivery_id}"][suffix + "_key"] = item["Key"]
    return index


def read_archived(stack: Stack, keys: list[str]) -> dict[str, bytes | None]:
    """Each `.delivery` object's body as the product's reader returns it (None: unreadable)."""
    assert stack.resources is not None
    archive = Archive(stack.client("s3"), stack.resources.bucket)

    def body(key: str) -> bytes | None:
        try:
            return archive.read(key).body
        except ArchiveFormatError:
            return None

    with ThreadPoolExecutor(8) as pool:
        return dict(zip(keys, pool.map(body, keys), strict=True))


@dataclass
class Reconciliation:
    deliveries: int = 0
    acked: int = 0
    unacked: int = 0
    attempts: int = 0
    lost: int = 0  # acked but not processed, or not archived byte-exact
    not_processed: int = 0
    not_archived: int = 0
    archive_mismatch: int = 0
    double_effects: int = 0
    crash_reruns: int = 0  # effect re-run after a worker died between effect and commit
    unacked_processed: int = 0  # allowed: e.g. killed after the SQS send, before the answer
    unknown_effects: int = 0  # effects for deliveries nobody sent: forged or corrupt
    wrong_ids: int = 0
    sampled_bytes_checked: int = 0
    drained: bool = False
    dlq_depth: int = 0
    examples: list[str] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)  # per lost/doubled delivery
    statuses: Counter[int] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["statuses"] = {str(k): v for k, v in sorted(self.statuses.items())}
        return data


def reconcile(
    stack: Stack,
    deliveries: list[Delivery],
    *,
    drain_timeout: float,
    sample: int = 100,
    known_keys: set[str] | None = None,
) -> tuple[Reconciliation, dict[str, Reconciliation]]:
    """The whole ledger and its breakdown by cell."""
    assert stack.resources is not None
    deliveries = [d for d in deliveries if d.attempts > 0]  # the rest were never sent
    total = Reconciliation()
    total.drained = wait_drained(stack, drain_timeout)
    total.dlq_depth = queue_depth(stack, stack.resources.dlq_url)
    index = archive_index(stack)
    effects = Effects.read(stack.effects_file)
    killed = set(stack.killed_pids)
    by_cell: dict[str, Reconciliation] = defaultdict(Reconciliation)
    sent_keys = {d.key for d in deliveries} | (known_keys or set())
    s3 = stack.client("s3")
    rng = random.Random(7)
    sampled = set(rng.sample(range(len(deliveries)), min(sample, len(deliveries))))
    archived_bodies = read_archived(
        stack,
        [
            index[d.key]["delivery_key"]
            for d in deliveries
            if d.acked and "delivery" in index.get(d.key, {})
        ],
    )
    suspects: list[tuple[Delivery, str, str]] = []  # (delivery, lost|doubled, problems)
    for position, delivery in enumerate(deliveries):
        cell = by_cell[delivery.cell]
        problems: list[str] = []
        doubles, reruns = effects.doubles(delivery.key, killed)
        committed = len(effects.commits.get(delivery.key, []))
        for ledger in (total, cell):
            ledger.deliveries += 1
            ledger.attempts += delivery.attempts
            ledger.statuses.update(delivery.statuses)
            ledger.double_effects += doubles
            ledger.crash_reruns += reruns
            ledger.wrong_ids += delivery.wrong_id
        if doubles:
            problems.append(f"{doubles} double effect(s)")
        if delivery.acked:
            archived = index.get(delivery.key, {})
            # An effect is what counts: its "processed" record may be in DynamoDB even when the
            # worker never saw the write acknowledged (reset after forwarding), so no commit line.
            not_processed = not effects.effects.get(delivery.key)
            if "delivery" in archived:  # one object: its body read back, for every delivery
                not_archived = False
                stored_body = archived_bodies.get(archived["delivery_key"])
                mismatch = stored_body != delivery.body
                total.sampled_bytes_checked += 1
            else:
                not_archived = "body" not in archived or "json" not in archived
                mismatch = not not_archived and archived["body"] != delivery.md5
            if "delivery" not in archived and not not_archived and position in sampled:
                stored = s3.get_object(Bucket=stack.resources.bucket, Key=archived["body_key"])
                mismatch = mismatch or stored["Body"].read() != delivery.body
                total.sampled_bytes_checked += 1
            for ledger in (total, cell):
                ledger.acked += 1
                ledger.not_processed += not_processed
                ledger.not_archived += not_archived
                ledger.archive_mismatch += mismatch
                ledger.lost += not_processed or not_archived or mismatch
            if not_processed:
                problems.append("acked, never processed")
            if not_archived:
                problems.append("acked, not archived")
            if mismatch:
                problems.append("archive differs from the body sent")
        else:
            for ledger in (total, cell):
                ledger.unacked += 1
                ledger.unacked_processed += bool(effects.effects.get(delivery.key)) or committed > 0
        if problems and len(total.examples) < 20:
            total.examples.append(f"{delivery.cell} {delivery.key}: {', '.join(problems)}")
        if problems and len(suspects) < MAX_EVIDENCE:
            kind = "doubled" if doubles and problems[1:] == [] else "lost"
            suspects.append((delivery, kind, ", ".join(problems)))
    for key in set(effects.effects) | set(effects.commits):
        if key not in sent_keys:
            total.unknown_effects += 1
            if len(total.examples) < 20:
                total.examples.append(f"effect for a delivery nobody sent: {key}")
    for cell in by_cell.values():
        cell.drained, cell.dlq_depth = total.drained, total.dlq_depth
    total.evidence = gather_evidence(stack, suspects, index, effects, total.drained)
    return total, dict(by_cell)


def gather_evidence(
    stack: Stack,
    suspects: list[tuple[Delivery, str, str]],
    index: dict[str, dict[str, str]],
    effects: Effects,
    drained: bool,
) -> list[dict[str, Any]]:
    """For each lost or doubled delivery: its dedup record, archive objects, effects, what SQS
    did with its messages, the log lines naming it, and a verdict drawn from those."""
    if not suspects:
        return []
    assert stack.resources is not None
    dynamodb = stack.client("dynamodb")
    journal = stack.journal_file.exists()
    trails = read_journal(stack.journal_file)
    logs = [path for path in stack.log_paths() if path.stem in ("receiver", "worker")]
    mentions = log_mentions(logs, {delivery.id for delivery, _, _ in suspects})
    found = []
    for delivery, kind, problems in suspects:
        item = dynamodb.get_item(
            TableName=stack.resources.table, Key={"pk": {"S": delivery.key}}, ConsistentRead=True
        ).get("Item")
        record = flatten(item)
        if record is not None:
            record.pop("outcome", None)  # the processor's result: long, and not evidence
        trail = trails[delivery.key]
        effect_pids = effects.effects.get(delivery.key, [])
        found.append(
            {
                "key": delivery.key,
                "cell": delivery.cell,
                "problems": problems,
                "statuses": delivery.statuses,
                "verdict": verdict(kind, trail, record, len(effect_pids), drained, journal),
                "dedup": record,
                "archive": sorted(
                    v for k, v in index.get(delivery.key, {}).items() if k.endswith("_key")
                ),
                "effects": effect_pids,
                "commits": effects.commits.get(delivery.key, []),
                "messages": trail.as_dict(),
                "logs": dict(mentions.get(delivery.id, {})),
            }
        )
    return found
