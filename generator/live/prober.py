"""The load prober: steady HTTP(S) traffic at every live route, every answer recorded.

Run as ``python -I -S prober.py CONFIG_JSON`` (stdlib only). For each target (one
live route's health URL) it sends ``rate`` requests per second on an open-loop
schedule (a slow answer never delays the next request; requests of different
routes are interleaved), each on a fresh connection (``Connection: close``), so
a graceful router reload can never be mistaken for downtime by a stale
keep-alive connection, and what is measured is what a new user would get.
TLS sessions are resumed to keep the handshakes cheap.

Every request is recorded: time sent (seconds since the run's epoch, the
foundation's clock), latency, HTTP status, the version and instance that
answered (``X-App-Version`` / ``X-App-Instance``), the router's error class
(``X-Cf-RouterError``) or the connection error, and whether it succeeded: the
profile's expected status and, when set, expected body text.

It stops when told (``stop`` on standard input), when standard input closes (the
rehearsal died) or after ``max_seconds``; it then waits for the requests in
flight (bounded by ``timeout``) and writes one JSON object per request to ``out``.
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor


def _read_response(conn: socket.socket, deadline: float) -> bytes:
    data = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("timed out")
        conn.settimeout(left)
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk


def _parse(data: bytes) -> tuple[int | None, dict[str, str], str]:
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2) if lines and lines[0] else []
    status = int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else None
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, body.decode("utf-8", "replace")


class Prober:
    def __init__(self, config: dict) -> None:
        self.config = config
        self.epoch = float(config["epoch"])
        self.timeout = float(config.get("timeout", 5))
        self.context = ssl.create_default_context(cafile=config["cafile"])
        self.sessions: dict[str, ssl.SSLSession] = {}
        self.records: list[dict] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def one(self, target: dict, due: float) -> None:
        sent = time.time()
        started = time.monotonic()
        deadline = started + self.timeout
        record: dict = {"route": target["route"], "t": round(sent - self.epoch, 4),
                        "due": round(due - self.epoch, 4), "status": None, "version": "",
                        "instance": "", "router_error": "", "error": None, "ok": False}
        host = target["host"]
        request = (f"GET {target['path']} HTTP/1.1\r\nHost: {host}\r\n"
                   "User-Agent: cf-bluegreen-prober\r\nAccept: */*\r\nConnection: close\r\n\r\n"
                   ).encode()
        try:
            conn = socket.create_connection(("127.0.0.1", int(target["port"])),
                                            timeout=self.timeout)
            try:
                if target["scheme"] == "https":
                    conn = self.context.wrap_socket(conn, server_hostname=host,
                                                    session=self.sessions.get(host))
                conn.sendall(request)
                data = _read_response(conn, deadline)
                if isinstance(conn, ssl.SSLSocket) and conn.session is not None:
                    self.sessions[host] = conn.session
            finally:
                conn.close()
            status, headers, body = _parse(data)
            record.update(status=status, version=headers.get("x-app-version", ""),
                          instance=headers.get("x-app-instance", ""),
                          router_error=headers.get("x-cf-routererror", ""))
            expect_body = target.get("expect_body") or ""
            record["ok"] = status == int(target["expect_status"]) and expect_body in body
            if status is None:
                record["error"] = "malformed response"
        except TimeoutError:
            record["error"] = "timeout"
        except ConnectionRefusedError:
            record["error"] = "connection refused"
        except ConnectionResetError:
            record["error"] = "connection reset"
        except ssl.SSLError as error:
            record["error"] = f"TLS: {error.reason or error}"
        except OSError as error:
            record["error"] = error.strerror or str(error)
        record["latency_ms"] = round((time.monotonic() - started) * 1000, 3)
        with self.lock:
            self.records.append(record)

    def run(self) -> None:
        targets = self.config["targets"]
        rate = float(self.config["rate"])
        max_seconds = float(self.config.get("max_seconds", 900))
        workers = int(self.config.get("workers", 64))
        start = time.time() + 0.05
        period = 1.0 / rate
        offsets = [n * period / len(targets) for n in range(len(targets))]
        counts = [0] * len(targets)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            ready = self.config.get("ready")
            if ready:
                with open(ready + ".tmp", "w", encoding="utf-8") as handle:
                    handle.write(str(start - self.epoch))
                os.replace(ready + ".tmp", ready)
            while not self.stop.is_set():
                dues = [start + offsets[n] + counts[n] * period for n in range(len(targets))]
                n = min(range(len(targets)), key=dues.__getitem__)
                due = dues[n]
                if due - start > max_seconds:
                    break
                wait = due - time.time()
                if wait > 0 and self.stop.wait(wait):
                    break
                counts[n] += 1
                pool.submit(self.one, targets[n], due)

    def write(self) -> None:
        out = self.config["out"]
        with open(out + ".tmp", "w", encoding="utf-8") as handle:
            for record in sorted(self.records, key=lambda r: r["t"]):
                handle.write(json.dumps(record, separators=(",", ":")) + "\n")
        os.replace(out + ".tmp", out)


def _watch_stdin(prober: Prober) -> None:
    try:
        for line in sys.stdin:
            if line.strip() == "stop":
                break
    except OSError:
        pass
    prober.stop.set()


def main(config: dict) -> int:
    prober = Prober(config)
    threading.Thread(target=_watch_stdin, args=(prober,), daemon=True).start()
    prober.run()
    prober.write()
    return 0


if __name__ == "__main__":
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the rehearsal decides when we stop
    sys.exit(main(json.loads(sys.argv[1])))
