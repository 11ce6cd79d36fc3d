"""A generated fleet of profiles, derived from the examples, for the scale benchmarks.

A platform team's 1,000 apps are not 1,000 copies of one file: they mix the
example shapes (minimal web app, the Sinatra guide's app, a shop with two
domains, hooks and push options, a worker), each with its own names, routes,
services, health checks, timings and cf CLI major. The fleet is drawn from a
seeded random generator, so a size always gives the same files, and is written
to a temporary folder by the benchmark, never committed.

Run on its own: python bench/fleet.py DIR [--profiles N]
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

WORDS = ("billing", "catalog", "checkout", "search", "profile", "ledger", "invoice", "notify",
         "orders", "pricing", "reports", "shipping", "tickets", "auth", "media", "events")
SUFFIXES = ("api", "web", "ui", "svc", "gateway", "portal", "app", "backend")
DOMAINS = ("example.com", "apps.example.org", "corp.example.net", "shop.example.io")
SERVICES = ("db", "cache", "queue", "search", "mail", "logs", "secrets", "storage")
BUILDPACKS = ("ruby_buildpack", "nodejs_buildpack", "java_buildpack", "go_buildpack",
              "python_buildpack")
SHAPES = (("minimal", 35), ("sinatra", 25), ("shop", 25), ("worker", 15))


def _toml(value: object) -> str:
    """TOML for the few value kinds profiles use (JSON strings are valid TOML strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{key} = {_toml(item)}" for key, item in value.items()) + " }"
    raise TypeError(value)


def _document(top: dict[str, object], tables: dict[str, dict[str, object]]) -> str:
    lines = [f"{key} = {_toml(value)}" for key, value in top.items()]
    for name, table in tables.items():
        if table:
            lines += ["", f"[{name}]", *(f"{key} = {_toml(value)}" for key, value in table.items())]
    return "\n".join(lines) + "\n"


def _web(rng: random.Random, app: str, shape: str) -> tuple[dict, dict]:
    domain = rng.choice(DOMAINS)
    live = [{"host": app, "domain": domain}]
    if shape == "shop":
        live.append({"host": "www", "domain": rng.choice([d for d in DOMAINS if d != domain]),
                     "path": f"/{app.split('-')[0]}"})
    routes: dict[str, object] = {"live": live}
    if shape != "minimal":
        routes["staging"] = {"host": f"{app}-staging", "domain": domain}
    tables: dict[str, dict[str, object]] = {"routes": routes}
    if shape == "minimal":
        return {}, tables
    interval = rng.choice((1, 2, 5))
    health: dict[str, object] = {"path": rng.choice(("/", "/health", "/status", "/ping")),
                                 "expect_status": 200,
                                 "timeout_seconds": rng.choice((30, 60, 120)),
                                 "interval_seconds": interval}
    if rng.random() < 0.6:
        health["expect_body"] = rng.choice(("ok", "UP", "healthy", app))
    tables["health"] = health
    cutover: dict[str, object] = {"settle_seconds": rng.choice((2, 5, 10)),
                                  "drain_seconds": rng.choice((5, 15, 30)),
                                  "retire": rng.choice(("stop", "stop", "keep", "delete"))}
    if shape == "shop":
        cutover["smoke_test"] = f'curl -fsS "$STAGING_URL/{rng.choice(("cart", "ready"))}"'
        cutover["before_cutover"] = f'echo "{app}: switching traffic"'
        cutover["after_cutover"] = f'echo "{app}: traffic switched"'
        cutover["verify_live"] = rng.random() < 0.8
    tables["cutover"] = cutover
    return {}, tables


def fleet_profile(index: int, rng: random.Random) -> tuple[str, str]:
    """One profile of the fleet: (file stem, TOML text)."""
    shapes, weights = zip(*SHAPES, strict=True)
    shape = rng.choices(shapes, weights)[0]
    app = f"{rng.choice(WORDS)}-{rng.choice(SUFFIXES)}-{index:04}"
    top: dict[str, object] = {"app": app}
    if shape == "sinatra":
        top["colors"] = [f"{app}_a", f"{app}_b"]
    top["cf_cli"] = rng.choices((8, 7, 6), (70, 25, 5))[0]
    tables: dict[str, dict[str, object]] = {}
    if rng.random() < 0.5:
        tables["target"] = {"api": "https://api.example.com", "org": f"org-{index % 7}",
                            "space": rng.choice(("production", "staging"))}
    if shape == "worker":
        tables["cutover"] = {"instances": rng.choice((1, 2, 3)),
                             "retire": rng.choice(("stop", "delete"))}
    else:
        extra_top, web_tables = _web(rng, app, shape)
        top.update(extra_top)
        tables.update(web_tables)
    if shape in ("shop", "worker") or rng.random() < 0.3:
        tables["services"] = {"bind": [f"{app}-{s}" for s in
                                       rng.sample(SERVICES, rng.randint(1, 3))]}
    push: dict[str, object] = {}
    if shape != "minimal":
        push["memory"] = rng.choice(("256M", "512M", "1G"))
        if rng.random() < 0.1 and shape != "sinatra":
            push["docker_image"] = f"registry.example.com/{app}:1.{index % 10}"
        else:
            top["path"] = rng.choice(("app", "dist", "build/libs"))
            if rng.random() < 0.5:
                push["buildpack"] = rng.choice(BUILDPACKS)
                push["stack"] = "cflinuxfs4"
    if shape == "shop":
        top["manifest"] = "manifest.yml"
        push.update(disk="1G", timeout=180, vars={"env": "production"},
                    vars_files=["vars/production.yml"])
    tables["push"] = push
    header = f"# fleet profile {index}: {shape} shape, generated by bench/fleet.py\n"
    return f"{index:04}-{app}", header + _document(top, tables)


def write_fleet(folder: Path, count: int, seed: int = 2026) -> list[Path]:
    """Write ``count`` profiles into ``folder``; the same count always gives the same files."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    paths = []
    for index in range(count):
        stem, text = fleet_profile(index, rng)
        path = folder / f"{stem}.toml"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--profiles", type=int, default=1000)
    arguments = parser.parse_args()
    print(f"wrote {len(write_fleet(arguments.folder, arguments.profiles))} profiles "
          f"into {arguments.folder}")
