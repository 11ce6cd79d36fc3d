"""The stub `curl`: a request to an app route, answered the way gorouter would.

The router sends a request to the apps *effectively* mapped (router lag applied) to
the best matching route (same host, longest route path that prefixes the URL path)
that have running instances, round-robin (a counter in the state, so runs are
deterministic). No such app: gorouter's 404. Hangs are not simulated (the caller's
own ``--max-time`` never fires).
"""

from __future__ import annotations

import os
import sys

from . import invariants
from . import state as S

# option -> takes a value?
_LONG = {
    "silent": False, "show-error": False, "fail": False, "fail-with-body": False,
    "location": False, "insecure": False, "verbose": False, "include": False, "head": False,
    "compressed": False, "no-progress-meter": False, "http1.1": False, "retry-connrefused": False,
    "output": True, "write-out": True, "max-time": True, "connect-timeout": True,
    "header": True, "request": True, "data": True, "data-raw": True, "data-binary": True,
    "user-agent": True, "retry": True, "retry-delay": True, "retry-max-time": True,
    "url": True, "user": True, "cacert": True, "resolve": True, "noproxy": True,
}
_SHORT = {
    "s": "silent", "S": "show-error", "f": "fail", "L": "location", "k": "insecure",
    "v": "verbose", "i": "include", "I": "head", "o": "output", "w": "write-out",
    "m": "max-time", "H": "header", "X": "request", "d": "data", "A": "user-agent",
    "u": "user",
}
_NUMERIC = {"max-time", "connect-timeout", "retry", "retry-delay", "retry-max-time"}
_TRY = "curl: try 'curl --help' or 'curl --manual' for more information\n"


class CurlUsage(Exception):
    pass


def parse_args(args: list[str]) -> tuple[dict[str, object], list[str]]:
    opts: dict[str, object] = {}
    urls: list[str] = []
    i = 0

    def take(name: str, shown: str, glued: str | None) -> None:
        nonlocal i
        if glued:
            value = glued
        elif i < len(args):
            value = args[i]
            i += 1
        else:
            raise CurlUsage(f"curl: option {shown}: requires parameter\n")
        if name in _NUMERIC:
            try:
                float(value)
            except ValueError:
                raise CurlUsage(f"curl: option {shown}: expected a proper numerical "
                                "parameter\n") from None
        if name == "header":
            lst = opts.setdefault("header", [])
            assert isinstance(lst, list)
            lst.append(value)
        elif name == "url":
            urls.append(value)
        else:
            opts[name] = value

    while i < len(args):
        arg = args[i]
        i += 1
        if arg.startswith("--") and len(arg) > 2:
            name = arg[2:]
            if name not in _LONG:
                raise CurlUsage(f"curl: option {arg}: is unknown\n")
            if _LONG[name]:
                take(name, arg, None)
            else:
                opts[name] = True
        elif arg.startswith("-") and len(arg) > 1:
            for k, c in enumerate(arg[1:]):
                name = _SHORT.get(c)
                if name is None:
                    raise CurlUsage(f"curl: option {arg}: is unknown\n")
                if _LONG[name]:
                    take(name, f"-{c}", arg[k + 2:] or None)
                    break
                opts[name] = True
        else:
            urls.append(arg)
    return opts, urls


def _split(url: str) -> tuple[str, str]:
    """URL -> (hostname, path without query)."""
    if "://" in url:
        url = url.split("://", 1)[1]
    hostport, _, path = url.partition("/")
    path = "/" + path.split("?", 1)[0].split("#", 1)[0]
    host = hostport.rsplit("@", 1)[-1].split(":", 1)[0].lower().rstrip(".")
    return host, path


def resolve(st: dict, host: str) -> bool:
    return any(host == d["name"] or host.endswith("." + d["name"]) for d in st["domains"])


def _pinned_instance(headers: list[str]) -> tuple[str, str] | None:
    """``X-CF-APP-INSTANCE: APP_GUID:INDEX`` (gorouter: send the request to that
    instance of an app mapped to the route), or None."""
    for header in headers:
        name, _, value = header.partition(":")
        if name.strip().lower() == "x-cf-app-instance":
            guid, _, index = value.strip().partition(":")
            return guid, index
    return None


def route_request(st: dict, url: str, headers: list[str] | None = None
                  ) -> tuple[int, str, str | None]:
    """(status, body, answering app name or None) for a resolvable URL, now."""
    host, path = _split(url)
    pin = _pinned_instance(headers or [])
    now = st["clock"]
    apps = {a["guid"]: a for a in st["apps"]}
    groups: dict[str, list[dict]] = {}
    # gorouter lower-cases the whole route key (host and path) before matching.
    host, lower_path = host.lower(), path.lower()
    for r in st["routes"]:
        rp = r["path"].lower()
        if S.route_fqdn(st, r).lower() != host or not (
                rp == "" or lower_path == rp or lower_path.startswith(rp + "/")):
            continue
        members = groups.setdefault(rp, [])
        for g in S.effective_app_guids(st, r["guid"], now):
            a = apps.get(g)
            if a is not None and S.app_running(a) and a not in members:
                members.append(a)
    for rp in sorted(groups, key=len, reverse=True):
        members = groups[rp]
        if pin is not None and members:
            guid, index = pin
            app = next((a for a in members if a["guid"] == guid), None)
            if app is None or not index.isdigit() or int(index) >= app["instances"]:
                return (400, f"400 Bad Request: Requested instance ('{index}') with guid "
                             f"('{guid}') does not exist for route ('{host}')\n", None)
            status, body = S.app_answer(app, now)
            return status, body, app["name"]
        if not members:
            continue
        key = host + rp
        n = st["rr"].get(key, 0)
        st["rr"][key] = n + 1
        app = members[n % len(members)]
        status, body = S.app_answer(app, now)
        return status, body, app["name"]
    return 404, f"404 Not Found: Requested route ('{host}') does not exist.\n", None


def _write_out(fmt: str, status: int, url: str, exitcode: int) -> tuple[str, str]:
    """Expand ``-w``: %{http_code} and friends, backslash escapes; (text, warnings)."""
    values = {"http_code": f"{status:03d}", "response_code": f"{status:03d}",
              "url_effective": url, "exitcode": str(exitcode), "time_total": "0.001000",
              "size_download": "0", "num_redirects": "0", "content_type": "text/plain"}
    out, warn, i = [], [], 0
    while i < len(fmt):
        c = fmt[i]
        if c == "%" and fmt.startswith("%{", i) and "}" in fmt[i:]:
            j = fmt.index("}", i)
            name = fmt[i + 2:j]
            if name in values:
                out.append(values[name])
            else:
                warn.append(f"curl: unknown --write-out variable: '{name}'\n")
            i = j + 1
        elif c == "%" and fmt.startswith("%%", i):
            out.append("%")
            i += 2
        elif c == "\\" and i + 1 < len(fmt) and fmt[i + 1] in "nrt\\":
            out.append({"n": "\n", "r": "\r", "t": "\t", "\\": "\\"}[fmt[i + 1]])
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out), "".join(warn)


def main(args: list[str]) -> int:
    try:
        opts, urls = parse_args(args)
    except CurlUsage as e:
        sys.stderr.write(str(e) + _TRY)
        return 2
    if not urls:
        sys.stderr.write("curl: no URL specified!\n" + _TRY)
        return 2
    path = os.environ.get("FAKECF_STATE")
    if not path:
        sys.stderr.write("fakecf: FAKECF_STATE is not set (path of the simulated foundation)\n")
        return 1
    url = urls[0]
    show_errors = not opts.get("silent") or bool(opts.get("show-error"))
    with S.Locked(path) as lk:
        st = lk.state
        host, _ = _split(url)
        if resolve(st, host):
            headers = opts.get("header")
            status, body, app = route_request(st, url, headers if isinstance(headers, list)
                                              else None)
            code = 0
        else:
            status, body, app, code = 0, "", None, 6
        pinned = _pinned_instance(opts.get("header") or [])  # type: ignore[arg-type]
        st["events"].append({"seq": S.next_seq(st), "tool": "curl", "url": url,
                             "pinned": pinned[0] if pinned else None,
                             "instance": pinned[1] if pinned else None,
                             "status": status, "app": app, "time": st["clock"],
                             "served": {u: invariants.served(st, u, st["clock"])
                                        for u in st["watched"]}})
        lk.commit()
    stdout, stderr = [], []
    if code == 6:
        if show_errors:
            stderr.append(f"curl: (6) Could not resolve host: {host}\n")
    else:
        failed = status >= 400 and (opts.get("fail") or opts.get("fail-with-body"))
        if failed:
            code = 22
        headers = f"HTTP/1.1 {status}\r\ncontent-type: text/plain; charset=utf-8\r\n\r\n"
        payload = "" if opts.get("head") else body
        if opts.get("include") or opts.get("head"):
            payload = headers + payload
        if not failed or opts.get("fail-with-body"):
            target = opts.get("output")
            if isinstance(target, str) and target != "-":
                try:
                    with open(target, "w", encoding="utf-8") as f:
                        f.write(payload)
                except OSError:
                    code = 23
                    if show_errors:
                        stderr.append("curl: (23) Failure writing output to destination\n")
            else:
                stdout.append(payload)
        if failed and show_errors:
            stderr.append(f"curl: (22) The requested URL returned error: {status}\n")
    fmt = opts.get("write-out")
    if isinstance(fmt, str):
        text, warn = _write_out(fmt, status, url, code)
        stdout.append(text)
        stderr.append(warn)
    sys.stdout.write("".join(stdout))
    sys.stdout.flush()
    sys.stderr.write("".join(stderr))
    return code
