"""The validated, typed model of one profile.

Everything downstream of :mod:`generator.profile` (rendering, planning, rehearsal)
receives these frozen objects and never the raw TOML, so a template can only see
values that have passed Cloud Foundry's naming rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Retire = Literal["stop", "delete", "keep"]
CfCliMajor = Literal[6, 7, 8]


@dataclass(frozen=True)
class Route:
    """An HTTP route: ``host.domain/path``. ``host`` may be empty (apex of a private domain)."""

    host: str
    domain: str
    path: str = ""

    @property
    def url(self) -> str:
        """The route as Cloud Foundry prints it in ``cf app`` (``host.domain/path``)."""
        fqdn = f"{self.host}.{self.domain}" if self.host else self.domain
        return f"{fqdn}{self.path}"


@dataclass(frozen=True)
class Target:
    """Where the scripts may run; unset parts are not checked."""

    api: str | None = None
    org: str | None = None
    space: str | None = None


@dataclass(frozen=True)
class Health:
    """How a color proves it is ready: an HTTP probe on the staging (and live) route."""

    path: str = "/"
    scheme: Literal["http", "https"] = "https"
    expect_status: int = 200
    expect_body: str | None = None
    timeout_seconds: int = 60
    interval_seconds: int = 2


@dataclass(frozen=True)
class Cutover:
    """How traffic moves from the old color to the new one."""

    settle_seconds: int = 5
    drain_seconds: int = 15
    retire: Retire = "stop"
    smoke_test: str | None = None
    before_cutover: str | None = None
    after_cutover: str | None = None
    instances: int | None = None
    """``None``: the new color gets as many instances as the live one has."""
    verify_live: bool = True


@dataclass(frozen=True)
class PushOptions:
    """``cf push`` flags passed through when set."""

    docker_image: str | None = None
    buildpack: str | None = None
    stack: str | None = None
    memory: str | None = None
    disk: str | None = None
    vars: tuple[tuple[str, str], ...] = ()
    vars_files: tuple[str, ...] = ()
    timeout: int | None = None


@dataclass(frozen=True)
class Profile:
    """One application's blue-green settings, after validation."""

    name: str
    """Profile file stem; names the output folder."""
    source_hash: str
    """sha256 of the profile file's bytes, printed in the script header."""
    app: str
    colors: tuple[str, str]
    manifest: str | None = None
    path: str | None = None
    cf_cli: CfCliMajor = 8
    target: Target = field(default_factory=Target)
    live_routes: tuple[Route, ...] = ()
    staging_route: Route | None = None
    services: tuple[str, ...] = ()
    health: Health = field(default_factory=Health)
    cutover: Cutover = field(default_factory=Cutover)
    push: PushOptions = field(default_factory=PushOptions)

    @property
    def is_worker(self) -> bool:
        """A worker app has no live route: blue-green means start new, stop old."""
        return not self.live_routes
