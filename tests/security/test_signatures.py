"""EC2-signed requests at heat-api-cfn: what the ``deltacloud`` pipeline
refuses, and that a refusal reaches nothing.

Real Heat 27 (embedded engine, heat-api and heat-api-cfn from this
package's api-paste.ini) on the mock Deltacloud.  Stacks hand out
pre-signed wait condition URLs exactly as in production; requests are
then forged, altered, expired, re-signed with other keys or sent where a
stack user's key has no business.  For every refusal the test checks the
status and the AWS error code, that the body echoes neither the
signature, nor the secret, nor the access key, that the APIs made no
engine RPC call at all, and that the wait condition and the stack did not
change.

Known and accepted (documented in ``test_replay_inside_the_window``): a
pre-signed URL is a bearer capability until ``[deltacloud]
signature_ttl``; it can be replayed, and the body it carries is not
signed (SigV2 signs the query only), as with Keystone and AWS.
"""

import concurrent.futures
import datetime
import re
import secrets
import types
import urllib.parse
import uuid

import pytest
import requests

from heat_deltacloud.mock.server import MockServer

from . import signing
from support import wait_for


pytestmark = [pytest.mark.heat, pytest.mark.slow]

USERS = {"alice": "alice-pw", "bob": "bob-pw"}
SIGNED_URL = re.compile(r"http://127\.0\.0\.1:\d+/v1/waitcondition/[^'\"\s]+")
SIGNAL = {"Status": "SUCCESS", "Reason": "ready", "UniqueId": "db",
          "Data": "done"}


def wait_template(count=1):
    """A handle whose signed URL the Db instance carries in its user data,
    and a wait condition that waits for ``count`` signals."""
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"},
            "Db": {"Type": "AWS::EC2::Instance", "Properties": {
                "ImageId": "img1", "InstanceType": "m1-small",
                "UserData": {"Fn::Base64": {"Fn::Join": ["", [
                    "#!/bin/sh\ncfn-signal -e 0 '", {"Ref": "Handle"},
                    "'\n"]]}}}},
            "Wait": {"Type": "AWS::CloudFormation::WaitCondition",
                     "DependsOn": "Db",
                     "Properties": {"Handle": {"Ref": "Handle"},
                                    "Timeout": "900",
                                    "Count": str(count)}},
        },
    }


#: A handle alone: the stack completes at once, the URL is an output.
HANDLE_TEMPLATE = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Resources": {
        "Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
    "Outputs": {"Url": {"Value": {"Ref": "Handle"}}},
}

#: An IAM user and its access key: a key allowed DescribeStackResource.
IAM_TEMPLATE = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Resources": {
        "User": {"Type": "AWS::IAM::User"},
        "Key": {"Type": "AWS::IAM::AccessKey",
                "Properties": {"UserName": {"Ref": "User"}}},
        "Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"},
    },
}


@pytest.fixture(scope="module")
def cloud():
    with MockServer(users=USERS, fix_user_data_feature=True) as server:
        yield server


@pytest.fixture(scope="module")
def heat():
    from heat_deltacloud.heat import embedded
    return embedded.start()


@pytest.fixture(scope="module")
def apis(heat):
    from heat_deltacloud.heat import apis as heat_apis

    with heat_apis.serve(heat) as served:
        yield served


class Stack(types.SimpleNamespace):
    """A stack made for these tests: ``ctx``, ``identity``, ``url`` (a
    :class:`signing.SignedURL`), ``secret`` of its URL's key."""

    def show(self):
        return self.heat.engine_client.show_stack(
            self.ctx, self.identity, resolve_outputs=True)[0]

    def resource(self, name):
        return self.heat.engine_client.describe_stack_resource(
            self.ctx, self.identity, name)

    def state(self):
        """What a signal would change: stack state, the handle's metadata
        (the signals it received) and the wait condition's state."""
        stack = self.show()
        state = {"stack": (stack["stack_action"], stack["stack_status"]),
                 "handle": self.resource("Handle")["metadata"]}
        if self.template is not HANDLE_TEMPLATE:
            wait = self.resource("Wait")
            state["wait"] = (wait["resource_action"],
                             wait["resource_status"])
        return state

    @property
    def arn_path(self):
        """The URL's path after ``/v1/waitcondition`` (quoted)."""
        return self.url.path.partition("/v1/waitcondition")[2]


def make_stacks(heat, cloud, specs):
    """Create ``{key: (user, template)}`` at once; the stacks with their
    signed URLs and the URL keys' secrets from the store."""
    from heat_deltacloud.heat import stackusers

    made = {}
    for key, (user, template) in specs.items():
        ctx = heat.context(user, USERS[user], cloud.url)
        name = f"sig-{key}-{uuid.uuid4().hex[:6]}"
        identity = heat.engine_client.create_stack(
            ctx, name, template, {}, {}, {"timeout_mins": 20})
        made[key] = Stack(heat=heat, ctx=ctx, identity=identity, user=user,
                          name=name, template=template, mock=cloud)
    try:
        for stack in made.values():
            url = wait_for(lambda s=stack: signed_url(s), timeout=90,
                           what=f"a signed URL for {stack.name}")
            stack.url = signing.SignedURL.parse(url)
            stack.secret = stackusers.store().principal(
                stack.url.access).secret
    except BaseException:
        # A wait condition left waiting would hold the engine's shutdown.
        delete_all(made.values())
        raise
    return made


def delete_all(stacks):
    for stack in stacks:
        stack.heat.delete_stack(stack.ctx, stack.identity)


def signed_url(stack):
    """The stack's pre-signed URL: from its instance's user data while the
    wait condition waits, or its output."""
    if stack.template is HANDLE_TEMPLATE:
        shown = stack.show()
        if shown["stack_status"] == "IN_PROGRESS":
            return None
        assert shown["stack_status"] == "COMPLETE", shown
        return {o["output_key"]: o["output_value"]
                for o in shown["outputs"]}["Url"]
    stack_id = stack.identity["stack_id"]
    for instance in stack.mock.all_instances():
        if instance["owner"] != stack.user:
            continue
        for url in SIGNED_URL.findall(instance.get("user_data") or ""):
            if stack_id in url:
                return url
    return None


@pytest.fixture(scope="module")
def stacks(heat, apis, cloud):
    """alice's two waiting stacks, bob's, and alice's IAM key stack."""
    made = make_stacks(heat, cloud, {
        "alice": ("alice", wait_template()),
        "alice2": ("alice", wait_template()),
        "bob": ("bob", wait_template()),
    })
    try:
        made["iam"] = iam_stack(heat, cloud)
        yield made
    finally:
        delete_all(made.values())


def iam_stack(heat, cloud):
    from heat_deltacloud.heat import stackusers

    ctx = heat.context("alice", USERS["alice"], cloud.url)
    identity = heat.engine_client.create_stack(
        ctx, f"sig-iam-{uuid.uuid4().hex[:6]}", IAM_TEMPLATE, {}, {},
        {"timeout_mins": 20})
    shown = heat.wait_for_stack(ctx, identity, timeout=60)
    assert shown["stack_status"] == "COMPLETE", shown
    access = heat.engine_client.describe_stack_resource(
        ctx, identity, "Key")["physical_resource_id"]
    principal = stackusers.store().principal(access)
    return Stack(heat=heat, ctx=ctx, identity=identity, user="alice",
                 template=IAM_TEMPLATE, access=access,
                 secret=principal.secret, mock=cloud)


def put(url, body=SIGNAL, headers=None):
    return requests.put(url, json=body, timeout=30, headers=headers)


def check_refused(response, status, code, *secrets_):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/xml")
    assert f"<Code>{code}</Code>" in response.text, response.text
    assert signing.leaked(response.text, *secrets_) == []


def refused(stack, rpc_calls, send, status, code, *secrets_):
    """``send()`` is refused with ``status``/``code`` before the engine,
    echoes none of ``secrets_`` and leaves ``stack`` as it was."""
    before = stack.state()
    rpc_calls.clear()
    response = send()
    made = list(rpc_calls)
    check_refused(response, status, code, stack.url.signature,
                  stack.secret, stack.url.access, *secrets_)
    assert made == [], f"the engine was called: {made}"
    assert stack.state() == before
    return response


def now():
    return signing.utcnow()


def ttl():
    from oslo_config import cfg
    return cfg.CONF.deltacloud.signature_ttl


# -- the stacks' own URLs work ------------------------------------------------

def test_the_urls_are_heats_and_name_heat_api_cfn(stacks, apis):
    for key in ("alice", "alice2", "bob"):
        url = stacks[key].url
        assert url.base == apis.heat_api_cfn
        assert url.path.startswith("/v1/waitcondition/arn%3Aopenstack")
        assert url.params["SignatureVersion"] == "2"
        assert url.params["SignatureMethod"] == "HmacSHA256"
        assert stacks[key].state()["stack"] == ("CREATE", "IN_PROGRESS")
    assert len({stacks[k].url.access for k in ("alice", "alice2",
                                                "bob")}) == 3


# -- forged and altered -------------------------------------------------------

def test_forged_signature(stacks, rpc_calls):
    alice = stacks["alice"]
    forged = alice.url.replace(params={
        "Signature": signing.one_char_changed(alice.url.signature)})
    refused(alice, rpc_calls, lambda: put(forged.url), 403,
            "SignatureDoesNotMatch", forged.signature)


def test_resource_in_the_path_changed(stacks, rpc_calls):
    alice = stacks["alice"]
    assert alice.url.path.endswith("/resources/Handle")
    for other in ("Wait", "Db"):
        changed = alice.url.replace(
            path=alice.url.path[:-len("Handle")] + other)
        refused(alice, rpc_calls, lambda u=changed: put(u.url), 403,
                "SignatureDoesNotMatch")


def test_route_changed_to_signal(stacks, rpc_calls):
    """The same signature on POST /v1/signal/<same ARN>."""
    alice = stacks["alice"]
    changed = alice.url.replace(path=alice.url.path.replace(
        "/v1/waitcondition/", "/v1/signal/"))
    refused(alice, rpc_calls,
            lambda: requests.post(changed.url, json=SIGNAL, timeout=30),
            403, "SignatureDoesNotMatch")


def test_timestamp_changed(stacks, rpc_calls):
    alice = stacks["alice"]
    signed_at = datetime.datetime.strptime(
        alice.url.params["Timestamp"], signing.V2_TIME)
    for delta in (1, -1):
        changed = alice.url.replace(params={"Timestamp": signing.v2_time(
            signed_at + datetime.timedelta(seconds=delta))})
        refused(alice, rpc_calls, lambda u=changed: put(u.url), 403,
                "SignatureDoesNotMatch")


def test_timestamp_removed(stacks, rpc_calls):
    alice = stacks["alice"]
    changed = alice.url.replace(params={"Timestamp": None})
    refused(alice, rpc_calls, lambda: put(changed.url), 403,
            "SignatureDoesNotMatch")


def test_expired_timestamp(stacks, rpc_calls):
    """Signed with the right key, older than ``signature_ttl``."""
    alice = stacks["alice"]
    old = now() - datetime.timedelta(seconds=ttl() + 60)
    expired = alice.url.signed(alice.secret, params={
        "Timestamp": signing.v2_time(old)})
    refused(alice, rpc_calls, lambda: put(expired.url), 403,
            "RequestExpired", expired.signature)


def test_future_timestamp(stacks, rpc_calls):
    """More than the 300 s skew ahead."""
    alice = stacks["alice"]
    for ahead in (360, 86400 * 365):
        future = alice.url.signed(alice.secret, params={
            "Timestamp": signing.v2_time(
                now() + datetime.timedelta(seconds=ahead))})
        refused(alice, rpc_calls, lambda u=future: put(u.url), 403,
                "RequestExpired", future.signature)


def test_unparsable_timestamp(stacks, rpc_calls):
    alice = stacks["alice"]
    odd = alice.url.signed(alice.secret, params={
        "Timestamp": "tomorrow"})
    refused(alice, rpc_calls, lambda: put(odd.url), 400,
            "IncompleteSignature", odd.signature)


@pytest.mark.parametrize("version", ["0", "1"])
def test_signature_versions_0_and_1(stacks, rpc_calls, version):
    """Correctly signed with versions 0 and 1 (which sign neither the
    path nor the host): refused as incomplete."""
    alice = stacks["alice"]
    params = {"AWSAccessKeyId": alice.url.access, "SignatureVersion": version,
              "Action": "Signal", "Timestamp": signing.v2_time(now())}
    params["Signature"] = signing.sign_v2(
        alice.secret, "PUT", alice.url.host,
        urllib.parse.unquote(alice.url.path), params)
    old = signing.SignedURL(alice.url.base, alice.url.path, params)
    refused(alice, rpc_calls, lambda: put(old.url), 400,
            "IncompleteSignature", params["Signature"])


def test_hmac_sha1(stacks, rpc_calls):
    """A correct SigV2 HmacSHA1 signature: only HmacSHA256 verifies."""
    alice = stacks["alice"]
    params = {k: v for k, v in alice.url.params.items() if k != "Signature"}
    params["SignatureMethod"] = "HmacSHA1"
    params["Signature"] = signing.sign_v2_sha1(
        alice.secret, "PUT", alice.url.host,
        urllib.parse.unquote(alice.url.path), params)
    sha1 = alice.url.replace(params=params)
    refused(alice, rpc_calls, lambda: put(sha1.url), 403,
            "SignatureDoesNotMatch", params["Signature"])


def test_missing_parts(stacks, rpc_calls):
    alice = stacks["alice"]
    no_access = alice.url.replace(params={"AWSAccessKeyId": None})
    refused(alice, rpc_calls, lambda: put(no_access.url), 400,
            "IncompleteSignature")
    no_version = alice.url.replace(params={"SignatureVersion": None})
    refused(alice, rpc_calls, lambda: put(no_version.url), 400,
            "IncompleteSignature")


def test_unknown_access_key(stacks, rpc_calls):
    alice = stacks["alice"]
    stranger = alice.url.signed(secrets.token_hex(16), params={
        "AWSAccessKeyId": uuid.uuid4().hex})
    refused(alice, rpc_calls, lambda: put(stranger.url), 403,
            "InvalidClientTokenId", stranger.signature)


# -- other keys ---------------------------------------------------------------

def test_other_stacks_key_on_this_stacks_arn(stacks, rpc_calls):
    """alice's second stack's key, validly signing alice's first stack's
    wait condition URL (same user, same tenant)."""
    alice, other = stacks["alice"], stacks["alice2"]
    resigned = alice.url.signed(other.secret, params={
        "AWSAccessKeyId": other.url.access})
    refused(alice, rpc_calls, lambda: put(resigned.url), 403,
            "AccessDenied", resigned.signature, other.secret)
    # Its own signature with the path swapped does not even verify.
    swapped = other.url.replace(path=alice.url.path)
    refused(alice, rpc_calls, lambda: put(swapped.url), 403,
            "SignatureDoesNotMatch", other.url.signature, other.secret)


def test_other_users_key_on_this_stacks_arn(stacks, rpc_calls):
    """bob's stack key, validly signing alice's wait condition URL."""
    alice, bob = stacks["alice"], stacks["bob"]
    resigned = alice.url.signed(bob.secret, params={
        "AWSAccessKeyId": bob.url.access})
    refused(alice, rpc_calls, lambda: put(resigned.url), 403,
            "AccessDenied", resigned.signature, bob.secret)
    on_signal = alice.url.signed(bob.secret, method="POST", params={
        "AWSAccessKeyId": bob.url.access}, path=alice.url.path.replace(
            "/v1/waitcondition/", "/v1/signal/"))
    refused(alice, rpc_calls,
            lambda: requests.post(on_signal.url, json=SIGNAL, timeout=30),
            403, "AccessDenied", bob.secret)


def test_iam_access_key_on_a_wait_condition_of_another_stack(stacks,
                                                             rpc_calls):
    alice, iam = stacks["alice"], stacks["iam"]
    resigned = alice.url.signed(iam.secret, params={
        "AWSAccessKeyId": iam.access})
    refused(alice, rpc_calls, lambda: put(resigned.url), 403,
            "AccessDenied", iam.secret, iam.access)


# -- a stack user's valid key elsewhere ---------------------------------------

QUERY_ACTIONS = {
    "ListStacks": {},
    "DescribeStacks": {},
    "CreateStack": {"StackName": "sneaky",
                    "TemplateBody": '{"AWSTemplateFormatVersion": '
                                    '"2010-09-09", "Resources": {}}'},
    "DeleteStack": {"StackName": "sig-alice"},
    "DescribeStackEvents": {"StackName": "sig-alice"},
    "ListStackResources": {"StackName": "sig-alice"},
}


@pytest.mark.parametrize("action", sorted(QUERY_ACTIONS))
@pytest.mark.parametrize("key", ["wait handle", "IAM access key"])
@pytest.mark.parametrize("sig", ["v2", "v4 botocore"])
def test_stack_user_keys_call_no_other_action(stacks, apis, rpc_calls,
                                              action, key, sig):
    alice = stacks["alice"]
    if key == "wait handle":
        access, secret = alice.url.access, alice.secret
    else:
        access, secret = stacks["iam"].access, stacks["iam"].secret
    params = {"Action": action, **QUERY_ACTIONS[action]}
    if sig == "v2":
        url = signing.query_v2(secret, access, apis.heat_api_cfn, params)
        headers = {}
    else:
        url = (f"{apis.heat_api_cfn}/v1/?"
               + urllib.parse.urlencode(params, quote_via=urllib.parse.quote))
        headers = signing.botocore_v4(access, secret, "GET", url)
    refused(alice, rpc_calls,
            lambda: requests.get(url, headers=headers, timeout=30), 403,
            "AccessDenied", secret, access)
    assert "sneaky" not in [s["stack_name"] for s in
                            alice.heat.engine_client.list_stacks(alice.ctx)]


@pytest.mark.parametrize("sig", ["v2", "v4 botocore"])
def test_describe_stack_resource_of_another_stack(stacks, apis, rpc_calls,
                                                  sig):
    """The IAM key (allowed DescribeStackResource on its own stack) on
    alice's other stack, named by ARN: refused before the engine."""
    alice, iam = stacks["alice"], stacks["iam"]
    arn = urllib.parse.unquote(alice.arn_path.lstrip("/")).rpartition(
        "/resources/")[0]
    assert arn.startswith("arn:openstack:heat::alice:stacks/")
    params = {"Action": "DescribeStackResource", "StackName": arn,
              "LogicalResourceId": "Handle"}
    if sig == "v2":
        url = signing.query_v2(iam.secret, iam.access, apis.heat_api_cfn,
                               params)
        headers = {}
    else:
        url = (f"{apis.heat_api_cfn}/v1/?"
               + urllib.parse.urlencode(params, quote_via=urllib.parse.quote))
        headers = signing.botocore_v4(iam.access, iam.secret, "GET", url)
    refused(alice, rpc_calls,
            lambda: requests.get(url, headers=headers, timeout=30), 403,
            "AccessDenied", iam.secret, iam.access)


def test_describe_stack_resource_of_its_own_stack(stacks, apis, rpc_calls):
    """Positive control: the IAM key reads its own stack's resource,
    signed by botocore (SigV4) and by Ec2Signer (SigV2)."""
    iam = stacks["iam"]
    params = {"Action": "DescribeStackResource",
              "StackName": iam.identity["stack_name"],
              "LogicalResourceId": "Handle", "ContentType": "JSON"}
    url = f"{apis.heat_api_cfn}/v1/?" + urllib.parse.urlencode(
        params, quote_via=urllib.parse.quote)
    v4 = requests.get(url, timeout=30, headers=signing.botocore_v4(
        iam.access, iam.secret, "GET", url))
    assert v4.status_code == 200, v4.text
    assert "StackResourceDetail" in v4.text
    v2 = requests.get(signing.query_v2(iam.secret, iam.access,
                                       apis.heat_api_cfn, params),
                      timeout=30)
    assert v2.status_code == 200, v2.text


def test_heat_api_refuses_signed_urls(stacks, apis, rpc_calls):
    """heat-api takes Deltacloud credentials only: a pre-signed URL sent
    there, or a signed heat-api request, is 401."""
    alice = stacks["alice"]
    before = alice.state()
    rpc_calls.clear()
    moved = alice.url.replace(base=apis.heat_api)
    resigned = moved.signed(alice.secret)
    listing = signing.query_v2(alice.secret, alice.url.access,
                               apis.heat_api, {}, path="/v1/alice/stacks")
    answers = [put(moved.url), put(resigned.url),
               requests.get(listing, timeout=30)]
    for answer in answers:
        assert answer.status_code == 401, answer.text
        assert answer.headers["WWW-Authenticate"].startswith("Basic ")
        assert signing.leaked(answer.text, alice.url.signature,
                              alice.secret, alice.url.access) == []
    assert rpc_calls == []
    assert alice.state() == before


# -- keys of deleted and suspended stacks -------------------------------------

def test_deleted_stacks_key(heat, apis, cloud, stacks, rpc_calls):
    gone = make_stacks(heat, cloud, {"gone": ("alice", HANDLE_TEMPLATE)})[
        "gone"]
    heat.delete_stack(gone.ctx, gone.identity)
    alice = stacks["alice"]
    fresh = gone.url.signed(gone.secret, params={
        "Timestamp": signing.v2_time(now())})
    on_alice = alice.url.signed(gone.secret, params={
        "AWSAccessKeyId": gone.url.access})
    for request in (gone.url, fresh, on_alice):
        refused(alice, rpc_calls, lambda u=request: put(u.url), 403,
                "InvalidClientTokenId", gone.secret, gone.url.signature,
                gone.url.access)


def test_suspended_stacks_key(heat, apis, cloud, rpc_calls):
    """Refused while the stack is suspended, accepted again once it is
    resumed."""
    held = make_stacks(heat, cloud, {"held": ("alice", HANDLE_TEMPLATE)})[
        "held"]
    try:
        heat.engine_client.stack_suspend(held.ctx, held.identity)
        shown = heat.wait_for_stack(held.ctx, held.identity)
        assert (shown["stack_action"], shown["stack_status"]) == (
            "SUSPEND", "COMPLETE"), shown
        refused(held, rpc_calls, lambda: put(held.url.url), 403,
                "AccessDenied")
        resigned = held.url.signed(held.secret, params={
            "Timestamp": signing.v2_time(now())})
        refused(held, rpc_calls, lambda: put(resigned.url), 403,
                "AccessDenied")
        heat.engine_client.stack_resume(held.ctx, held.identity)
        shown = heat.wait_for_stack(held.ctx, held.identity)
        assert (shown["stack_action"], shown["stack_status"]) == (
            "RESUME", "COMPLETE"), shown
        answer = put(held.url.url)
        assert answer.status_code == 200, answer.text
        assert list(held.state()["handle"]) == ["db"]
    finally:
        heat.delete_stack(held.ctx, held.identity)


def test_inside_the_window_is_accepted(heat, apis, cloud):
    """The window's edges, re-signed with the URL's own key: just younger
    than ``signature_ttl``, and less than the 300 s skew ahead."""
    held = make_stacks(heat, cloud, {"edges": ("alice", HANDLE_TEMPLATE)})[
        "edges"]
    try:
        for unique, offset in (("old", -(ttl() - 120)), ("ahead", 120)):
            inside = held.url.signed(held.secret, params={
                "Timestamp": signing.v2_time(
                    now() + datetime.timedelta(seconds=offset))})
            answer = put(inside.url, {**SIGNAL, "UniqueId": unique})
            assert answer.status_code == 200, answer.text
        assert sorted(held.state()["handle"]) == ["ahead", "old"]
    finally:
        delete_all([held])


# -- replay -------------------------------------------------------------------

def test_replay_inside_the_window(heat, apis, cloud, rpc_calls):
    """Accepted, by design: a pre-signed URL is a bearer capability.

    Heat signs a wait condition handle's URL once, with a Timestamp, and
    hands it to the instance; whoever holds it may use it, as often as
    they like, until ``signature_ttl`` after that Timestamp (or until the
    resource or stack is deleted, or while it is suspended).  The body is
    not signed: SigV2 covers the method, host, path and query only.  Stock
    Heat with Keystone behaves the same (Keystone's window is
    ``[credential] auth_ttl``).  What bounds a replay is the wait
    condition itself: a signal with the same ``UniqueId`` replaces the
    first (the count does not grow); once the wait condition is complete,
    later signals still land in the handle's metadata (200) but change
    nothing in the stack.
    """
    stack = make_stacks(heat, cloud, {"replay": ("alice",
                                                 wait_template(2))})["replay"]
    try:
        first = put(stack.url.url)
        assert first.status_code == 200, first.text
        replayed = put(stack.url.url)
        assert replayed.status_code == 200, replayed.text
        state = stack.state()
        assert state["stack"] == ("CREATE", "IN_PROGRESS")
        assert list(state["handle"]) == ["db"]
        other = put(stack.url.url, {**SIGNAL, "UniqueId": "web"})
        assert other.status_code == 200, other.text
        shown = heat.wait_for_stack(stack.ctx, stack.identity, timeout=60)
        assert shown["stack_status"] == "COMPLETE", shown
        # Still accepted once complete (the metadata is updated, the stack
        # is not touched again).
        late = put(stack.url.url, {**SIGNAL, "UniqueId": "late"})
        assert late.status_code == 200, late.text
        assert stack.show()["stack_status"] == "COMPLETE"
    finally:
        heat.delete_stack(stack.ctx, stack.identity)


def test_concurrent_replays(heat, apis, cloud):
    stack = make_stacks(heat, cloud, {"burst": ("alice",
                                                wait_template(1))})["burst"]
    try:
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(lambda _: put(stack.url.url).status_code,
                                  range(16)))
        assert codes == [200] * 16
        shown = heat.wait_for_stack(stack.ctx, stack.identity, timeout=60)
        assert shown["stack_status"] == "COMPLETE", shown
    finally:
        heat.delete_stack(stack.ctx, stack.identity)


# -- once found wanting in heat_deltacloud/heat/ec2.py, now fixed ------------

@pytest.mark.parametrize("when", ["expired", "future"])
def test_out_of_window_url_with_an_unsigned_sigv4_header(heat, apis, cloud,
                                                         rpc_calls, when):
    """A pre-signed URL out of its window stays refused whatever unsigned
    headers come with it.  The window is checked for the version
    Ec2Signer verifies (the signed SignatureVersion=2 parameter), not the
    one an unsigned ``Authorization: AWS4-HMAC-SHA256`` header claims,
    which once let an expired URL through."""
    held = make_stacks(heat, cloud, {when: ("alice", HANDLE_TEMPLATE)})[when]
    try:
        offset = (-(ttl() + 3600) if when == "expired" else 3600)
        stale = held.url.signed(held.secret, params={
            "Timestamp": signing.v2_time(
                now() + datetime.timedelta(seconds=offset))})
        refused(held, rpc_calls, lambda: put(stale.url), 403,
                "RequestExpired", stale.signature)
        refused(held, rpc_calls, lambda: put(stale.url, headers={
            "Authorization": "AWS4-HMAC-SHA256 Credential=x"}), 403,
            "RequestExpired", stale.signature)
    finally:
        delete_all([held])


def _short_credential(iam, url):
    return {"Authorization": "AWS4-HMAC-SHA256 Credential="
            f"{iam.access}/2020, SignedHeaders=host, Signature=abc"}


def _scope_date_mismatch(iam, url):
    return signing.ec2signer_v4(iam.access, iam.secret, "GET", url,
                                scope_date="20200101")


def _algorithm_in_query_other_authorization(iam, url):
    return {"Authorization": "Foo bar"}


MALFORMED_CASES = {
    "credential without scope": (_short_credential, ""),
    "scope date not the request's": (_scope_date_mismatch, ""),
    "X-Amz-Algorithm query, other Authorization": (
        _algorithm_in_query_other_authorization,
        "&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc"
        "&X-Amz-Credential={access}/20200101/RegionOne/cloudformation/"
        "aws4_request&X-Amz-Date={date}"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED_CASES))
def test_malformed_sigv4_is_an_aws_error_not_a_500(stacks, apis, rpc_calls,
                                                   case):
    """SigV4 requests Ec2Signer cannot read (a credential without scope,
    another scope date, an algorithm without an Authorization) are an AWS
    error, not a 500 from an exception escaping the filter."""
    alice, iam = stacks["alice"], stacks["iam"]
    headers_of, query = MALFORMED_CASES[case]
    url = (f"{apis.heat_api_cfn}/v1/?Action=DescribeStackResource"
           f"&StackName={alice.name}&LogicalResourceId=Handle"
           + query.format(access=iam.access,
                          date=now().strftime(signing.V4_TIME)))
    before = alice.state()
    rpc_calls.clear()
    answer = requests.get(url, headers=headers_of(iam, url), timeout=30)
    assert rpc_calls == []
    assert alice.state() == before
    assert signing.leaked(answer.text, iam.secret) == []
    assert answer.status_code in (400, 403), answer.text
    assert ("<Code>SignatureDoesNotMatch</Code>" in answer.text
            or "<Code>IncompleteSignature</Code>" in answer.text)


@pytest.mark.parametrize("other", ["same user's", "other user's"])
def test_describe_stack_resource_of_another_stack_by_name(stacks, apis,
                                                          rpc_calls, other):
    """A stack named by name, not ARN, outside the key's stack is refused
    at heat-api-cfn, before the engine is asked."""
    alice, iam = stacks["alice"], stacks["iam"]
    target = alice if other == "same user's" else stacks["bob"]
    params = {"Action": "DescribeStackResource", "StackName": target.name,
              "LogicalResourceId": "Handle"}
    url = signing.query_v2(iam.secret, iam.access, apis.heat_api_cfn,
                           params)
    answer = refused(alice, rpc_calls, lambda: requests.get(url, timeout=30),
                     403, "AccessDenied", iam.secret, iam.access)
    assert "could not be found" not in answer.text
