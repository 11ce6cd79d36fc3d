"""The live rehearsal's HTML report: one self-contained file, inline SVG, no scripts.

Per script run, one chart on the foundation's time axis:

- every ``cf`` command the script ran, as a labelled marker (changing commands
  dark, read-only ones grey, a failed one red);
- the phases (push, health, cutover, drain) as shaded bands;
- answers per time slice, stacked by the version that answered, failures in red
  on top and as a red tick per failed request under the axis, so that a single
  failure is visible at any zoom;
- every request's latency (log scale), coloured the same way;
- the router's reloads (when a route change reached nginx) as triangles.

Then the summary table (the same figures as the terminal table), each run's
failures by kind, phase durations and the script's own output. No network
access is needed to view it: no external fonts, stylesheets, images or scripts.
"""

from __future__ import annotations

import html
import math
import shlex
import subprocess
import tempfile
from pathlib import Path

from generator.live.analysis import RunSummary, live_since
from generator.live.story import StoryResult

WIDTH = 1120
LEFT = 64
RIGHT = 24
LABEL_LANE = 230
BARS = 130
GAP = 26
LATENCY = 110
AXIS = 46
CHART_HEIGHT = LABEL_LANE + BARS + GAP + LATENCY + AXIS
PALETTE = ("#2563eb", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777")
FAILED = "#dc2626"
NOT_LIVE = "#cbd5e1"
PHASE_FILL = {"push": "#f1f5f9", "health": "#ecfeff", "cutover": "#fef9c3", "drain": "#fce7f3"}
READ_ONLY = {"version", "target", "space", "app", "apps", "logs", "curl GET"}

CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: #0f172a; margin: 24px 32px; max-width: 1180px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 6px; }
.verdict { display: inline-block; padding: 4px 10px; border-radius: 6px; font-weight: 600; }
.ok { background: #dcfce7; color: #14532d; } .bad { background: #fee2e2; color: #7f1d1d; }
.meta { color: #475569; margin: 6px 0 14px; }
table { border-collapse: collapse; margin: 8px 0 4px; }
th, td { border-bottom: 1px solid #e2e8f0; padding: 4px 10px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f8fafc; font-weight: 600; }
td.failed { color: #b91c1c; font-weight: 600; }
details pre { background: #0f172a; color: #e2e8f0; padding: 10px; overflow-x: auto;
              font-size: 12px; }
.legend span { display: inline-block; margin-right: 14px; }
.swatch { display: inline-block; width: 11px; height: 11px; border-radius: 2px;
          vertical-align: -1px; margin-right: 4px; }
svg text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def version_colours(result: StoryResult) -> dict[str, str]:
    versions = sorted({r["version"] for r in result.probing.records if r["version"]})
    return {v: PALETTE[n % len(PALETTE)] for n, v in enumerate(versions)}


def command_label(argv: list[str]) -> str:
    """A short label for a cf call: the command and what it acts on."""
    if not argv:
        return "cf"
    if argv[0] == "curl":
        method = argv[argv.index("-X") + 1] if "-X" in argv[:-1] else "GET"
        target = next((a for a in argv[1:] if a.startswith("/")), "")
        target = target.split("?", 1)[0]
        if "cf-bluegreen-state" in " ".join(argv):
            state = " ".join(argv).split('cf-bluegreen-state":"', 1)[-1].split('"', 1)[0]
            return f"label {state}"
        if method == "POST" and target == "/v3/apps":
            return "take lock"
        return f"curl {method} {target}"
    if argv[0] in ("map-route", "unmap-route") and len(argv) >= 3:
        host, path = "", ""
        for n, word in enumerate(argv):
            if word in ("--hostname", "-n") and n + 1 < len(argv):
                host = argv[n + 1]
            if word == "--path" and n + 1 < len(argv):
                path = argv[n + 1]
        url = (f"{host}.{argv[2]}" if host else argv[2]) + path
        return f"{argv[0]} {argv[1]} {url}"
    if argv[0] == "delete" and argv[1:2] and argv[1].endswith("-bluegreen-lock"):
        return "release lock"
    words = [w for w in argv[:2] if not w.startswith("-")]
    return " ".join(words)


def _is_read_only(argv: list[str]) -> bool:
    if not argv:
        return True
    if argv[0] == "curl":
        return "-X" not in argv
    return argv[0] in READ_ONLY


def _nice_step(span: float, target_ticks: int = 10) -> float:
    raw = span / max(1, target_ticks)
    for step in (0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300):
        if step >= raw:
            return step
    return 600.0


def _spread(xs: list[float], gap: float, low: float, high: float) -> list[float]:
    """Label positions: in order, at least ``gap`` apart, within [low, high]."""
    out: list[float] = []
    for x in xs:
        out.append(max(x, out[-1] + gap) if out else max(x, low))
    for n in range(len(out) - 1, -1, -1):
        limit = high if n == len(out) - 1 else out[n + 1] - gap
        out[n] = min(out[n], limit)
    return out


def run_chart(result: StoryResult, summary: RunSummary, colours: dict[str, str]) -> str:
    """The SVG chart of one run (see the module docstring)."""
    low, high = summary.window
    low = max(low, result.probing.started)
    high = min(high, result.probing.ended)
    span = max(high - low, 0.5)
    inner = WIDTH - LEFT - RIGHT

    def x(t: float) -> float:
        return LEFT + (t - low) / span * inner

    since = live_since(result.probing.records, result.reloads)
    records = [r for r in result.probing.records if low <= r["t"] < high]

    def kind(r: dict) -> str:
        if r["route"] not in since or r["t"] < since[r["route"]]:
            return "before live"
        return r["version"] if r["ok"] else "failed"

    def colour_of(key: str) -> str:
        return {"failed": FAILED, "before live": NOT_LIVE}.get(key, colours.get(key, "#94a3b8"))

    calls = [c for c in result.calls if summary.started <= c["time"] <= summary.ended]
    top_bars = LABEL_LANE
    bottom_bars = top_bars + BARS
    top_lat = bottom_bars + GAP
    bottom_lat = top_lat + LATENCY
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{CHART_HEIGHT}"'
             f' viewBox="0 0 {WIDTH} {CHART_HEIGHT}" role="img" class="run-chart"'
             f' aria-label="{_e(summary.label)}: requests over time">']
    parts.append(f'<rect x="0" y="0" width="{WIDTH}" height="{CHART_HEIGHT}" fill="#ffffff"/>')
    # phases
    for name, (begin, end) in summary.phases.items():
        if end < low or begin > high:
            continue
        x0, x1 = x(max(begin, low)), x(min(end, high))
        parts.append(f'<rect class="phase" x="{x0:.1f}" y="{top_bars}" '
                     f'width="{max(x1 - x0, 1.5):.1f}" height="{bottom_lat - top_bars}" '
                     f'fill="{PHASE_FILL.get(name, "#f8fafc")}"><title>{_e(name)}: '
                     f'{end - begin:.2f}s</title></rect>')
        parts.append(f'<text x="{(x0 + x1) / 2:.1f}" y="{bottom_lat + 40}" font-size="11" '
                     f'text-anchor="middle" fill="#64748b">{_e(name)}</text>')
    # answers per slice, stacked by version
    step = next((s for s in (0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 5) if span / s <= 90), 10.0)
    buckets: dict[int, dict[str, int]] = {}
    for r in records:
        key = kind(r)
        slot = buckets.setdefault(int((r["t"] - low) / step), {})
        slot[key] = slot.get(key, 0) + 1
    tallest = max((sum(b.values()) for b in buckets.values()), default=1)
    bar_w = max(inner * step / span - 0.4, 0.8)
    order = ["before live", *sorted(colours), "failed"]
    for slot, counts in sorted(buckets.items()):
        y = bottom_bars
        for key in order:
            n = counts.get(key, 0)
            if not n:
                continue
            h = n / tallest * (BARS - 8)
            y -= h
            colour = colour_of(key)
            parts.append(f'<rect class="bar{" failed" if key == "failed" else ""}" '
                         f'x="{x(low + slot * step):.1f}" y="{y:.1f}" width="{bar_w:.1f}" '
                         f'height="{h:.1f}" fill="{colour}"/>')
    # a tick per failed request, under the bars
    for r in records:
        if kind(r) == "failed":
            parts.append(f'<line class="failure" x1="{x(r["t"]):.1f}" y1="{bottom_bars + 3}" '
                         f'x2="{x(r["t"]):.1f}" y2="{bottom_bars + 14}" stroke="{FAILED}" '
                         f'stroke-width="1.2"><title>{_e(r["route"])} at {r["t"]:.3f}s: '
                         f'{_e(r.get("error") or r.get("status"))}</title></line>')
    parts.append(f'<text x="{LEFT - 8}" y="{top_bars + 10}" font-size="11" text-anchor="end" '
                 f'fill="#475569">{tallest}</text>')
    parts.append(f'<text x="{LEFT - 8}" y="{bottom_bars}" font-size="11" text-anchor="end" '
                 f'fill="#475569">0</text>')
    parts.append(f'<text x="14" y="{(top_bars + bottom_bars) / 2:.0f}" font-size="11" '
                 f'fill="#475569" transform="rotate(-90 14 {(top_bars + bottom_bars) / 2:.0f})" '
                 f'text-anchor="middle">answers / {step:g}s</text>')
    # latency, log scale
    lats = [max(r["latency_ms"], 0.1) for r in records] or [1.0]
    lo_ms, hi_ms = 0.5, max(max(lats) * 1.3, 10.0)

    def y_lat(ms: float) -> float:
        ms = min(max(ms, lo_ms), hi_ms)
        frac = (math.log10(ms) - math.log10(lo_ms)) / (math.log10(hi_ms) - math.log10(lo_ms))
        return bottom_lat - frac * LATENCY

    for ms in (1, 10, 100, 1000, 10000):
        if lo_ms <= ms <= hi_ms:
            parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y_lat(ms):.1f}" '
                         f'y2="{y_lat(ms):.1f}" stroke="#e2e8f0"/>')
            parts.append(f'<text x="{LEFT - 8}" y="{y_lat(ms) + 4:.1f}" font-size="11" '
                         f'text-anchor="end" fill="#475569">{ms:g} ms</text>')
    for r in records:
        key = kind(r)
        colour = colour_of(key)
        cx, cy = x(r["t"]), y_lat(r["latency_ms"])
        if key != "failed":
            parts.append(f'<circle class="request" cx="{cx:.1f}" cy="{cy:.1f}" r="1.6" '
                         f'fill="{colour}" fill-opacity="0.7"/>')
        else:
            parts.append(f'<path class="request failed" d="M{cx - 2.5:.1f} {cy - 2.5:.1f}'
                         f'l5 5m0 -5l-5 5" stroke="{FAILED}" stroke-width="1.3"/>')
    parts.append(f'<text x="14" y="{(top_lat + bottom_lat) / 2:.0f}" font-size="11" '
                 f'fill="#475569" transform="rotate(-90 14 {(top_lat + bottom_lat) / 2:.0f})" '
                 f'text-anchor="middle">latency</text>')
    # axes
    parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{bottom_bars}" y2="{bottom_bars}" '
                 f'stroke="#334155"/>')
    parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{bottom_lat}" y2="{bottom_lat}" '
                 f'stroke="#334155"/>')
    tick = _nice_step(span)
    t = math.ceil(low / tick) * tick
    while t <= high:
        parts.append(f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{bottom_lat}" '
                     f'y2="{bottom_lat + 5}" stroke="#334155"/>')
        parts.append(f'<text x="{x(t):.1f}" y="{bottom_lat + 18}" font-size="11" '
                     f'text-anchor="middle" fill="#334155">{t:g}s</text>')
        t += tick
    # router reloads
    for reload in result.reloads:
        if low <= reload["time"] <= high:
            rx = x(reload["time"])
            routes = ", ".join(f"{u}: {n}" for u, n in sorted(reload["routes"].items()))
            parts.append(f'<path class="reload" d="M{rx:.1f} {bottom_lat + 22} l-4 7 h8 z" '
                         f'fill="#64748b"><title>router reload at {reload["time"]:.2f}s: '
                         f'{_e(routes or "no routes")} (instances per route)</title></path>')
    # cf command markers and labels
    if calls:
        xs = [x(c["time"]) for c in calls]
        label_xs = _spread(xs, 11.5, LEFT, WIDTH - RIGHT)
        for call, cx, lx in zip(calls, xs, label_xs, strict=True):
            read_only = _is_read_only(call["argv"])
            colour = FAILED if call.get("status") not in (0, None) else (
                "#94a3b8" if read_only else "#0f172a")
            label = command_label(call["argv"])
            if len(label) > 38:
                label = label[:37] + "…"
            full = "cf " + shlex.join(call["argv"])
            parts.append(f'<g class="command"><title>{_e(full)} at {call["time"]:.2f}s, exit '
                         f'{_e(call.get("status"))}</title>'
                         f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{top_bars}" y2="{bottom_lat}" '
                         f'stroke="{colour}" stroke-width="{0.6 if read_only else 1}" '
                         f'stroke-dasharray="{"2 3" if read_only else "4 2"}"/>'
                         f'<polyline points="{cx:.1f},{top_bars} {cx:.1f},{top_bars - 4} '
                         f'{lx:.1f},{top_bars - 12}" fill="none" stroke="{colour}" '
                         f'stroke-width="0.6"/>'
                         f'<text x="{lx + 3.5:.1f}" y="{top_bars - 15}" font-size="10" '
                         f'fill="{colour}" transform="rotate(-90 {lx + 3.5:.1f} '
                         f'{top_bars - 15})">{_e(label)}</text></g>')
    parts.append("</svg>")
    return "".join(parts)


def _fmt_ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def summary_rows(summaries: list[RunSummary]) -> str:
    rows = []
    for s in summaries:
        switch = "-" if s.switch_seconds is None else (
            f"{s.switch_seconds:.2f}s ({_e(s.from_version)} → {_e(s.to_version)})")
        requests = f"{s.requests:,}" + (f" <small>(+{s.before_live:,} before live)</small>"
                                        if s.before_live else "")
        rows.append(f"<tr><td>{_e(s.label)}</td><td>{s.exit_code}</td><td>{requests}</td>"
                    f'<td class="{"failed" if s.failed else ""}">{s.failed:,}</td>'
                    f"<td>{_fmt_ms(s.p50_ms)}</td><td>{_fmt_ms(s.p99_ms)}</td>"
                    f"<td>{_fmt_ms(s.p99_before_ms)} / {_fmt_ms(s.p99_cutover_ms)}</td>"
                    f"<td>{_e(' → '.join(s.versions) or '-')}</td><td>{switch}</td></tr>")
    total = sum(s.requests for s in summaries)
    failed = sum(s.failed for s in summaries)
    rows.append(f"<tr><th>all runs</th><th></th><th>{total:,}</th>"
                f'<th class="{"failed" if failed else ""}">{failed:,}</th>'
                "<th></th><th></th><th></th><th></th><th></th></tr>")
    return "".join(rows)


def page_height(result: StoryResult) -> int:
    """About how tall the page renders (for a full-page screenshot)."""
    return 430 + 34 * len(result.summaries) + len(result.summaries) * (CHART_HEIGHT + 150)


def render(result: StoryResult, title: str | None = None) -> str:
    """The whole HTML document."""
    colours = version_colours(result)
    ok = result.ok
    verdict = (f"{result.failed:,} failed of {result.requests:,} requests"
               + ("" if not result.world_errors else " — the live world reported problems"))
    settings = result.settings
    meta = [f"router lag {settings.router_lag:g}s", f"{settings.rate:g} requests/s per live "
            f"route", f"instances boot in {settings.startup_delay:g}s",
            f"SIGTERM→SIGKILL grace {settings.grace_seconds:g}s"]
    notes = "".join(f"<li>{_e(n)}</li>" for n in result.notes)
    legend = "".join(f'<span><i class="swatch" style="background:{c}"></i>{_e(v)}</span>'
                     for v, c in colours.items())
    legend += f'<span><i class="swatch" style="background:{FAILED}"></i>failed</span>'
    legend += (f'<span><i class="swatch" style="background:{NOT_LIVE}"></i>before the route '
               'was live (first deploy)</span>')
    legend += "".join(f'<span><i class="swatch" style="background:{c}"></i>{_e(n)}</span>'
                      for n, c in PHASE_FILL.items())
    body = [f"<h1>{_e(title or f'Live rehearsal of {result.profile.name}')}</h1>",
            f'<p><span class="verdict {"ok" if ok else "bad"}">{_e(verdict)}</span></p>',
            f'<p class="meta">{_e(" · ".join(meta))}. Real nginx, real app processes, the '
            "emitted scripts unchanged with the real curl, sleep and date; cf is the simulated "
            "foundation on a real clock.</p>"]
    if notes:
        body.append(f"<p>Shortened for this rehearsal (a copy of the profile):</p><ul>{notes}"
                    "</ul>")
    if result.world_errors:
        body.append("<p><b>Problems in the live world:</b></p><ul>"
                    + "".join(f"<li>{_e(e)}</li>" for e in result.world_errors) + "</ul>")
    body.append("<table><tr><th>run</th><th>exit</th><th>requests</th><th>failed</th>"
                "<th>p50 ms</th><th>p99 ms</th><th>p99 before / during cutover</th>"
                "<th>versions answering</th><th>both versions answered</th></tr>"
                f"{summary_rows(result.summaries)}</table>")
    body.append(f'<p class="legend">{legend}</p>')
    for summary, run in zip(result.summaries, result.runs, strict=True):
        command = shlex.join([run.run.script, *run.run.args])
        body.append(f"<h2>{_e(summary.label)} — <code>{_e(command)}</code> → exit "
                    f"{run.run.exit_code} ({summary.ended - summary.started:.1f}s)</h2>")
        body.append(run_chart(result, summary, colours))
        phase_cells = "".join(f"<td>{_e(name)} {end - begin:.2f}s</td>"
                              for name, (begin, end) in summary.phases.items())
        if phase_cells:
            body.append(f"<table><tr><th>phases</th>{phase_cells}</tr></table>")
        if summary.failures:
            items = "".join(f"<li>{n:,} × {_e(kind)}</li>"
                            for kind, n in sorted(summary.failures.items()))
            body.append(f"<p><b>Failed requests by kind:</b></p><ul>{items}</ul>")
        body.append(f"<details><summary>script output (stderr)</summary><pre>"
                    f"{_e(run.run.stderr)}</pre></details>")
    body.append('<p class="meta">Generated by cf-bluegreen rehearse --live. A request failed '
                "when it got no answer or not the profile's expected status and body; on a first "
                "deploy, requests before the router held the route are shown as before live, not "
                "as failures.</p>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{_e(title or f'Live rehearsal of {result.profile.name}')}</title>"
            f"<style>{CSS}</style></head><body>{''.join(body)}</body></html>\n")


def write_report(result: StoryResult, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(render(result), encoding="utf-8")
    tmp.replace(path)
    return path


CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--disable-dev-shm-usage", "--hide-scrollbars")


def run_chromium(chromium: str, page: Path, *args: str, timeout: float = 90
                 ) -> subprocess.CompletedProcess:
    """Headless Chromium on a local file, in a throw-away profile, killed if it hangs."""
    import os
    import signal

    with tempfile.TemporaryDirectory(prefix="cf-bluegreen-chromium-") as profile:
        command = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args,
                   page.resolve().as_uri()]
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except BaseException:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise
        finally:
            try:
                os.killpg(process.pid, signal.SIGKILL)  # helpers that outlived the browser
            except ProcessLookupError:
                pass
        return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def screenshot(chromium: str, page: Path, png: Path, height: int, width: int = 1240) -> Path:
    """A PNG of the report as a browser renders it."""
    png.parent.mkdir(parents=True, exist_ok=True)
    done = run_chromium(chromium, page, f"--screenshot={png.resolve()}",
                        f"--window-size={width},{height}")
    if done.returncode != 0 or not png.exists():
        from generator.live.errors import LiveError

        raise LiveError(f"chromium could not take the screenshot: {done.stderr.strip()[-500:]}")
    return png
