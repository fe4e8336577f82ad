"""``bench/query.py``'s verdicts on the issue's targets and its Markdown report."""

from __future__ import annotations

import os
from typing import Any

from common import table, verdict

VECTOR_BYTES = 384 * 4


def targets(sizes: dict[int, dict[str, Any]], ttft: dict[str, Any] | None,
            mid: int, big: int, grow_from: int | None = None) -> list[dict[str, str]]:
    """The issue's targets. Growth is measured from ``grow_from`` (default ``mid``) to
    ``big``: from the smallest size when no size above ``mid`` was run."""
    out = []
    m = sizes.get(mid, {}).get("median")
    if m:
        ratio = m["ask_c1"]["p50_ms"] / m["floor"]["p50_ms"]
        server = m["ask_c1"].get("server_ms", {})
        out.append({"target": f"/api/ask p50 ≤ 3× the bare floor at {mid:,} articles",
                    "measured": f"{ratio:.2f}× ({m['ask_c1']['p50_ms']:.0f} vs "
                                f"{m['floor']['p50_ms']:.0f} ms; in the service: retrieve "
                                f"{server.get('retrieve', 0):.0f} ms, answer "
                                f"{server.get('answer', 0):.0f} ms)",
                    "result": verdict(ratio <= 3)})
        c1, c16 = m["ask_c1"], m["ask_c16"]
        gain = c16["throughput"] / c1["throughput"]
        out.append({"target": f"throughput at 16 clients ≥ 1.6× 1 client ({mid:,} articles)",
                    "measured": f"{gain:.2f}× ({c16['throughput']:.1f} vs {c1['throughput']:.1f}"
                                f" req/s; {_cpu_bound(c1, c16)})",
                    "result": verdict(gain >= 1.6)})
    else:
        out += [{"target": f"/api/ask p50 ≤ 3× the bare floor at {mid:,}",
                 "measured": "not run", "result": "—"},
                {"target": "throughput 16 clients ≥ 1.6× 1 client", "measured": "not run",
                 "result": "—"}]
    start = grow_from or mid
    small, large = sizes.get(start, {}).get("median"), sizes.get(big, {}).get("median")
    if small and large and start != big:
        growth = large["ask_c1"]["p50_ms"] / small["ask_c1"]["p50_ms"]
        floor_growth = large["floor"]["p50_ms"] / small["floor"]["p50_ms"]
        out.append({"target": f"/api/ask p50 grows ≤ 1.5× from {start:,} to {big:,} articles",
                    "measured": f"{growth:.2f}× (floor {floor_growth:.2f}×; service retrieve "
                                f"{small['ask_c1']['server_ms'].get('retrieve', 0):.0f} → "
                                f"{large['ask_c1']['server_ms'].get('retrieve', 0):.0f} ms)",
                    "result": verdict(growth <= 1.5)})
    else:
        out.append({"target": f"/api/ask p50 grows ≤ 1.5× from {mid:,} to {big:,} articles",
                    "measured": "not run", "result": "—"})
    if ttft:
        out.append({"target": "LLM mode adds ≤ 20 ms to the upstream's time to first token",
                    "measured": f"+{ttft['added_ms']:.0f} ms ({ttft['ratio']:.2f}×; of which "
                                f"retrieval {ttft['service_retrieve_ms']:.0f} ms)",
                    "result": verdict(ttft["added_ms"] <= 20)})
    else:
        out.append({"target": "LLM mode adds ≤ 20 ms to TTFT", "measured": "not run",
                    "result": "—"})
    ordered = sorted(sizes.items())
    if len(ordered) >= 2:
        (_, a), (_, b) = ordered[0], ordered[-1]
        slope = (b["rss_peak_mb"] - a["rss_peak_mb"]) / (b["passages"] - a["passages"]) * 1e5
        raw = 1e5 * VECTOR_BYTES / 2**20
        fixed = a["rss_peak_mb"] - slope * a["passages"] / 1e5
        out.append({"target": "server RSS growth per 100k passages ≤ 1.5× their raw vectors",
                    "measured": f"{slope:.0f} MB per 100k passages between {a['articles']:,} and "
                                f"{b['articles']:,} articles vs {1.5 * raw:.0f} MB (raw "
                                f"{raw:.0f} MB); fixed part {fixed:.0f} MB vs 300 MB",
                    "result": verdict(slope <= 1.5 * raw)})
    for size, r in ordered:
        out.append({"target": f"server RSS ≤ 1.5× raw vectors + 300 MB ({size:,} articles)",
                    "measured": f"{r['rss_peak_mb']:.0f} MB vs limit {r['rss_limit_mb']:.0f} MB "
                                f"({r['rss_per_100k_passages_mb']:.0f} MB per 100k passages; "
                                f"{r['rss_started_mb']:.0f} MB before the first question)",
                    "result": verdict(r["rss_peak_mb"] <= r["rss_limit_mb"])})
    return out


def _cpu_bound(c1: dict[str, Any], c16: dict[str, Any]) -> str:
    """What the cores allow: at most all of them busy with the CPU a question costs at 16
    clients (the service's, and the clients' own, which run on the same cores)."""
    cores = os.cpu_count() or 1
    server, client = c16["server_cpu_ms_per_request"], c16.get("client_cpu_ms_per_request", 0.0)
    bound = cores * 1000 / max(server + client, 1e-9)
    alone = c1["server_cpu_ms_per_request"] * c1["throughput"] / 1000
    return (f"CPU bound: {cores} cores / ({server:.1f} ms service + {client:.1f} ms client CPU "
            f"a question) = {bound:.0f} req/s = {bound / c1['throughput']:.2f}× 1 client; at 1 "
            f"client the service alone keeps {alone:.2f} cores busy, its question embedding "
            f"running on both; cores busy at 16 clients {c16.get('machine_busy', 0):.0%}")


def markdown(data: dict[str, Any]) -> str:
    rows = []
    for _, r in sorted(data["sizes"].items(), key=lambda kv: int(kv[0])):
        m = r["median"]
        for name, key in [("POST /api/ask, 1 client", "ask_c1"),
                          ("POST /api/ask, 4 clients", "ask_c4"),
                          ("POST /api/ask, 16 clients", "ask_c16"),
                          ("floor: embed + Chroma query", "floor"),
                          ("stock VectorStoreIndex retriever", "stock")]:
            row = m[key]
            rows.append({"articles": f"{r['articles']:,}", "passages": f"{r['passages']:,}",
                         "what": name, "p50 ms": row["p50_ms"], "p95 ms": row["p95_ms"],
                         "p99 ms": row["p99_ms"], "req/s": row.get("throughput", ""),
                         "vs floor p50": f"{row['p50_ms'] / m['floor']['p50_ms']:.2f}×",
                         "server RSS MB": round(r["rss_peak_mb"]) if key == "ask_c1" else ""})
    parts = [f"## Questions: median of {data['repeat']} interleaved repetitions, "
             f"{data['requests']} questions a round at 1 client (twice that at 4 and 16)",
             "Stores: " + "; ".join(_provenance(int(size), info)
                                    for size, info in sorted(data["stores"].items(),
                                                             key=lambda kv: int(kv[0]))) + ".",
             table(rows, list(rows[0])) if rows else "no sizes run",
             "Start-up until ready, keyword index built (questions are answered from the dense "
             "index meanwhile): " + "; ".join(
                 f"{r['articles']:,} articles {r['ready_s']:.0f} s"
                 for _, r in sorted(data["sizes"].items(), key=lambda kv: int(kv[0]))) + "."]
    if data.get("ttft"):
        t = data["ttft"]
        parts.append(table([
            {"what": f"upstream directly (openai client), fixed {t['upstream_delay_ms']:.0f} ms "
                     "delay", "TTFT p50 ms": t["direct"]["p50_ms"],
             "p95 ms": t["direct"]["p95_ms"]},
            {"what": "through POST /api/chat (stream), LLM mode",
             "TTFT p50 ms": t["service"]["p50_ms"], "p95 ms": t["service"]["p95_ms"]},
        ], ["what", "TTFT p50 ms", "p95 ms"]))
    parts.append(table(data["targets"], ["target", "measured", "result"]))
    return "\n\n".join(parts)


def _provenance(size: int, info: dict[str, Any]) -> str:
    if "from" in info:
        copies = info.get("copies", 1)
        what = f"{copies} copies of" if copies > 1 else "a subset of"
        return f"{size:,}: {what} {info['from']} (records and vectors copied, not re-embedded)"
    return f"{size:,}: {info.get('how', 'ingested')}"
