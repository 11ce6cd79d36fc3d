"""A throw-away certificate authority and router certificate for one rehearsal.

Made with the openssl command line (present wherever curl and ca-certificates
are); P-256 keys keep TLS handshakes cheap for the prober. The router's
certificate names every domain of the foundation and its wildcard, so any route
(``host.domain``) verifies; curl trusts it through ``cacert`` in the run's .curlrc.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from generator.live.errors import LiveError


@dataclass(frozen=True)
class Certificates:
    ca: Path
    cert: Path
    key: Path


def _openssl(openssl: str, *args: str, cwd: Path) -> None:
    done = subprocess.run([openssl, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise LiveError(f"openssl {args[0]} failed: {done.stderr.strip()}")


def make_certificates(openssl: str, folder: Path, domains: list[str]) -> Certificates:
    """CA and a server certificate for ``domains`` (and ``*.domain``), valid two days."""
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for domain in domains:
        names += [f"DNS:{domain}", f"DNS:*.{domain}"]
    (folder / "server.ext").write_text(
        f"subjectAltName={','.join(names)}\nbasicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n", encoding="utf-8")
    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl(openssl, "req", "-x509", *key, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
             "-subj", "/CN=cf-bluegreen live rehearsal CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=folder)
    _openssl(openssl, "req", *key, "-keyout", "server.key", "-out", "server.csr",
             "-subj", "/CN=cf-bluegreen live router", cwd=folder)
    _openssl(openssl, "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext",
             cwd=folder)
    return Certificates(folder / "ca.pem", folder / "server.pem", folder / "server.key")
