"""moto's EC2 on 127.0.0.1 and heat-deltacloud-server (libcloud:ec2) on it.

One moto server per session (its EC2 backend costs seconds on first use);
every test resets moto's state first, which is cheap because moto's ~1300
default AMIs are not loaded (``MOTO_EC2_LOAD_DEFAULT_AMIS``): a test
registers the image it needs.  moto accepts any credentials, so the access
key and secret here are arbitrary.
"""

import os
import socket

import pytest

pytest.importorskip("libcloud", reason="the server extra is not installed")
moto_server = pytest.importorskip("moto.server",
                                  reason="moto[server] is not installed")

import boto3  # noqa: E402
import requests  # noqa: E402

from heat_deltacloud.server.cli import Server, make_app  # noqa: E402

KEY, SECRET = "AKIDSERVERTEST", "server-test-secret-9f8e7d"
REGION = "us-east-1"


@pytest.fixture(scope="session")
def moto_endpoint():
    saved = os.environ.get("MOTO_EC2_LOAD_DEFAULT_AMIS")
    os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0,
                                            verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
    if saved is None:
        os.environ.pop("MOTO_EC2_LOAD_DEFAULT_AMIS", None)
    else:
        os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = saved


@pytest.fixture
def moto(moto_endpoint):
    """moto's endpoint, reset, and a boto3 EC2 client on it."""
    requests.post(f"{moto_endpoint}/moto-api/reset", timeout=10)
    client = boto3.client("ec2", endpoint_url=moto_endpoint,
                          region_name=REGION, aws_access_key_id=KEY,
                          aws_secret_access_key=SECRET)
    client.endpoint = moto_endpoint
    return client


@pytest.fixture
def own_image(moto):
    """An EBS image owned by the test account (what ``self`` lists)."""
    return moto.register_image(
        Name="base", Architecture="x86_64", RootDeviceName="/dev/sda1",
        BlockDeviceMappings=[{"DeviceName": "/dev/sda1",
                              "Ebs": {"VolumeSize": 8}}])["ImageId"]


@pytest.fixture(scope="session")
def server(moto_endpoint):
    """heat-deltacloud-server --driver libcloud:ec2 on moto."""
    app = make_app("libcloud:ec2", region=REGION, endpoint=moto_endpoint,
                   timeout=20)
    with Server(app) as running:
        yield running


@pytest.fixture
def client(server, moto):
    from heat_deltacloud.deltacloud.client import Client
    with Client(server.url, KEY, SECRET, retries=0, timeout=30) as client:
        yield client


@pytest.fixture
def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
