"""``heat-deltacloud reconcile``: instances Heat made and then lost track of.

Deltacloud keeps no tags, so what marks an instance as Heat's is its name:
Heat names every server ``<stack>-<resource>-<12-character id>`` (shortened
from the left for long names, keeping that id).  An instance so named is
an *orphan* when no resource of any of the user's existing stacks has it
as its physical id: its stack was deleted while Deltacloud did not answer,
the instance was created by a request whose answer was lost, or the
database that knew it was lost.

Stacks and their resources are read from heat-api-cfn (ListStacks, then
DescribeStackResources per stack), instances from Deltacloud, both as the
given user.  Dry run by default; ``--delete`` deletes the orphans the way
the Nova shim does (stop if needed, then destroy).
"""

import dataclasses
import re

from heat_deltacloud.errors import HeatDeltacloudError

#: Heat's physical resource names end in a 12-character short id.
HEAT_NAME = re.compile(r"-[a-z0-9]{12}$")
#: Stack states whose resources are gone (or going) with the stack.
GONE_STACK_STATES = frozenset({"DELETE_COMPLETE"})


@dataclasses.dataclass(frozen=True)
class Orphan:
    id: str
    name: str
    state: str


def heat_made(name):
    return bool(name) and HEAT_NAME.search(name) is not None


def owned_instance_ids(heat):
    """Physical ids of every resource of the user's existing stacks."""
    owned = set()
    for stack in heat.list_stacks():
        if stack["StackStatus"] in GONE_STACK_STATES:
            continue
        for row in heat.stack_resources(stack["StackId"]):
            if row.get("PhysicalResourceId"):
                owned.add(row["PhysicalResourceId"])
    return owned


def find_orphans(heat, deltacloud):
    """Heat-named instances no existing stack owns, sorted by id.

    Instances are listed before stacks are read, so an instance created by
    a stack launched meanwhile is owned by the time ownership is checked.
    """
    from heat_deltacloud.compat.nova import status

    instances = [i for i in deltacloud.instances.list()
                 if heat_made(i.name) and i.state not in status.GONE]
    owned = owned_instance_ids(heat)
    return sorted((Orphan(i.id, i.name, i.state) for i in instances
                   if i.id not in owned), key=lambda o: o.id)


def delete(deltacloud, orphans, *, delete_timeout=60.0, poll_interval=1.0):
    """Delete ``orphans``; the ones that could not be deleted, with why."""
    from heat_deltacloud.compat import nova

    servers = nova.Client(deltacloud, delete_timeout=delete_timeout,
                          poll_interval=poll_interval).servers
    failed = []
    for orphan in orphans:
        try:
            servers.delete(orphan.id)
        except nova.exceptions.NotFound:
            continue  # gone already
        except (nova.exceptions.ClientException,
                HeatDeltacloudError) as exc:
            failed.append((orphan, str(exc)))
    return failed


def unowned_addresses(heat, deltacloud, owned=None):
    """The user's addresses no instance uses and no stack owns, sorted:
    perhaps leaked by Heat (an EIP whose stack's delete did not reach
    Deltacloud), perhaps allocated by hand (Deltacloud cannot tell)."""
    if not deltacloud.api.supports("addresses"):
        return []
    owned = owned_instance_ids(heat) if owned is None else owned
    return sorted(a.id for a in deltacloud.addresses.list()
                  if not a.associated and a.id not in owned)


def confirm(question, *, stdin=None, stdout=None):
    """Ask ``question`` on a terminal; True only for yes."""
    import sys

    stdin, stdout = stdin or sys.stdin, stdout or sys.stdout
    stdout.write(f"{question} [y/N] ")
    stdout.flush()
    answer = stdin.readline()
    return answer.strip().lower() in ("y", "yes")


def register(subparsers):
    from heat_deltacloud.launch.cli import common_options

    parser = subparsers.add_parser(
        "reconcile", parents=[common_options()],
        help="list (and delete) instances Heat made but no stack owns",
        description=__doc__.split("\n\n")[0])
    parser.add_argument("--delete", action="store_true",
                        help="delete the orphans (default: only list "
                             "them); asks first on a terminal")
    parser.add_argument("--yes", action="store_true",
                        help="with --delete: do not ask (needed without a "
                             "terminal)")
    parser.set_defaults(handler=run)


def run(args):
    from heat_deltacloud.deltacloud import Client
    from heat_deltacloud.launch import credentials
    from heat_deltacloud.launch.heatcfn import HeatCfn

    if not args.heat_cfn_url or not args.deltacloud_url:
        from heat_deltacloud.cli import UsageError

        raise UsageError(
            "reconcile needs --heat-cfn-url and --deltacloud-url (or "
            "$HEAT_CFN_URL and $DELTACLOUD_URL)")
    creds = credentials.resolve(args.user, args.password_file)
    heat = HeatCfn(args.heat_cfn_url, creds, args.deltacloud_url)
    deltacloud = Client(args.deltacloud_url, creds.user, creds.password)
    orphans = find_orphans(heat, deltacloud)
    for orphan in orphans:
        print(f"orphan {orphan.id} {orphan.name} ({orphan.state})")
    try:
        addresses = unowned_addresses(heat, deltacloud)
    except HeatDeltacloudError as exc:
        addresses = []
        print(f"addresses not checked: {exc}")
    for address in addresses:
        print(f"unattached address {address}: no stack owns it (not "
              "released: Deltacloud cannot tell who allocated it)")
    if not args.delete:
        print(f"{len(orphans)} orphaned instance(s); --delete deletes them")
        return 0
    if not orphans:
        print("nothing to delete")
        return 0
    if not args.yes:
        import sys

        from heat_deltacloud.cli import UsageError

        if not sys.stdin.isatty():
            raise UsageError("--delete without a terminal to confirm on "
                             "needs --yes")
        if not confirm(f"delete these {len(orphans)} instance(s) of "
                       f"{creds.user} at {args.deltacloud_url}? (another "
                       "Heat using the same account would see its own "
                       "instances here)"):
            print("nothing deleted")
            return 1
    failed = delete(deltacloud, orphans)
    for orphan, reason in failed:
        print(f"not deleted {orphan.id}: {reason}")
    print(f"deleted {len(orphans) - len(failed)} of {len(orphans)} "
          "orphaned instance(s)")
    return 1 if failed else 0
