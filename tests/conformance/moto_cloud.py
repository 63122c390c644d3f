"""heat-deltacloud-server (``libcloud:ec2,mock``) on moto's EC2, for the
Deltacloud API suite.

moto runs in a child process so that its image list is this file's
alone: moto reads ``MOTO_AMIS_PATH`` once, at import, and the session may
have imported it already (tests/server).  The list holds the one image
the suite's ``config.yaml`` prefers for ec2, ``ami-2b5fba42``, owned by
moto's account so that an unfiltered list (``self``) shows it.

The suite resets the cloud before each file through ``--reset-url``.
The server has no reset of its own (a real cloud cannot be reset), so the
reset URL is served here: it resets moto (``POST /moto-api/reset``, which
reloads the image), seeds what the suite expects some of (a key pair, an
elastic IP, a volume and its snapshot) and resets the mock the server
also serves (the suite's driver-switching tests select ``mock``).
"""

import contextlib
import json
import os
import select
import subprocess
import sys

import boto3
import requests

from heat_deltacloud.server.cli import Server, make_app

REGION = "us-east-1"
#: moto's account: what ``owner=self`` lists.
ACCOUNT = "123456789012"
IMAGE = {"ami_id": "ami-2b5fba42", "state": "available", "public": True,
         "owner_id": ACCOUNT, "image_location": "fedora/ebs",
         "root_device_type": "ebs", "root_device_name": "/dev/sda1",
         "description": "Fedora (EBS-backed)", "image_type": "machine",
         "architecture": "x86_64", "name": "fedora-ebs",
         "virtualization_type": "hvm", "hypervisor": "xen"}
#: Seconds moto may take to print its endpoint (a loaded CI machine).
START_TIMEOUT = 60
CHILD = """
import sys
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print("http://%s:%d" % server.get_host_and_port(), flush=True)
sys.stdin.read()
server.stop()
"""


@contextlib.contextmanager
def moto(tmp_path):
    """moto's endpoint, in a child process that ends with the block."""
    amis = tmp_path / "amis.json"
    amis.write_text(json.dumps([IMAGE]), encoding="utf-8")
    env = {**os.environ, "MOTO_AMIS_PATH": str(amis)}
    with subprocess.Popen([sys.executable, "-c", CHILD], env=env,
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True) as child:
        try:
            ready, _, _ = select.select([child.stdout], [], [], START_TIMEOUT)
            endpoint = child.stdout.readline().strip() if ready else ""
            if not endpoint.startswith("http://"):
                raise RuntimeError(f"moto did not start within "
                                   f"{START_TIMEOUT} s")
            yield endpoint
        finally:
            child.stdin.close()  # the child stops its server and exits
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()


def seed(endpoint, user, password):
    """Reset moto, then add one of each thing the suite lists."""
    requests.post(f"{endpoint}/moto-api/reset", timeout=10).raise_for_status()
    ec2 = boto3.client("ec2", endpoint_url=endpoint, region_name=REGION,
                       aws_access_key_id=user,
                       aws_secret_access_key=password)
    ec2.create_key_pair(KeyName="seed-key")
    ec2.allocate_address(Domain="vpc")
    volume = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=1)
    ec2.create_snapshot(VolumeId=volume["VolumeId"],
                        Description="seed snapshot")


@contextlib.contextmanager
def server(tmp_path, user, password):
    """``(api URL, reset URL)`` of the server on a seeded moto."""
    with moto(tmp_path) as endpoint:
        app = make_app("libcloud:ec2,mock", region=REGION,
                       endpoint=endpoint, timeout=20)

        def reset(environ, start_response):
            if environ["REQUEST_METHOD"] != "POST":
                start_response("405 Method Not Allowed", [])
                return [b""]
            seed(endpoint, user, password)
            app.mock.reset()
            start_response("204 No Content", [])
            return [b""]

        seed(endpoint, user, password)
        with Server(app) as api, Server(reset) as resetter:
            yield api.url, resetter.url.replace("/api", "/reset")
