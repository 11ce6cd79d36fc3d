"""`cf-bluegreen rehearse --live` as a user runs it: the report in a real browser,
Ctrl-C cleanup, and the errors for missing programs and misused options."""

from __future__ import annotations

import os
import re
import signal
import socket
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from generator.live.prereqs import find
from generator.live.report import run_chromium
from tests.conftest import ROOT
from tests.live.conftest import wait_for

pytestmark = [pytest.mark.live, pytest.mark.timeout(180)]

QUICK = ["--settle", "1", "--drain", "2", "--interval", "1", "--router-lag", "1"]


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = 150
        ) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=ROOT, text=True,
                          capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL,
                          env={**os.environ, **(env or {})})


def png_pixels(path: Path, max_rows: int = 1000) -> tuple[int, int, list[bytes]]:
    """Width, height and the first ``max_rows`` unfiltered rows of an 8-bit RGB/RGBA
    PNG (what Chromium writes); pure Python, so not the whole page."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = chunk
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour in (2, 6), (depth, colour)
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(min(height, max_rows)):
        begin = y * (stride + 1)
        kind, line = raw[begin], bytearray(raw[begin + 1:begin + 1 + stride])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, rows


def test_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    report, png = tmp_path / "report.html", tmp_path / "report.png"
    done = cli("rehearse", "profiles/minimal.toml", "--live", *QUICK, "--rate", "40",
               "--report", str(report), "--screenshot", str(png))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Verdict: zero failed requests" in done.stdout
    assert "timings shortened for this rehearsal" in done.stdout
    html = report.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # self-contained
    # The DOM after Chromium loaded the page: three charts with their elements.
    dom = run_chromium(find("chromium"), report, "--dump-dom").stdout
    assert dom.count('class="run-chart"') == 3
    assert dom.count('class="request"') > 500
    assert dom.count('class="command"') >= 30
    assert dom.count('class="phase"') >= 7
    assert "0 failed of" in dom
    # The screenshot is a picture of it, not a blank page.
    width, height, rows = png_pixels(png)
    assert width >= 1000 and height >= 1500
    colours = {row[i:i + 3] for row in rows[::7] for i in range(0, len(row) - 3, 3 * 5)}
    assert len(colours) > 50
    assert b"\x25\x63\xeb" in {c for c in colours}  # the v1 blue of the bars


def _tree(root: int) -> dict[int, str]:
    """Every descendant of ``root`` and its command line (Linux /proc)."""
    parents: dict[int, int] = {}
    names: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
                parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
                names[int(entry)] = Path(f"/proc/{entry}/cmdline").read_bytes().replace(
                    b"\0", b" ").decode(errors="replace")
            except (OSError, ValueError, IndexError):
                pass
    found, todo = {}, [root]
    while todo:
        pid = todo.pop()
        for child, parent in parents.items():
            if parent == pid and child not in found:
                found[child] = names.get(child, "")
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads the process tree from /proc")
def test_ctrl_c_stops_everything_and_leaves_nothing_behind(tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-m", "generator", "rehearse", "profiles/sinatra.toml", "--live",
         *QUICK, "--rate", "20"], cwd=ROOT, text=True, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, start_new_session=True,
        env={**os.environ, "TMPDIR": str(tmp)})
    try:
        # Mid-deploy: the second deploy has started the new color next to the live one.
        def busy() -> bool:
            tree = _tree(process.pid)
            return (sum("app_server.py" in c for c in tree.values()) >= 2
                    and any("deploy.sh" in c for c in tree.values()))
        wait_for(lambda: busy() or process.poll() is not None, timeout=90, what="a deploy")
        assert process.poll() is None, process.communicate()
        tree = _tree(process.pid)
        conf = next(tmp.glob("cf-bluegreen-live-*/live/nginx/nginx.conf")).read_text()
        ports = sorted({int(p) for p in re.findall(r"listen 127\.0\.0\.1:(\d+)", conf)})
        assert any("nginx" in c for c in tree.values()) and len(ports) == 2
        process.send_signal(signal.SIGINT)  # what Ctrl-C sends to the foreground process
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    assert process.returncode == 130, stdout + stderr
    assert "interrupted; every process the live rehearsal started was stopped" in stderr
    assert "Traceback" not in stderr
    wait_for(lambda: not any(_alive(pid) for pid in tree), timeout=10,
             what=f"these to exit: {[c for p, c in tree.items() if _alive(p)]}")
    for port in ports:
        with socket.socket() as probe, pytest.raises(ConnectionRefusedError):
            probe.connect(("127.0.0.1", port))
    assert list(tmp.iterdir()) == []  # temporary folders removed


def test_missing_nginx_is_one_clear_line_and_exit_3(tmp_path: Path) -> None:
    done = cli("rehearse", "profiles/sinatra.toml", "--live",
               env={"CF_BLUEGREEN_NGINX": str(tmp_path / "no-nginx")}, timeout=60)
    assert done.returncode == 3, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "nginx" in lines[0] and "apt-get install nginx" in lines[0]
    assert done.stdout == ""


def test_missing_chromium_for_a_screenshot_is_exit_3_before_anything_runs(tmp_path: Path
                                                                          ) -> None:
    done = cli("rehearse", "profiles/sinatra.toml", "--live", "--report", str(tmp_path / "r.html"),
               "--screenshot", str(tmp_path / "r.png"),
               env={"CF_BLUEGREEN_CHROMIUM": str(tmp_path / "no-chromium")}, timeout=60)
    assert done.returncode == 3, done.stdout + done.stderr
    assert "chromium" in done.stderr and "apt-get install chromium" in done.stderr
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize("args, message", [
    (["--rate", "10"], "--rate needs --live"),
    (["--report", "r.html"], "--report needs --live"),
    (["--live", "--screenshot", "r.png"], "--screenshot needs --report"),
    (["--live", "--rate", "0"], "Invalid value for '--rate'"),
    (["--live", "--interval", "61"], "--interval 61 is longer than the profile's health"),
])
def test_live_options_are_checked(args: list[str], message: str) -> None:
    done = cli("rehearse", "profiles/sinatra.toml", *args, timeout=60)
    assert done.returncode == 2
    assert message in done.stderr


def test_worker_profile_has_nothing_to_measure() -> None:
    done = cli("rehearse", "profiles/worker.toml", "--live", timeout=60)
    assert done.returncode == 1
    assert "no live routes" in done.stderr
