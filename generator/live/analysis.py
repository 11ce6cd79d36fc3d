"""From raw records to what users compare deploy tools by: failed requests.

A request counts once its route is live: from the moment the router's first
table holding the route was in force on every nginx worker (on a first deploy,
requests before that are "before live": reported, never counted as failures,
because there was nothing to take down; a reload is not atomic, so the first
answers of a brand-new route can flap for a few milliseconds). A request failed
when the answer was not the profile's expected status and body, or when there
was no answer at all (connection error, timeout, a router 404/502/400).

Requests belong to the script run in whose window they were sent: from its start
(the first run: from the start of probing) until the next run starts (the last:
until probing ends), so the traffic right after a run, when the routers may
still hold what it changed, is charged to that run. Phases of a run are
read off the cf calls it made (their start times, in the foundation's clock):

- push: the ``cf push`` call;
- health: from ``cf start`` (or, when ``cf push`` started the app, the staging
  map) until the first live ``map-route``;
- cutover: first live ``map-route`` until the last live ``unmap-route`` returned;
- drain: from there until the old color is retired (stop, delete, or, when it is
  kept running, the staging route unmapped: the move closes).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from generator.model import Profile, Route


@dataclass(frozen=True)
class RunSummary:
    label: str
    script: str
    exit_code: int
    started: float
    ended: float
    window: tuple[float, float]
    requests: int
    before_live: int
    failed: int
    failures: dict[str, int]
    p50_ms: float | None
    p99_ms: float | None
    versions: tuple[str, ...]
    """Versions that answered, in order of first answer."""
    from_version: str
    to_version: str
    switch_seconds: float | None
    """From the first answer of ``to_version`` to the last of ``from_version``:
    how long both answered (negative: a gap in between)."""
    phases: dict[str, tuple[float, float]] = field(default_factory=dict)
    p99_before_ms: float | None = None
    p99_cutover_ms: float | None = None


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def failure_kind(record: dict) -> str:
    """What went wrong with a failed request, in a few words."""
    if record.get("error"):
        return str(record["error"])
    status = record.get("status")
    router = record.get("router_error")
    if router:
        return f"HTTP {status} ({router})"
    return f"HTTP {status} from {record.get('version') or 'the app'}"


def live_since(records: list[dict], reloads: list[dict] | None = None) -> dict[str, float]:
    """Route -> the moment from which its requests count.

    With the router's reloads: when the first reload that put the route in the
    router's table was complete (every worker had the table); a route the
    router never held is never live. Without: its first successful answer.
    """
    first: dict[str, float] = {}
    if reloads is not None:
        routes = {r["route"] for r in records}
        for reload in sorted(reloads, key=lambda r: r["complete"]):
            held = {url.lower() for url in reload["routes"]}
            for route in routes:
                if route not in first and route.lower() in held:
                    first[route] = reload["complete"]
        return first
    for record in records:
        if record["ok"] and record["route"] not in first:
            first[record["route"]] = record["t"]
    return first


def windows(runs: list[tuple[float, float]], start: float, end: float
            ) -> list[tuple[float, float]]:
    """Each run's request window (see the module docstring)."""
    out = []
    for n, (begun, _done) in enumerate(runs):
        low = start if n == 0 else begun
        high = end if n == len(runs) - 1 else runs[n + 1][0]
        out.append((low, high))
    return out


def _route_argv(argv: list[str]) -> tuple[str, str, str, str] | None:
    """(command, app, url, path) of a map-route/unmap-route argv."""
    if len(argv) < 3 or argv[0] not in ("map-route", "unmap-route"):
        return None
    host, path = "", ""
    rest = argv[3:]
    for n, word in enumerate(rest):
        if word in ("--hostname", "-n") and n + 1 < len(rest):
            host = rest[n + 1].lower()
        if word == "--path" and n + 1 < len(rest):
            path = rest[n + 1]
    fqdn = f"{host}.{argv[2].lower()}" if host else argv[2].lower()
    return argv[0], argv[1], fqdn + path, path


def phases(calls: list[dict], live: tuple[Route, ...], staging: Route | None
           ) -> dict[str, tuple[float, float]]:
    """Phase name -> (start, end) from one run's cf calls (see the module docstring)."""
    urls = {r.url.lower() for r in live}
    staging_url = staging.url.lower() if staging else None
    out: dict[str, tuple[float, float]] = {}

    def end_of(n: int) -> float:
        return calls[n + 1]["time"] if n + 1 < len(calls) else calls[n]["time"]

    maps = [n for n, c in enumerate(calls)
            if (p := _route_argv(c["argv"])) and p[0] == "map-route" and p[2] in urls]
    unmaps = [n for n, c in enumerate(calls)
              if (p := _route_argv(c["argv"])) and p[0] == "unmap-route" and p[2] in urls]
    for n, call in enumerate(calls):
        if call["argv"][:1] == ["push"]:
            out["push"] = (call["time"], end_of(n))
            break
    begin = next((c["time"] for c in calls if c["argv"][:1] == ["start"]), None)
    if begin is None and staging_url:
        begin = next((c["time"] for c in calls if (p := _route_argv(c["argv"]))
                      and p[0] == "map-route" and p[2] == staging_url), None)
    if maps and begin is not None and begin <= calls[maps[0]]["time"]:
        out["health"] = (begin, calls[maps[0]]["time"])
    if maps:
        last = unmaps[-1] if unmaps and unmaps[-1] > maps[0] else None
        if last is None:
            staging_unmap = next((n for n, c in enumerate(calls) if n > maps[0]
                                  and (p := _route_argv(c["argv"])) and p[0] == "unmap-route"
                                  and p[2] == staging_url), None)
            out["cutover"] = (calls[maps[0]]["time"],
                              end_of(staging_unmap if staging_unmap is not None else maps[-1]))
        else:
            # Calls record when they start: the last unmap's own start is where the
            # cutover ends and the drain begins (the next call may be the stop itself).
            out["cutover"] = (calls[maps[0]]["time"], calls[last]["time"])
            # The drain ends when the old color is stopped (or deleted); when it is
            # kept running, when the move closes by unmapping the staging route.
            retire = next((c["time"] for c in calls[last + 1:]
                           if c["argv"][:1] in (["stop"], ["delete"])
                           or ((p := _route_argv(c["argv"])) and p[0] == "unmap-route"
                               and p[2] == staging_url)),
                          None)
            if retire is not None:
                out["drain"] = (calls[last]["time"], retire)
    return out


def summarise(profile: Profile, records: list[dict], runs: list[tuple[str, str, int, float,
              float]], calls: list[dict], start: float, end: float,
              reloads: list[dict] | None = None) -> list[RunSummary]:
    """One :class:`RunSummary` per run; ``runs`` are (label, script, exit, started, ended)."""
    since = live_since(records, reloads)
    spans = windows([(r[3], r[4]) for r in runs], start, end)
    out = []
    for (label, script, exit_code, begun, done), (low, high) in zip(runs, spans, strict=True):
        mine = [r for r in records if low <= r["t"] < high]
        counted = [r for r in mine if r["route"] in since and r["t"] >= since[r["route"]]]
        failed = [r for r in counted if not r["ok"]]
        answered = [r for r in mine if r["ok"]]
        versions: list[str] = []
        for r in answered:
            if r["version"] not in versions:
                versions.append(r["version"])
        from_v = answered[0]["version"] if answered else ""
        to_v = answered[-1]["version"] if answered else ""
        switch = None
        if from_v != to_v:
            first_new = next(r["t"] for r in answered if r["version"] == to_v)
            last_old = max(r["t"] for r in answered if r["version"] == from_v)
            switch = last_old - first_new
        run_calls = [c for c in calls if begun <= c["time"] <= done]
        spans_of = phases(run_calls, profile.live_routes, profile.staging_route)
        latencies = [r["latency_ms"] for r in counted]
        before = cut = None
        if "cutover" in spans_of:
            cut_start = spans_of["cutover"][0]
            cut_end = spans_of.get("drain", spans_of["cutover"])[1]
            before = percentile([r["latency_ms"] for r in counted if r["t"] < cut_start], 99)
            cut = percentile([r["latency_ms"] for r in counted
                              if cut_start <= r["t"] <= cut_end], 99)
        out.append(RunSummary(
            label=label, script=script, exit_code=exit_code, started=begun, ended=done,
            window=(low, high), requests=len(counted), before_live=len(mine) - len(counted),
            failed=len(failed), failures=dict(Counter(failure_kind(r) for r in failed)),
            p50_ms=percentile(latencies, 50), p99_ms=percentile(latencies, 99),
            versions=tuple(versions), from_version=from_v, to_version=to_v,
            switch_seconds=switch, phases=spans_of, p99_before_ms=before, p99_cutover_ms=cut))
    return out


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def summary_table(summaries: list[RunSummary]) -> str:
    """The terminal table (the same figures as the HTML report's)."""
    head = ("run", "exit", "requests", "failed", "p50 ms", "p99 ms", "versions",
            "both answered")
    rows = [head]
    for s in summaries:
        switch = "-" if s.switch_seconds is None else (
            f"{s.switch_seconds:.2f}s ({s.from_version}->{s.to_version})")
        requests = str(s.requests) + (f" (+{s.before_live} before live)" if s.before_live else "")
        rows.append((s.label, str(s.exit_code), requests, str(s.failed), _ms(s.p50_ms),
                     _ms(s.p99_ms), " -> ".join(s.versions) or "-", switch))
    total_req = sum(s.requests for s in summaries)
    total_failed = sum(s.failed for s in summaries)
    rows.append(("all runs", "", str(total_req), str(total_failed), "", "", "", ""))
    widths = [max(len(r[c]) for r in rows) for c in range(len(head))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[c]) for c, cell in enumerate(row)).rstrip())
        if n == 0 or n == len(rows) - 2:
            lines.append("  ".join("-" * w for w in widths))
    for s in summaries:
        if s.failures:
            kinds = ", ".join(f"{n} x {kind}" for kind, n in sorted(s.failures.items()))
            lines.append(f"failed in {s.label}: {kinds}")
    return "\n".join(lines) + "\n"
