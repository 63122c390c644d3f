"""heat-api built the way heat-wsgi-api builds it, in a process of its
own (no engine imported): the identity endpoint loads and issues tokens
keyed from auth_encryption_key, and heat-api verifies them."""

import json
import pathlib
import subprocess
import sys

import pytest

from .helpers import USERS

pytestmark = [pytest.mark.heat]

HEAT_CONF = """\
[DEFAULT]
cloud_backend = heat_deltacloud.heat.backend.DeltacloudClients
deferred_auth_method = password
auth_encryption_key = {key}
[database]
connection = sqlite:///{db}
[paste_deploy]
flavor = deltacloud
api_paste_config = {paste}
[deltacloud]
url = {url}
"""

SCRIPT = """\
import json, sys, webob
from heat.api.openstack import wsgi
password = sys.argv[2]
sys.argv = ["heat-api", "--config-file", sys.argv[1]]
app = wsgi.init_application()
body = {"auth": {"identity": {"methods": ["password"], "password": {
    "user": {"name": "alice", "domain": {"id": "default"},
             "password": password}}}}}
login = webob.Request.blank("/identity/v3/auth/tokens", method="POST",
                            body=json.dumps(body).encode(),
                            content_type="application/json")
answer = login.get_response(app)
token = answer.headers.get("X-Subject-Token")
check = webob.Request.blank("/identity/v3/auth/tokens", headers={
    "X-Auth-Token": token or "", "X-Subject-Token": token or ""})
print(json.dumps({"login": answer.status_int,
                  "check": check.get_response(app).status_int,
                  "engine": "heat.engine.service" in sys.modules}))
"""


def test_heat_wsgi_api_serves_the_identity_endpoint(tmp_path, mock):
    from heat_deltacloud.heat import apis

    conf = tmp_path / "heat.conf"
    conf.write_text(HEAT_CONF.format(
        key="k" * 32, db=tmp_path / "heat.sqlite", url=mock.url,
        paste=pathlib.Path(apis.__file__).with_name("api-paste.ini")))
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(conf), USERS["alice"]],
        capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "login": 201, "check": 200, "engine": False}
