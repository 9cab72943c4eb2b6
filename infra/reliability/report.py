"""Verdicts from a run's report, and the table printed at the end."""

from __future__ import annotations

from typing import Any

from .evidence import describe

TARGETS = {"faults": 10_000, "load": 20_000, "fuzz": 100_000}


def verdicts(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    full = report["plan"]["name"] == "full"
    faults = report["faults"]["ledger"]
    dup = report["duplicates"]
    load = report["load"]
    fuzz = report["fuzz"]
    memory = report["memory"]
    secrets = report["secrets"]
    iam = report["iam"]
    forwards = report["destinations"]

    def ledger_ok(ledger: dict[str, Any]) -> bool:
        return bool(
            ledger["lost"] == 0
            and ledger["double_effects"] == 0
            and ledger["unknown_effects"] == 0
            and ledger["wrong_ids"] == 0
            and ledger["drained"]
            and ledger["dlq_depth"] == 0
        )

    out = {
        "faults": {
            "ok": ledger_ok(faults) and not report["faults"]["chaos_errors"],
            "count": faults["deliveries"],
        },
        "duplicates": {"ok": ledger_ok(dup), "count": dup["deliveries"]},
        "fuzz": {
            "ok": fuzz["http"]["server_errors"] == 0
            and fuzz["http"]["forged_accepted"] == 0
            and fuzz["parsers"]["forged_accepted"] == 0
            and fuzz["parsers"]["unexpected_errors"] == 0
            and fuzz["healthy_after"],
            "count": fuzz["cases"],
        },
        "load": {
            "ok": load["errors"] == 0 and ledger_ok(load["ledger"]),
            "count": load["sent"],
        },
        "memory": {"ok": memory["server_errors"] == 0 and memory["healthy_after"]},
        "destinations": {
            "ok": forwards["lost"] == 0
            and forwards["drained"]
            and forwards["bad_signatures"] == 0
            and forwards["acked"] == forwards["sent"]
            # a SIGKILL can repeat the attempts its worker had in flight (one per delivery),
            # never more
            and forwards["extra_2xx"] <= forwards["worker_kills"] * forwards["in_flight_per_worker"]
            and forwards["most_extra_for_one_id"] <= forwards["worker_kills"],
            "count": forwards["sent"],
        },
        "secrets": {"ok": secrets["hits_logs_and_responses"] == 0},
        "iam": {"ok": (not iam.get("checked")) or iam["wildcards"] == 0},
    }
    for name, target in TARGETS.items():
        out[name]["target"] = target if full else None
        out[name]["target_met"] = (out[name]["count"] >= target) if full else None
    return out


def _row(cells: list[str], widths: list[int]) -> str:
    return " | ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))


def render(report: dict[str, Any]) -> str:
    v = report["verdicts"]
    faults = report["faults"]
    ledger = faults["ledger"]
    dup = report["duplicates"]
    load = report["load"]
    fuzz = report["fuzz"]
    memory = report["memory"]
    secrets = report["secrets"]
    iam = report["iam"]
    genuine = fuzz["http"]["genuine_accepted"]
    fwd = report["destinations"]

    def ok(name: str) -> str:
        verdict = v[name]
        text = "PASS" if verdict["ok"] else "FAIL"
        if verdict.get("target_met") is False:  # invariants held, but on too few deliveries
            text = f"{text}, BELOW TARGET {verdict['target']:,}"
        return text

    rows = [
        ["scenario", "result", "figures"],
        [
            "fault matrix",
            ok("faults"),
            f"{ledger['deliveries']:,} deliveries, {len(faults['cells'])} cells, "
            f"{ledger['attempts']:,} attempts; acked {ledger['acked']:,}, lost {ledger['lost']}, "
            f"double effects {ledger['double_effects']}, unacked {ledger['unacked']} "
            f"({ledger['unacked_processed']} processed anyway), crash re-runs "
            f"{ledger['crash_reruns']}; receiver kills {faults['receiver_kills']}, worker kills "
            f"{faults['worker_kills']}; drained {ledger['drained']}, DLQ {ledger['dlq_depth']}",
        ],
        [
            "duplicate storms",
            ok("duplicates"),
            f"{dup['deliveries']:,} deliveries x3 ({dup['copies_sent']:,} copies, "
            f"{dup['copies_acked']:,} acked), receiver restarts {dup['receiver_restarts']}; "
            f"lost {dup['lost']}, double effects {dup['double_effects']}",
        ],
        [
            "bad input",
            ok("fuzz"),
            f"{fuzz['cases']:,} cases (HTTP {fuzz['http']['cases']:,}, parsers "
            f"{fuzz['parsers']['cases']:,}); 5xx {fuzz['http']['server_errors']}, forged "
            f"accepted {fuzz['http']['forged_accepted'] + fuzz['parsers']['forged_accepted']}, "
            f"parser crashes {fuzz['parsers']['unexpected_errors']}, genuine accepted "
            f"{genuine}/{genuine + fuzz['http']['genuine_refused']}, "
            f"healthy after {fuzz['healthy_after']}",
        ],
        [
            f"load (c={report['plan']['load_concurrency']})",
            ok("load"),
            f"{load['sent']:,} deliveries in {load['seconds']} s ({load['per_second']}/s), "
            f"errors {load['errors']}, ack p50 {load['p50_ms']} ms / p99 {load['p99_ms']} ms "
            f"(senders held {load['paused_seconds']} s for queue backlog); "
            f"archived+processed once: lost {load['ledger']['lost']}, double "
            f"{load['ledger']['double_effects']}, drained {load['ledger']['drained']}",
        ],
        [
            "flapping destination",
            ok("destinations"),
            f"{fwd['sent']:,} deliveries forwarded to a destination answering 503 to "
            f"{fwd['answered_503']:,} of {fwd['requests']:,} requests, worker kills "
            f"{fwd['worker_kills']}: acked {fwd['acked']:,}, effects {fwd['effects']:,}, lost "
            f"{fwd['lost']}, extra 2xx (deduped by webhook-id) {fwd['extra_2xx']}, bad "
            f"signatures {fwd['bad_signatures']}, drained {fwd['drained']} in {fwd['seconds']} s",
        ],
        [
            "oversize / slow",
            ok("memory"),
            f"declared {dict(memory['oversize_declared'])}, chunked "
            f"{dict(memory['oversize_chunked'])}, {memory['slow_bodies']} slow bodies "
            f"(health {memory['health_during_slow_ms']} ms); receiver peak RSS "
            f"{(memory['rss_peak_kib'] or 0) / 1024:.0f} MiB (before "
            f"{(memory['rss_before_kib'] or 0) / 1024:.0f} MiB)",
        ],
        [
            "secrets",
            ok("secrets"),
            f"{secrets['secret_values']} values in {secrets['items_scanned']:,} items "
            f"({secrets['bytes_scanned'] / 1e6:.1f} MB): logs+responses "
            f"{secrets['hits_logs_and_responses']}, archive at rest {secrets['hits_at_rest']}",
        ],
        [
            "IAM",
            ok("iam"),
            (
                f"{iam['statements']} Allow statements, {iam['wildcards']} wildcard data grants"
                if iam.get("checked")
                else f"skipped: {iam.get('reason')}"
            ),
        ],
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(2)] + [0]
    lines = [_row(rows[0], widths), "-" * 110]
    lines += [_row(r, widths) for r in rows[1:]]
    lines.append(f"\n{report['plan']['name']} run, seed {report['seed']}: {report['seconds']} s")
    cells = faults["cells"]
    lines.append("\nfault cells: deliveries / acked / lost / double / seconds")
    for name, cell in cells.items():
        lines.append(
            f"  {name:<22} {cell['deliveries']:>6} {cell['acked']:>6} {cell['lost']:>4} "
            f"{cell['double_effects']:>4} {cell['seconds']:>7}"
        )
    examples = ledger["examples"] + fuzz["http"]["examples"] + fuzz["parsers"]["examples"]
    if examples:
        lines.append("\nexamples:")
        lines += [f"  {e}" for e in examples[:20]]
    evidence = ledger.get("evidence", []) + load["ledger"].get("evidence", [])
    if evidence:
        lines.append("\nevidence, for every delivery counted as lost or doubled:")
        for found in evidence:
            lines += describe(found)
    return "\n".join(lines)
