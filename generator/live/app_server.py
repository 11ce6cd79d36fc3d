"""One app instance of the live rehearsal: a real HTTP server on a 127.0.0.1 port.

Run as ``python -I -S app_server.py SPEC_JSON`` by the supervisor (stdlib only, so
an instance starts in tens of milliseconds without importing the generator).
SPEC_JSON names the app, its GUID, the instance index, the pushed droplet's
behaviour (``version``, ``healthy``, ``status``, ``body``, ``slow_start_seconds``,
``fails_after_seconds``: the keys of ``.fakecf-app.json``), the health paths, a
start-up delay and the file to write the port to.

Like an app on Cloud Foundry it:

- takes ``startup_delay`` seconds before it listens (a runtime booting), then
  writes its port to ``port_file``: listening is what "started" means;
- answers the health path with the droplet's status and body, any other path
  with 200 and a page naming the version; every answer carries
  ``X-App-Version`` and ``X-App-Instance`` (GUID:INDEX), so a client can tell who
  answered; an unhealthy droplet answers 500 everywhere, a slow start 503 until
  ready, ``fails_after_seconds`` or SIGUSR1 turns it into 500 from then on (a
  build that degrades in service); SIGUSR2 makes it hang instead: connections
  are accepted, requests read, and no answer ever comes (a deadlocked app);
- on SIGTERM stops accepting connections, lets the requests in flight finish and
  exits (the supervisor sends SIGKILL after its grace period, as Diego does);
- stops by itself when its standard input closes (the supervisor died) or after
  ``max_seconds``.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() waits for requests in flight
    block_on_close = True
    request_queue_size = 128


def _make_handler(spec: dict, state: dict[str, Any]) -> type[BaseHTTPRequestHandler]:
    version = str(spec.get("version") or "")
    instance = f"{spec['guid']}:{spec['index']}"
    health_paths = set(spec.get("health_paths") or ["/"])

    class Handler(BaseHTTPRequestHandler):
        server_version = "fakecf-app"
        sys_version = ""

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

        def _answer(self) -> tuple[int, str]:
            elapsed = time.monotonic() - state["ready_at"]
            fails_after = float(spec.get("fails_after_seconds") or 0)
            if (not spec.get("healthy", True) or state["degraded"]
                    or (fails_after > 0 and elapsed >= fails_after)):
                return 500, "unhealthy"
            if elapsed < float(spec.get("slow_start_seconds") or 0):
                return 503, "503 Service Unavailable: app is starting"
            path = self.path.split("?", 1)[0]
            if path in health_paths:
                return int(spec.get("status", 200)), str(spec.get("body", "ok"))
            return 200, f"{spec['app']} {version}: {path}"

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            if state["hung"]:
                state["stop"].wait(float(spec.get("max_seconds") or 1800))
                return
            status, body = self._answer()
            data = (body + "\n").encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-App-Version", version)
            self.send_header("X-App-Instance", instance)
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_HEAD = do_GET

    return Handler


def _watch_stdin(stop: threading.Event) -> None:
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except OSError:
        pass
    stop.set()


def main(spec: dict) -> int:
    stop = threading.Event()
    state: dict[str, Any] = {"degraded": False, "hung": False, "stop": stop,
                             "ready_at": time.monotonic()}
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the supervisor decides when we stop
    signal.signal(signal.SIGUSR1, lambda *_: state.update(degraded=True))
    signal.signal(signal.SIGUSR2, lambda *_: state.update(hung=True))
    threading.Thread(target=_watch_stdin, args=(stop,), daemon=True).start()
    if stop.wait(float(spec.get("startup_delay") or 0)):
        return 0
    server = _Server(("127.0.0.1", 0), _make_handler(spec, state))
    state["ready_at"] = time.monotonic()
    port_file = spec["port_file"]
    with open(port_file + ".tmp", "w", encoding="utf-8") as handle:
        handle.write(str(server.server_address[1]))
    os.replace(port_file + ".tmp", port_file)
    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    serving.start()
    stop.wait(float(spec.get("max_seconds") or 1800))
    server.shutdown()  # no new connections are accepted from here on
    serving.join()
    server.server_close()  # closes the socket, waits for the requests in flight
    return 0


if __name__ == "__main__":
    sys.exit(main(json.loads(sys.argv[1])))
