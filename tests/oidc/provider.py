"""Start tests/oidc/provider.js (the npm `oidc-provider`) on a free loopback port and wait until discovery answers."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("provider.js")
CLIENT_ID = "motcua"
CLIENT_SECRET = "motcua-test-secret"


@dataclass(frozen=True)
class Provider:
    issuer: str

    def settings(self) -> dict[str, Any]:
        """The motcua settings that point the login at this provider."""
        return {"MOTCUA_OIDC_ISSUER": self.issuer, "MOTCUA_OIDC_CLIENT_ID": CLIENT_ID,
                "MOTCUA_OIDC_CLIENT_SECRET": CLIENT_SECRET, "OIDC_RP_CLIENT_ID": CLIENT_ID,
                "OIDC_RP_CLIENT_SECRET": CLIENT_SECRET, "MOTCUA_OIDC_SCOPES": "openid profile email",
                "OIDC_RP_SCOPES": "openid profile email"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_provider(redirect_uris: list[str], post_logout_uris: list[str]) -> Iterator[Provider]:
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "oidc-provider").exists():
        raise RuntimeError("node and `npm ci` (oidc-provider) are needed for the OIDC tests")
    port = _free_port()
    env = {**os.environ, "PORT": str(port), "REDIRECT_URIS": ",".join(redirect_uris),
           "POST_LOGOUT_REDIRECT_URIS": ",".join(post_logout_uris), "CLIENT_ID": CLIENT_ID,
           "CLIENT_SECRET": CLIENT_SECRET}
    process = subprocess.Popen([node, str(SCRIPT)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    issuer = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the OIDC provider stopped: {process.stderr.read() if process.stderr else ''}")
            try:
                if requests.get(f"{issuer}/.well-known/openid-configuration", timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the OIDC provider did not answer discovery within 30 s")
            time.sleep(0.1)
        yield Provider(issuer)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
