"""A destination's switches and circuit: one item, changed only by conditional writes.

destination#<source>#<destination>   circuit (closed, open, half_open), failures, paused,
                                      disabled, and the reason an operator reads
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from handler.aws import condition_failed, update_if

from .items import TableItems, number, plain

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


def state_key(source: str, destination: str) -> str:
    return f"destination#{source}#{destination}"


@dataclass(frozen=True)
class DestinationState:
    circuit: str = CLOSED
    failures: int = 0
    open_until: float = 0.0
    probe_until: float = 0.0
    paused: bool = False
    disabled: bool = False
    reason: str = ""

    @property
    def label(self) -> str:
        """What an operator reads: disabled and paused first, then the circuit."""
        if self.disabled:
            return "disabled"
        if self.paused:
            return "paused"
        return self.circuit


class Switches(TableItems):
    def state(self, source: str, destination: str) -> DestinationState:
        item = self.get(state_key(source, destination)) or {}
        return DestinationState(
            circuit=str(item.get("circuit", CLOSED)),
            failures=int(item.get("failures", 0)),
            open_until=float(item.get("open_until", 0)),
            probe_until=float(item.get("probe_until", 0)),
            paused=bool(item.get("paused", False)),
            disabled=bool(item.get("disabled", False)),
            reason=str(item.get("reason", "")),
        )

    def claim_probe(self, source: str, destination: str, now: float, lease: float) -> bool:
        """Half-open: exactly one worker sends the probe once the open period is over."""
        return self._conditional_state(
            source,
            destination,
            "SET circuit = :half, probe_until = :lease",
            "(circuit = :open AND open_until <= :now) OR (circuit = :half AND probe_until < :now)",
            {
                ":half": {"S": HALF_OPEN},
                ":open": {"S": OPEN},
                ":now": number(now),
                ":lease": number(now + lease),
            },
        )

    def close_circuit(self, source: str, destination: str) -> str | None:
        """After a success: closed, failures forgotten. Returns the circuit it was in if it was
        not already closed and clean (then the caller logs the closing); else None (no write)."""
        try:
            response = self.dynamodb.update_item(
                TableName=self.table,
                Key={"pk": {"S": state_key(source, destination)}},
                UpdateExpression="SET circuit = :closed, failures = :zero",
                ConditionExpression="circuit <> :closed OR failures > :zero",
                ExpressionAttributeValues={":closed": {"S": CLOSED}, ":zero": {"N": "0"}},
                ReturnValues="ALL_OLD",
            )
        except ClientError as error:
            if not condition_failed(error):
                raise
            return None
        return str(plain(response.get("Attributes", {})).get("circuit", CLOSED))

    def count_failure(
        self, source: str, destination: str, *, threshold: int, open_seconds: float, now: float
    ) -> bool:
        """One more consecutive failure; True if this one opened (or re-opened) the circuit."""
        response = self.dynamodb.update_item(
            TableName=self.table,
            Key={"pk": {"S": state_key(source, destination)}},
            UpdateExpression="SET circuit = if_not_exists(circuit, :closed) ADD failures :one",
            ExpressionAttributeValues={":closed": {"S": CLOSED}, ":one": {"N": "1"}},
            ReturnValues="ALL_NEW",
        )
        new = plain(response["Attributes"])
        if new["circuit"] == OPEN or (new["circuit"] == CLOSED and new["failures"] < threshold):
            return False
        # Closed at the threshold, or a failed probe (half-open): open, once, whoever wins.
        return self._conditional_state(
            source,
            destination,
            "SET circuit = :open, open_until = :until",
            "circuit = :was",
            {
                ":open": {"S": OPEN},
                ":until": number(now + open_seconds),
                ":was": {"S": str(new["circuit"])},
            },
        )

    def set_switch(self, source: str, destination: str, name: str, on: bool, reason: str) -> None:
        """pause / disable (on) or resume (off: also closes the circuit and clears failures)."""
        if on:
            expression, values = (
                f"SET {name} = :on, reason = :reason",
                {":on": {"BOOL": True}, ":reason": {"S": reason}},
            )
        else:
            expression = (
                "SET paused = :off, disabled = :off, circuit = :closed, failures = :zero,"
                " reason = :reason"
            )
            values = {
                ":off": {"BOOL": False},
                ":closed": {"S": CLOSED},
                ":zero": {"N": "0"},
                ":reason": {"S": reason},
            }
        self.dynamodb.update_item(
            TableName=self.table,
            Key={"pk": {"S": state_key(source, destination)}},
            UpdateExpression=expression,
            ExpressionAttributeValues=values,
        )

    def _conditional_state(
        self, source: str, destination: str, expression: str, condition: str, values: Any
    ) -> bool:
        return update_if(
            self.dynamodb,
            TableName=self.table,
            Key={"pk": {"S": state_key(source, destination)}},
            UpdateExpression=expression,
            ConditionExpression=condition,
            ExpressionAttributeValues=values,
        )
