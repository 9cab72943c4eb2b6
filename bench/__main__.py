"""`make bench` / `python -m bench [--quick] [--only cold,warm,ack,http,e2e] [case ...]`.

`make bench BENCH_ARGS=cost` runs the cost case alone (bench/cost.py: counted AWS requests and
dollars per million deliveries); a plain `make bench` leaves it out (it runs the stack thrice).

One run, one table: every figure next to its baseline measured in the same run (medians,
interleaved). Results go to bench/results/ as JSON and a PNG chart. Never part of `make test`.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import ack, cold, cost, e2e, http, snapstart, warm

X = "\u00d7"  # the multiplication sign in ratios

CASES = {
    "cold": cold.run,
    "warm": warm.run,
    "ack": ack.run,
    "http": http.run,
    "e2e": e2e.run,
    "snapstart": snapstart.run,
    "cost": cost.run,
}
# Not in a plain `make bench`: it runs the whole stack three times (~2 min). Ask for it by name.
ON_REQUEST = {"cost"}
RESULTS = Path(__file__).with_name("results")

# (case, metric, target, met?) — the targets.
TARGETS = {
    "cold": f"ours ≤ 1.3{X} bare, peak RSS ≤ 80 MiB",
    "warm": f"ours ≤ 2{X} the FastAPI floor per delivery (judged on the calling thread's CPU)",
    "ack": "ack_first ack(200 ms)/ack(0) ≤ 1.1",
    "http": f"ours ≥ 0.6{X} trivial ASGI",
    "e2e": "context (moto ceiling alongside)",
    "snapstart": (
        f"durable delivery: cold ours ≤ 1.05{X} FastAPI floor (judged on CPU) and RSS ≤ floor "
        f"+ 5 MiB; "
        f"restore ours ≤ 1.3{X} bare (judged on CPU)"
    ),
    "cost": "default ≤ $10 per million deliveries, volume ≤ $5 (requests, API Gateway, logs)",
}
COST_GOALS = {"default": 10.0, "volume": 5.0}


def verdict(name: str, met: bool) -> str:
    """Judged for ours, and for the FastAPI floor: where even the floor misses, no FastAPI
    receiver can meet the target, whatever it does per delivery."""
    if name == "ours":
        return "MET" if met else "MISSED"
    if name == "fastapi-floor":
        return "floor MEETS it" if met else "floor MISSES it too"
    return ""


def rows(results: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """(case, subject, value, ratio, target verdict)."""
    out: list[tuple[str, str, str, str, str]] = []
    if "cold" in results:
        for name, s in results["cold"]["subjects"].items():
            met = s["ratio_to_bare"] <= 1.3 and s["peak_rss_mib"] <= 80
            value = f"{s['median_s'] * 1e3:.0f} ms, {s['peak_rss_mib']:.1f} MiB"
            ratio = f"{s['ratio_to_bare']:.2f}{X}"
            out.append(("1 cold start", name, value, ratio, verdict(name, met)))
    if "warm" in results:
        for name, s in results["warm"]["subjects"].items():
            met = s["cpu_ratio_to_floor"] <= 2
            value = f"{s['median_us']:.1f} µs/call (CPU {s['median_cpu_us']:.1f} µs)"
            ratio = f"{s['ratio_to_floor']:.2f}{X} floor (CPU {s['cpu_ratio_to_floor']:.2f}{X})"
            judged = verdict(name, met) if name == "ours" else ""
            out.append(("2 warm invoke", name, value, ratio, judged))
    if "ack" in results:
        for mode, cells in results["ack"]["modes"].items():
            for work, cell in cells.items():
                judged = ""
                if mode == "ack_first" and work == "200":
                    judged = "MET" if cell["ack_ratio_to_0ms"] <= 1.1 else "MISSED"
                value = f"ack {cell['ack_ms']:.2f} ms, env busy {cell['busy_ms']:.1f} ms"
                ratio = f"{cell['ack_ratio_to_0ms']:.2f}{X} ack(0)"
                out.append(("3 ack latency", f"{mode} bg={work}ms", value, ratio, judged))
    if "http" in results:
        for name, s in results["http"]["subjects"].items():
            met = s["ratio_to_trivial"] >= 0.6
            value = f"{s['rps']:.0f} req/s, p50 {s['p50_ms']:.2f} ms, p99 {s['p99_ms']:.2f} ms"
            ratio = f"{s['ratio_to_trivial']:.2f}{X}"
            out.append(("4 http c=16", name, value, ratio, verdict(name, met)))
    if "e2e" in results:
        r = results["e2e"]
        c = r["moto_ceiling"]
        out.append(("5 end to end", "acked", f"{r['acked_per_s']:.1f} webhooks/s", "", ""))
        ratio = f"{r['processed_per_s'] / c['s3_put_per_s']:.2f}{X} moto S3 put/s"
        out.append(
            ("5 end to end", "processed", f"{r['processed_per_s']:.1f} webhooks/s", ratio, "")
        )
        out.append(("5 end to end", "moto S3 put", f"{c['s3_put_per_s']:.0f}/s", "", "context"))
        out.append(("5 end to end", "moto SQS send", f"{c['sqs_send_per_s']:.0f}/s", "", "context"))
    if "snapstart" in results:
        r = results["snapstart"]
        for name, s in r["cold"].items():
            met = s["cpu_ratio_to_floor"] <= 1.05 and s["rss_over_floor_mib"] <= 5
            value = (
                f"{s['median_s'] * 1e3:.0f} ms (CPU {s['median_cpu_s'] * 1e3:.0f} ms), "
                f"{s['peak_rss_mib']:.1f} MiB"
            )
            ratio = (
                f"{s['ratio_to_floor']:.2f}{X} floor (CPU {s['cpu_ratio_to_floor']:.2f}{X}), "
                f"{s['rss_over_floor_mib']:+.1f} MiB"
            )
            judged = ("MET" if met else "MISSED") if name == "ours" else ""
            out.append(("6 cold, durable", name, value, ratio, judged))
        for name, s in r["restore"].items():
            met = s["cpu_ratio_to_bare"] <= 1.3
            judged = ("MET" if met else "MISSED") if name == "ours" else ""
            value = f"{s['median_ms']:.1f} ms (CPU {s['median_cpu_ms']:.1f} ms)"
            ratio = f"{s['ratio_to_bare']:.2f}{X} bare (CPU {s['cpu_ratio_to_bare']:.2f}{X})"
            out.append(("7 restore+delivery", name, value, ratio, judged))
    if "cost" in results:
        r = results["cost"]
        for name, f in r["figures"].items():
            # Compared with the floor in the same pattern: "default (paced)" with "floor (paced)".
            floor = r["figures"].get("floor " + name.split(" ", 1)[-1])
            total = f["dollars_per_million"]["total"]
            value = f"${total:.2f}/M (Lambda x86 ${f['lambda_per_million']['x86_64']:.2f} beside)"
            ratio = f"{total / floor['dollars_per_million']['total']:.1f}{X} floor" if floor else ""
            goal = COST_GOALS.get(name.split(" ")[0])
            judged = ("MET" if total <= goal else "MISSED") if goal else ""
            out.append(("8 cost", name, value, ratio, judged))
        for name in r["missing"]:
            out.append(("8 cost", name, "not available in this checkout", "", ""))
    return out


def table(lines: list[tuple[str, str, str, str, str]]) -> str:
    header = ("case", "subject", "median", "ratio", "target")
    widths = [max(len(r[i]) for r in [header, *lines]) for i in range(5)]
    fmt = " | ".join(f"{{:<{w}}}" for w in widths)
    rule = "-+-".join("-" * w for w in widths)
    return "\n".join([fmt.format(*header), rule, *(fmt.format(*r) for r in lines)])


def chart(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [name for name in ("cold", "warm", "ack", "http", "e2e") if name in results]
    if not panels:
        return
    figure, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 4), squeeze=False)
    for axis, name in zip(axes[0], panels, strict=True):
        r = results[name]
        if name == "cold":
            labels = list(r["subjects"])
            values = [r["subjects"][k]["median_s"] * 1e3 for k in labels]
            axis.set_title(f"cold start (ms, ≤1.3{X} bare)")
        elif name == "warm":
            labels = list(r["subjects"])
            values = [r["subjects"][k]["median_us"] for k in labels]
            axis.set_title(f"warm invoke (µs/call, ≤2{X} FastAPI floor)")
        elif name == "ack":
            labels = [f"{m}\n{w}ms" for m in r["modes"] for w in r["modes"][m]]
            values = [r["modes"][m][w]["ack_ms"] for m in r["modes"] for w in r["modes"][m]]
            axis.set_title("ack latency (ms) vs background work")
        elif name == "http":
            labels = list(r["subjects"])
            values = [r["subjects"][k]["rps"] for k in labels]
            axis.set_title(f"uvicorn c=16 (req/s, ≥0.6{X} trivial)")
        else:
            labels = ["acked", "processed", "moto S3 put", "moto SQS send"]
            c = r["moto_ceiling"]
            values = [
                r["acked_per_s"],
                r["processed_per_s"],
                c["s3_put_per_s"],
                c["sqs_send_per_s"],
            ]
            axis.set_title("end to end vs moto (per s)")
        axis.bar(range(len(values)), values, color="tab:blue")
        axis.set_xticks(range(len(values)), labels, rotation=30, ha="right", fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer runs: under a minute")
    every = ",".join(name for name in CASES if name not in ON_REQUEST)
    parser.add_argument("--only", default=every, help="comma-separated cases")
    parser.add_argument("cases", nargs="*", help="cases by name (as --only)")
    args = parser.parse_args(argv)
    only = ",".join(args.cases) if args.cases else args.only
    chosen = [name.strip() for name in only.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in CASES]
    if unknown:
        parser.error(f"unknown case(s): {', '.join(unknown)}")
    results: dict[str, Any] = {}
    started = time.perf_counter()
    for name in chosen:
        case_started = time.perf_counter()
        print(f"running {name} ...", file=sys.stderr, flush=True)
        results[name] = CASES[name](args.quick)
        results[name]["seconds"] = time.perf_counter() - case_started
    total = time.perf_counter() - started
    lines = rows(results)
    print(table(lines))
    print(f"\n{'quick' if args.quick else 'full'} run, {total:.0f} s; targets:")
    for name in chosen:
        print(f"  {name}: {TARGETS[name]}")
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    mode = "quick" if args.quick else "full"
    document = {
        "when": stamp,
        "mode": mode,
        "python": sys.version.split()[0],
        "machine": platform.platform(),
        "seconds": total,
        "results": results,
        "table": [
            dict(zip(("case", "subject", "median", "ratio", "target"), r, strict=True))
            for r in lines
        ],
    }
    json_path = RESULTS / f"bench-{mode}-{stamp}.json"
    json_path.write_text(json.dumps(document, indent=2))
    png_path = json_path.with_suffix(".png")
    chart(results, png_path)
    print(f"\nsaved {json_path} and {png_path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
