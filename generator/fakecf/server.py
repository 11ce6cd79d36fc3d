"""A resident stub server: the same ``cf``/``curl``/``sleep`` stubs, without a
Python start-up per call.

A deploy makes about fifty stub calls; at ~25 ms of interpreter start-up each,
the exhaustive fault matrix would take most of an hour. Here one process imports
the stubs once and serves calls over loopback TCP; the executables on PATH become
tiny bash clients (``/dev/tcp``) that send argv, working directory and the target
pid, and print what comes back. Behaviour is identical: the same ``main``
functions run, against the same state file, under the same lock.

Protocol (one connection per call): the client sends a decimal field count and a
newline, then that many NUL-terminated fields: tool, cwd, target pid, resume
index (empty, or the call index to run after an injected hang), then argv. The
server answers three NUL-terminated fields: status, stdout, stderr. Status
``hang:SECONDS:INDEX`` asks the client to wait that long in real time (so a hang
blocks only its caller) and to send the call again with the resume index.

Run as ``python -I -S server.py STATE PORT_FILE``; the server writes its port to
PORT_FILE once it listens, and runs until killed or until its standard input
reaches end of file (``StubServer`` holds the other end of a pipe there, so the
server also stops when the process that started it dies, even by SIGKILL).
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import sys

CLIENT = r"""#!{bash}
# Stub {tool}: forwards to the simulated foundation's server on port {port}.
exec 3<>/dev/tcp/127.0.0.1/{port} || exit 70
resume=""
while :; do
  {{
    printf '%s\n' "$(($# + 4))"
    printf '%s\0' {tool} "$PWD" "${{FAKECF_TARGET_PID:-$PPID}}" "$resume" "$@"
  }} >&3
  IFS= read -r -d '' status <&3 || exit 70
  IFS= read -r -d '' out <&3 || true
  IFS= read -r -d '' err <&3 || true
  exec 3>&-
  case "$status" in
    hang:*)
      rest="${{status#hang:}}"
      command -p sleep "${{rest%%:*}}"
      resume="${{rest#*:}}"
      exec 3<>/dev/tcp/127.0.0.1/{port} || exit 70
      ;;
    *) break ;;
  esac
done
printf '%s' "$out"
printf '%s' "$err" >&2
exit "$status"
"""


# The clients name their bash absolutely: `#!/usr/bin/env bash` costs an exec
# and a PATH search on every one of the thousands of stub calls of the matrix.
_BASH = shutil.which("bash") or "/bin/bash"
TOOLS = ("cf", "curl", "sleep")


def write_clients(bin_dir: str, port: int, tools: tuple[str, ...] = TOOLS) -> None:
    """The executables (by default ``cf``, ``curl`` and ``sleep``) that talk to this
    server. Live mode writes only ``cf``: there the real curl and sleep run."""
    for tool in tools:
        path = os.path.join(bin_dir, tool)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(CLIENT.format(tool=tool, port=port, bash=_BASH))
        os.chmod(path, 0o755)


def _read_request(conn: socket.socket) -> list[str]:
    data = b""
    while b"\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            raise ConnectionError("client closed before sending its request")
        data += chunk
    head, rest = data.split(b"\n", 1)
    count = int(head)
    while rest.count(b"\0") < count:
        chunk = conn.recv(65536)
        if not chunk:
            raise ConnectionError("client closed mid-request")
        rest += chunk
    return [field.decode("utf-8", "surrogateescape") for field in rest.split(b"\0")[:count]]


def _run(tool: str, args: list[str], resume_index: str) -> tuple[str, str, str]:
    from fakecf import cf, curl, sleep

    stdout, stderr = io.StringIO(), io.StringIO()
    saved = sys.stdout, sys.stderr, sys.stdin
    sys.stdout, sys.stderr, sys.stdin = stdout, stderr, io.StringIO("")
    try:
        if tool == "cf" and resume_index:
            status = str(cf.resume(args, int(resume_index)))
        elif tool == "cf":
            try:
                status = str(cf.main(args, defer_hang=True))
            except cf.DeferredHang as hang:
                status = f"hang:{hang.seconds:g}:{hang.index}"
        elif tool == "curl":
            status = str(curl.main(args))
        elif tool == "sleep":
            status = str(sleep.main(args))
        else:
            stderr.write(f"fakecf: unknown tool {tool!r}\n")
            status = "2"
    except Exception as error:  # noqa: BLE001 - report to the caller, keep serving
        import traceback

        stderr.write(f"fakecf server: {tool} {args!r} crashed: {error!r}\n")
        stderr.write(traceback.format_exc())
        status = "70"
    finally:
        sys.stdout, sys.stderr, sys.stdin = saved
    return status, stdout.getvalue(), stderr.getvalue()


def _exit_at_end_of_input() -> None:
    """Stop the whole server when standard input closes (the parent is gone)."""
    try:
        while sys.stdin.buffer.read(4096):
            pass
    finally:
        os._exit(0)


def serve(state_path: str, port_file: str) -> None:
    """Serve calls one at a time (the state lock is taken per call anyway)."""
    import stat
    import threading

    try:
        piped = stat.S_ISFIFO(os.fstat(0).st_mode)
    except OSError:
        piped = False
    if piped:
        threading.Thread(target=_exit_at_end_of_input, daemon=True).start()
    os.environ["FAKECF_STATE"] = state_path
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    tmp = port_file + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(str(listener.getsockname()[1]))
    os.replace(tmp, port_file)
    while True:
        conn, _ = listener.accept()
        with conn:
            try:
                fields = _read_request(conn)
            except (ConnectionError, ValueError):
                continue
            tool, cwd, target_pid, resume_index, *args = fields
            os.environ["FAKECF_TARGET_PID"] = target_pid
            try:
                os.chdir(cwd)
            except OSError:
                os.chdir("/")
            reply = _run(tool, args, resume_index)
            try:
                conn.sendall(b"".join(part.encode("utf-8", "surrogateescape") + b"\0"
                                      for part in reply))
            except OSError:
                continue


def _main() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    package = type(sys)("fakecf")
    package.__path__ = [here]  # type: ignore[attr-defined]
    package.__package__ = "fakecf"
    sys.modules["fakecf"] = package
    serve(os.path.abspath(sys.argv[1]), sys.argv[2])


if __name__ == "__main__":
    _main()
