"""Session, service and metadata commands: version, target, api, space, help,
services, bind-service, unbind-service, labels, set-label, unset-label."""

from __future__ import annotations

from . import grammar
from . import state as S
from .core import CfError, Ctx, table


def cmd_version(ctx: Ctx) -> None:
    ctx.out.o(f"cf version {ctx.st['cli_version']}")


def cmd_help(ctx: Ctx) -> None:
    name = ctx.p.pos[0] if ctx.p.pos else None
    if name is not None:
        resolved = grammar.resolve_command(ctx.major, name)
        if resolved is None:
            raise CfError(f"'{name}' is not a registered command. See 'cf help -a'")
        name = resolved
    ctx.out.raw(grammar.help_text(ctx.major, name))


def _target_table(ctx: Ctx) -> None:
    st = ctx.st
    lower = ctx.major == 6
    rows = [["api endpoint:" if lower else "API endpoint:", st["api"]],
            ["api version:" if lower else "API version:", st["api_version"]],
            ["user:", st["user"]]]
    org = S.targeted_org(st)
    space = S.targeted_space(st)
    if org:
        rows.append(["org:", org["name"]])
    if space:
        rows.append(["space:", space["name"]])
    ctx.out.lines(table(rows))
    if org is None:
        ctx.out.o("No org or space targeted, use 'cf target -o ORG -s SPACE'")
    elif space is None:
        ctx.out.o("No space targeted, use 'cf target -s SPACE'")


def cmd_target(ctx: Ctx) -> None:
    """`cf target` shows the target; with -o/-s it changes it (a failure clears it)."""
    ctx.check_target(org=False, space=False)
    st = ctx.st
    org_name, space_name = ctx.p.get("o"), ctx.p.get("s")
    if isinstance(org_name, str):
        org = next((o for o in st["orgs"] if o["name"] == org_name), None)
        if org is None:
            st["target"] = {"org": None, "space": None}
            ctx.changed = True
            raise CfError(f"Organization '{org_name}' not found.")
        st["target"] = {"org": org["guid"], "space": None}
        if not isinstance(space_name, str) and len(org["spaces"]) == 1:
            st["target"]["space"] = org["spaces"][0]["guid"]
        ctx.changed = True
    if isinstance(space_name, str):
        org = S.targeted_org(st)
        if org is None:
            raise CfError("No org targeted, use 'cf target -o ORG' to target an org.")
        space = next((s for s in org["spaces"] if s["name"] == space_name), None)
        if space is None:
            if isinstance(org_name, str):
                st["target"] = {"org": None, "space": None}
            else:
                st["target"]["space"] = None
            ctx.changed = True
            raise CfError(f"Space '{space_name}' not found.")
        st["target"]["space"] = space["guid"]
        ctx.changed = True
    _target_table(ctx)


def cmd_api(ctx: Ctx) -> None:
    st = ctx.st
    if ctx.p.has("unset"):
        ctx.out.o("Unsetting API endpoint...")
        st["api"] = ""
        st["logged_in"] = False
        ctx.changed = True
        ctx.out.ok()
        return
    if ctx.p.pos:
        url = ctx.p.pos[0]
        url = url if url.startswith("http") else "https://" + url
        ctx.out.o(f"Setting API endpoint to {url}...")
        if url.rstrip("/") != st["api"].rstrip("/"):
            st["logged_in"] = False
        st["api"] = url.rstrip("/")
        ctx.changed = True
        ctx.out.ok()
    if not st["api"]:
        ctx.out.o("No API endpoint set. Use 'cf api' to set an endpoint")
        return
    lower = ctx.major == 6
    ctx.out.lines(table([["api endpoint:" if lower else "API endpoint:", st["api"]],
                         ["api version:" if lower else "API version:", st["api_version"]]]))
    if not st["logged_in"]:
        ctx.out.o()
        ctx.out.o("Not logged in. Use 'cf login' or 'cf login --sso' to log in.")


def cmd_space(ctx: Ctx) -> None:
    ctx.check_target(org=True, space=False)
    name = ctx.p.pos[0]
    org = ctx.org
    space = next((s for s in org["spaces"] if s["name"] == name), None)
    if ctx.p.has("guid"):
        if space is None:
            raise CfError(f"Space '{name}' not found.")
        ctx.out.o(space["guid"])
        return
    ctx.out.o(f"Getting info for space {name} in org {org['name']} as {ctx.user}...")
    ctx.out.o()
    if space is None:
        raise CfError(f"Space '{name}' not found.")
    apps = sorted(a["name"] for a in ctx.st["apps"] if a["space_guid"] == space["guid"])
    svcs = sorted(s["name"] for s in ctx.st["services"] if s["space_guid"] == space["guid"])
    ctx.out.lines(table([["name:", name], ["org:", org["name"]], ["apps:", ", ".join(apps)],
                         ["services:", ", ".join(svcs)], ["isolation segment:", ""],
                         ["quota:", ""], ["running security groups:", "public_networks"],
                         ["staging security groups:", "public_networks"]]))


# --- services ------------------------------------------------------------------------


def _service(ctx: Ctx, name: str) -> dict | None:
    return next((s for s in ctx.st["services"] if s["name"] == name
                 and s["space_guid"] == ctx.space["guid"]), None)


def cmd_services(ctx: Ctx) -> None:
    ctx.check_target()
    svcs = [s for s in ctx.st["services"] if s["space_guid"] == ctx.space["guid"]]
    names = {a["guid"]: a["name"] for a in ctx.st["apps"]}
    if ctx.major == 6:
        ctx.out.o(f"Getting services in {ctx.where()}...")
        ctx.out.ok()
        if not svcs:
            ctx.out.o("No services found")
            return
        head = ["name", "service", "plan", "bound apps", "last operation", "broker",
                "upgrade available"]
    else:
        ctx.out.o(f"Getting service instances in {ctx.where()}...")
        ctx.out.o()
        if not svcs:
            ctx.out.o("No service instances found.")
            return
        head = ["name", "offering", "plan", "bound apps", "last operation", "broker",
                "upgrade available"]
    rows = [head]
    for s in sorted(svcs, key=lambda s: s["name"]):
        bound = ", ".join(names[g] for g in s["bindings"] if g in names)
        rows.append([s["name"], s["offering"], s["plan"], bound, "create succeeded",
                     s.get("broker", ""), ""])
    ctx.out.lines(table(rows))


def cmd_bind_service(ctx: Ctx) -> None:
    ctx.check_target()
    app_name, si_name = ctx.p.pos[0], ctx.p.pos[1]
    v8 = ctx.major >= 8
    if v8:
        ctx.out.o(f"Binding service instance {si_name} to app {app_name} in {ctx.where()}...")
    else:
        ctx.out.o(f"Binding service {si_name} to app {app_name} in {ctx.where()}...")
    # v8 looks the service instance up first; v6/v7 (v2 actor) the app first.
    app = None if v8 else ctx.need_app(app_name)
    si = _service(ctx, si_name)
    if si is None:
        raise CfError(f"Service instance '{si_name}' not found" if v8
                      else f"Service instance {si_name} not found")
    app = app or ctx.need_app(app_name)
    if app["guid"] in si["bindings"]:
        if v8:
            ctx.out.o(f"App {app_name} is already bound to service instance {si_name}.")
        else:
            ctx.out.o(f"App {app_name} is already bound to {si_name}.")
        ctx.out.ok()
        return
    si["bindings"].append(app["guid"])
    ctx.changed = True
    ctx.out.ok()
    ctx.out.o(f"TIP: Use 'cf restage {app_name}' to ensure your env variable changes take effect")


def cmd_unbind_service(ctx: Ctx) -> None:
    ctx.check_target()
    app_name, si_name = ctx.p.pos[0], ctx.p.pos[1]
    ctx.out.o(f"Unbinding app {app_name} from service {si_name} in {ctx.where()}...")
    si = _service(ctx, si_name)
    if si is None:
        raise CfError(f"Service instance '{si_name}' not found" if ctx.major >= 8
                      else f"Service instance {si_name} not found")
    app = ctx.need_app(app_name)
    if app["guid"] not in si["bindings"]:
        if ctx.major >= 8:
            ctx.out.o(f"Binding between {si_name} and {app_name} does not exist")
        else:
            ctx.out.e(f"Binding between {si_name} and {app_name} did not exist")
        ctx.out.ok()
        return
    si["bindings"].remove(app["guid"])
    ctx.changed = True
    ctx.out.ok()


# --- labels (v7/v8) ------------------------------------------------------------------


def _label_app(ctx: Ctx) -> dict:
    if ctx.p.later_error:
        raise CfError(ctx.p.later_error)
    if ctx.p.pos[0].lower() != "app":
        raise CfError(f"fakecf: labels on resource type '{ctx.p.pos[0]}' are not simulated")
    ctx.check_target()
    return ctx.need_app(ctx.p.pos[1])


def cmd_labels(ctx: Ctx) -> None:
    if ctx.p.pos[0].lower() == "app" and not ctx.p.later_error:
        ctx.check_target()
        ctx.out.o(f"Getting labels for app {ctx.p.pos[1]} in {ctx.where()}...")
    app = _label_app(ctx)
    ctx.out.o()
    if not app["labels"]:
        ctx.out.o("No labels found.")
        return
    ctx.out.lines(table([["key", "value"], *[[k, app["labels"][k]] for k in
                                              sorted(app["labels"])]]))


def cmd_set_label(ctx: Ctx) -> None:
    pairs = ctx.p.pos[2:]
    for kv in pairs:
        if "=" not in kv:
            raise CfError(f"Metadata error: no value provided for label '{kv}'")
    if ctx.p.pos[0].lower() == "app" and not ctx.p.later_error:
        ctx.check_target()
        ctx.out.o(f"Setting label(s) for app {ctx.p.pos[1]} in {ctx.where()}...")
    app = _label_app(ctx)
    for kv in pairs:
        k, v = kv.split("=", 1)
        app["labels"][k] = v
    ctx.changed = True
    ctx.out.ok()


def cmd_unset_label(ctx: Ctx) -> None:
    if ctx.p.pos[0].lower() == "app" and not ctx.p.later_error:
        ctx.check_target()
        ctx.out.o(f"Removing label(s) for app {ctx.p.pos[1]} in {ctx.where()}...")
    app = _label_app(ctx)
    for k in ctx.p.pos[2:]:
        app["labels"].pop(k, None)
    ctx.changed = True
    ctx.out.ok()
