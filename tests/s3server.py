"""moto's S3 server on loopback: the S3-compatible stand-in the storage tests and `bench/chaos.py` use.

    with MotoServer(log_dir) as s3:
        s3.create_bucket("dossiers")
        env = s3.storage_env("dossiers")   # MOTCUA_STORAGE=s3 and the MOTCUA_S3_* settings pointing at it
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

from tests.postgres.pgserver import free_port

ACCESS_KEY, SECRET_KEY, REGION = "motcua-test", "motcua-test-secret", "us-east-1"


class MotoServer:
    """`moto_server` (from the test extra, next to this Python) in its own process group, until the block ends."""

    def __init__(self, log_dir: Path) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.log = Path(log_dir) / "moto.log"
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> MotoServer:
        executable = Path(sys.executable).parent / "moto_server"
        with open(self.log, "wb") as out:
            self._process = subprocess.Popen([str(executable), "-H", "127.0.0.1", "-p", str(self.port)], stdout=out,
                                             stderr=subprocess.STDOUT, start_new_session=True)
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if self._process.poll() is not None:
                    raise RuntimeError(f"moto_server exited:\n{self.log.read_text()[-3000:]}") from None
                time.sleep(0.1)
        self.__exit__(None, None, None)
        raise RuntimeError(f"moto_server did not listen on {self.endpoint} within 30 s")

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=10)

    def client(self):  # noqa: ANN201 - a boto3 S3 client
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, region_name=REGION, aws_access_key_id=ACCESS_KEY,
                            aws_secret_access_key=SECRET_KEY)

    def create_bucket(self, name: str) -> None:
        self.client().create_bucket(Bucket=name)

    def storage_env(self, bucket: str) -> dict[str, str]:
        """The environment that points motcua's default storage at `bucket` here (docs/configuration.md)."""
        return {"MOTCUA_STORAGE": "s3", "MOTCUA_S3_BUCKET": bucket, "MOTCUA_S3_ENDPOINT_URL": self.endpoint,
                "MOTCUA_S3_REGION": REGION, "MOTCUA_S3_ACCESS_KEY_ID": ACCESS_KEY,
                "MOTCUA_S3_SECRET_ACCESS_KEY": SECRET_KEY, "MOTCUA_S3_ADDRESSING_STYLE": "path"}
