"""The shims without python-novaclient/glanceclient/neutronclient/cinder.

A subprocess hides the client libraries; the stand-in exception modules
must then be used, with the same names and status codes as the real ones.
"""

import json
import subprocess
import sys

import pytest

HIDE = """
import importlib.abc, sys
class Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in {'novaclient', 'glanceclient',
                                  'neutronclient', 'cinderclient'}:
            raise ImportError('hidden for this test: ' + name)
sys.meta_path.insert(0, Hide())
"""

PROBE = HIDE + """
import json
from heat_deltacloud.compat.nova import exceptions as nova
from heat_deltacloud.compat.glance import exceptions as glance
from heat_deltacloud.compat.neutron import exceptions as neutron
from heat_deltacloud.compat.cinder import exceptions as cinder
from heat_deltacloud.deltacloud import exceptions as dc
err = nova.from_deltacloud(dc.NotFound('gone', status=404))
print(json.dumps({
    'native': [m.NATIVE for m in (nova, glance, neutron, cinder)],
    'modules': [m.NotFound.__module__ if hasattr(m, 'NotFound') else
                m.HTTPNotFound.__module__ for m in (nova, glance, neutron,
                                                    cinder)],
    'nova_codes': {n: getattr(nova, n).http_status for n in (
        'BadRequest', 'Unauthorized', 'Forbidden', 'NotFound',
        'MethodNotAllowed', 'NotAcceptable', 'Conflict', 'OverLimit',
        'RateLimit', 'HTTPNotImplemented')},
    'str': str(err), 'code': err.code, 'type': type(err).__name__,
    'glance': str(glance.from_deltacloud(dc.NotFound('gone'))),
}))
"""


@pytest.fixture(scope="module")
def hidden():
    result = subprocess.run([sys.executable, "-c", PROBE],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_stand_ins_are_used_when_clients_are_missing(hidden):
    assert hidden["native"] == [False, False, False, False]
    assert all(m.startswith("heat_deltacloud.compat.")
               for m in hidden["modules"])


def test_stand_in_status_codes_match_novaclient(hidden):
    novaclient_exceptions = pytest.importorskip("novaclient.exceptions")
    assert hidden["nova_codes"] == {
        name: getattr(novaclient_exceptions, name).http_status
        for name in hidden["nova_codes"]}


def test_stand_in_errors_read_like_novaclients(hidden):
    assert (hidden["type"], hidden["code"], hidden["str"]) == (
        "NotFound", 404, "gone (HTTP 404)")
    assert hidden["glance"] == "HTTP gone"


def test_stand_in_from_response_matches_novaclient():
    from heat_deltacloud.compat.nova import _fallback_exceptions as fake
    real = pytest.importorskip("novaclient.exceptions")

    class Response:
        status_code = 409
        headers = {"x-compute-request-id": "req-1"}

    body = {"conflictingRequest": {"message": "busy", "details": "d"}}
    mine = fake.from_response(Response(), body, "/servers", "POST")
    theirs = real.from_response(Response(), body, "/servers", "POST")
    assert type(mine).__name__ == type(theirs).__name__ == "Conflict"
    assert str(mine) == str(theirs)
    assert (mine.code, mine.details, mine.request_id) == (
        theirs.code, theirs.details, theirs.request_id)


def test_compat_suite_passes_without_the_client_libraries():
    """Every compat test again, with the client libraries hidden."""
    import os
    import pathlib
    here = pathlib.Path(__file__).parent
    env = {**os.environ, "PYTHONPATH": str(here)}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p",
         "hide_openstack_clients", "-p", "no:cacheprovider",
         str(here), "-k", "not without_clients"],
        capture_output=True, text=True, timeout=300, env=env,
        cwd=here.parents[1])
    assert result.returncode == 0, result.stdout[-3000:]
    assert " passed" in result.stdout


REFUSALS = HIDE + """
from heat_deltacloud.compat import cinder, glance, neutron, nova
for call in (lambda: nova.servers.ServerManager(None).resize('i1', 'f'),
             lambda: cinder.Client(None).restores.restore('b1'),
             lambda: glance.ImageManager(None).delete('img1'),
             lambda: neutron.Client(None).list_ports()['ports'][0]):
    try:
        call()
    except Exception as exc:
        print(type(exc).__module__, type(exc).__name__,
              getattr(exc, 'code', getattr(exc, 'status_code', None)))
"""


def test_refusals_use_the_stand_ins_without_the_clients():
    result = subprocess.run([sys.executable, "-c", REFUSALS],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    fallback = "heat_deltacloud.compat.{}._fallback_exceptions"
    assert result.stdout.splitlines() == [
        f"{fallback.format('nova')} HTTPNotImplemented 501",
        f"{fallback.format('nova')} HTTPNotImplemented 501",  # cinder's
        f"{fallback.format('glance')} HTTPNotImplemented 501",
        f"{fallback.format('neutron')} NeutronClientException 501"]
