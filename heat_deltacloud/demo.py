"""``heat-deltacloud demo``: a stack on embedded Heat and the mock.

Starts the mock Deltacloud server and Heat 27 inside this process,
translates the given Aeolus Deployable (or, without one, uses a built-in
two-tier template), creates the stack, shows each resource event as it
happens, prints the instances, their addresses and the outputs, then
deletes the stack and checks that the mock holds no instance of it.
"""

import json
import re
import time

from heat_deltacloud.errors import HeatDeltacloudError

USER, PASSWORD = "demo", "demo-password"

TEMPLATE = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Description": "Two tiers on Deltacloud: a database and a web server.",
    "Parameters": {"KeyName": {"Type": "String", "Default": ""}},
    "Resources": {
        "Key": {"Type": "OS::Nova::KeyPair",
                "Properties": {"name": "demo-key"}},
        "Database": {
            "Type": "OS::Nova::Server",
            "Properties": {
                "image": "img1", "flavor": "m1-small",
                "key_name": {"Ref": "Key"},
                "user_data_format": "RAW",
                "user_data": "#!/bin/sh\necho starting mysql\n"}},
        "Web": {
            "Type": "OS::Nova::Server",
            "Properties": {
                "image": "img1", "flavor": "m1-large;memory=12288",
                "key_name": {"Ref": "Key"},
                "user_data_format": "RAW",
                "user_data": {"Fn::Join": ["", [
                    "#!/bin/sh\necho DB_HOST=",
                    {"Fn::GetAtt": ["Database", "first_address"]},
                    " > /etc/web.conf\n"]]}}},
    },
    "Outputs": {
        "WebAddress": {"Value": {"Fn::GetAtt": ["Web", "first_address"]}},
        "DatabaseAddress": {
            "Value": {"Fn::GetAtt": ["Database", "first_address"]}},
    },
}


def register(subparsers):
    parser = subparsers.add_parser(
        "demo", help="run a stack on embedded Heat and the mock",
        description=__doc__.split("\n\n")[1])
    parser.add_argument("deployable", nargs="?", metavar="DEPLOYABLE.xml",
                        help="an Aeolus Deployable to translate and launch "
                             "(wait conditions off: the Deltacloud backend "
                             "has no Keystone stack users)")
    parser.add_argument("--mapping", metavar="FILE",
                        help="hardware profile and image mapping (JSON)")
    parser.add_argument("--param", action="append", default=[],
                        metavar="KEY=VALUE", help="a template parameter")
    parser.add_argument("--keep", action="store_true",
                        help="leave the stack running instead of deleting")
    parser.add_argument("--timeout", type=float, default=120,
                        help="seconds to wait for each stack operation")
    parser.set_defaults(handler=run)


def _say(text):
    print(text, flush=True)


def _follow(heat, ctx, identity, seen, action, timeout):
    """Print new events until ``action`` settles; return the stack."""
    deadline = time.monotonic() + timeout
    while True:
        stack = heat.engine_client.show_stack(ctx, identity,
                                              resolve_outputs=True)[0]
        for event in heat.engine_client.list_events(ctx, identity,
                                                    sort_dir="asc"):
            key = json.dumps(event["event_identity"], sort_keys=True)
            if key in seen:
                continue
            seen.add(key)
            reason = event.get("resource_status_reason") or ""
            _say(f"  {event['event_time']}  {event['resource_name']:<10} "
                 f"{event['resource_action']}_{event['resource_status']}"
                 f"  {reason}".rstrip())
        if stack["stack_action"] == action and \
                stack["stack_status"] != "IN_PROGRESS":
            return stack
        if time.monotonic() > deadline:
            raise HeatDeltacloudError(
                f"stack still {stack['stack_action']} after {timeout}s")
        time.sleep(0.3)


def run(args):
    from heat_deltacloud.heat import embedded

    try:
        return _run(args, embedded)
    finally:
        embedded.shutdown()


def _stack(args):
    """``(name, template, parameters)`` to launch."""
    params = {}
    for item in args.param:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise HeatDeltacloudError(f"--param {item!r}: expected "
                                      "KEY=VALUE")
        params[key] = value
    if not args.deployable:
        return "demo", TEMPLATE, params
    from heat_deltacloud import deployable
    mapping = deployable.Mapping.from_file(args.mapping) \
        if args.mapping else deployable.Mapping()
    document = deployable.load(args.deployable)
    template = deployable.translate(document, mapping,
                                    wait_conditions=False)
    # Heat stack names: a letter, then letters, digits, '_', '.', '-'.
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", document.name or "").strip("-")
    return f"d-{name}" if not name[:1].isalpha() else name, template, params


def _run(args, embedded):
    from heat_deltacloud.mock.server import MockServer

    name, template, params = _stack(args)
    with MockServer(users={USER: PASSWORD},
                    fix_user_data_feature=True) as mock:
        _say(f"mock Deltacloud listening on {mock.url}")
        heat = embedded.start()
        _say(f"embedded Heat 27 engine started ({heat.state_dir})")
        ctx = heat.context(USER, PASSWORD, mock.url)
        identity = heat.engine_client.create_stack(
            ctx, name, template, params, {}, {"timeout_mins": 5})
        resources = sorted(template.get("Resources") or
                           template.get("resources"))
        _say(f"creating stack '{name}' ({', '.join(resources)}):")
        seen = set()
        stack = _follow(heat, ctx, identity, seen, "CREATE", args.timeout)
        _say(f"stack {stack['stack_name']}: {stack['stack_action']}_"
             f"{stack['stack_status']}")
        if stack["stack_status"] != "COMPLETE":
            _say(f"  reason: {stack['stack_status_reason']}")
            return 1
        for instance in mock.all_instances():
            if instance["owner"] == USER:
                _say(f"  instance {instance['id']} {instance['name']}: "
                     f"{instance['state']} "
                     f"{json.dumps(instance.get('public_addresses'))}")
        for output in stack.get("outputs", []):
            _say(f"  output {output['output_key']} = "
                 f"{output['output_value']}")
        if args.keep:
            return 0
        heat.engine_client.delete_stack(ctx, identity, cast=True)
        _say(f"deleting stack '{name}':")
        ctx.show_deleted = True  # a deleted stack is shown only so
        stack = _follow(heat, ctx, identity, seen, "DELETE", args.timeout)
        left = [i["id"] for i in mock.all_instances() if i["owner"] == USER]
        _say(f"stack {stack['stack_name']}: {stack['stack_action']}_"
             f"{stack['stack_status']}; instances left in the mock: "
             f"{len(left)}")
        return 0 if stack["stack_status"] == "COMPLETE" and not left else 1
