"""``heat-deltacloud reconcile``: instances Heat made and then lost track of.

Deltacloud keeps no tags, so what marks an instance as Heat's is its name:
Heat names every server ``<stack>-<resource>-<12-character id>`` (shortened
from the left for long names, keeping that id), and the Nova shim appends
its installation's marker (``.<8 hex digits>``, derived from heat.conf's
``auth_encryption_key``, see :mod:`heat_deltacloud.compat.nova.naming`).
An instance so named is an *orphan* when no resource of any of the user's
existing stacks has it as its physical id: its stack was deleted while
Deltacloud did not answer, the instance was created by a request whose
answer was lost, or the database that knew it was lost.

Only orphans carrying this Heat's marker are provably this Heat's: the
marker is learned from the instances its existing stacks own, or given
(``--marker``, or ``--heat-conf`` to derive it).  Heat-named instances
with another marker, or none (another Heat on the same account, a driver
that keeps no names, an older version), are listed and never deleted.

Stacks and their resources are read from heat-api-cfn (ListStacks, then
DescribeStackResources per stack), instances from Deltacloud, both as the
given user.  Dry run by default; ``--delete`` deletes the orphans the way
the Nova shim does (stop if needed, then destroy).
"""

import dataclasses

from heat_deltacloud.compat.nova import naming
from heat_deltacloud.errors import HeatDeltacloudError

#: Stack states whose resources are gone (or going) with the stack.
GONE_STACK_STATES = frozenset({"DELETE_COMPLETE"})


@dataclasses.dataclass(frozen=True)
class Orphan:
    id: str
    name: str
    state: str

    @property
    def marker(self):
        return naming.split(self.name)[1]


@dataclasses.dataclass(frozen=True)
class Survey:
    """What ``reconcile`` found: ``orphans`` provably this Heat's,
    ``unproven`` Heat-named ones no stack owns that carry another marker or
    none, and the ``markers`` taken as this Heat's."""

    orphans: list
    unproven: list
    markers: frozenset
    #: Physical ids of the existing stacks' resources.
    owned: frozenset = frozenset()


heat_made = naming.heat_made


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


def survey(heat, deltacloud, markers=()):
    """Heat-named instances no existing stack owns, sorted by id, split by
    whether they carry one of ``markers`` or of the markers of the
    instances this Heat's stacks own.

    Instances are listed before stacks are read, so an instance created by
    a stack launched meanwhile is owned by the time ownership is checked.
    """
    from heat_deltacloud.compat.nova import status

    instances = [i for i in deltacloud.instances.list()
                 if heat_made(i.name) and i.state not in status.GONE]
    owned = owned_instance_ids(heat)
    known = set(markers)
    known.update(naming.split(i.name)[1] for i in instances
                 if i.id in owned)
    known.discard(None)
    orphans = sorted((Orphan(i.id, i.name, i.state) for i in instances
                      if i.id not in owned), key=lambda o: o.id)
    return Survey([o for o in orphans if o.marker in known],
                  [o for o in orphans if o.marker not in known],
                  frozenset(known), frozenset(owned))


def find_orphans(heat, deltacloud, markers=()):
    """The orphans provably this Heat's (see :func:`survey`)."""
    return survey(heat, deltacloud, markers).orphans


def marker_from_heat_conf(path):
    """This installation's marker, from heat.conf's
    ``auth_encryption_key``."""
    import configparser

    from heat_deltacloud.cli import UsageError

    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        with open(path, encoding="utf-8") as handle:
            parser.read_file(handle)
    except (OSError, configparser.Error) as exc:
        raise UsageError(f"--heat-conf {path}: "
                         f"{getattr(exc, 'strerror', None) or exc}") \
            from None
    key = parser.defaults().get("auth_encryption_key", "").strip()
    if not key:
        raise UsageError(f"--heat-conf {path}: no auth_encryption_key in "
                         "[DEFAULT], so no instance marker")
    return naming.installation_marker(key)


def marker(text):
    """An argparse type: an instance marker, 8 hex digits."""
    import argparse
    import re

    if not re.fullmatch(r"[0-9a-f]{8}", text or ""):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a marker (8 lower-case hex digits, the end "
            "of this Heat's instance names)")
    return text


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
        "reconcile", parents=[common_options(follow=False)],
        help="list (and delete) instances Heat made but no stack owns",
        description=__doc__.split("\n\n")[0])
    parser.add_argument("--delete", action="store_true",
                        help="delete the orphans (default: only list "
                             "them); asks first on a terminal")
    parser.add_argument("--yes", action="store_true",
                        help="with --delete: do not ask (needed without a "
                             "terminal)")
    parser.add_argument("--release-addresses", action="store_true",
                        help="with --delete: release the unattached "
                             "addresses no stack owns too (Deltacloud "
                             "cannot tell who allocated them: read the "
                             "list first)")
    parser.add_argument("--marker", action="append", default=[],
                        type=marker, metavar="HEX",
                        help="this Heat's instance marker (the 8 hex "
                             "digits after the last dot of its instance "
                             "names); by default learned from the "
                             "instances its stacks own")
    parser.add_argument("--heat-conf", metavar="FILE",
                        help="derive this Heat's instance marker from "
                             "auth_encryption_key in its heat.conf")
    parser.set_defaults(handler=run)


def run(args):
    from heat_deltacloud.deltacloud import Client
    from heat_deltacloud.launch import credentials
    from heat_deltacloud.launch.cli import check_deltacloud
    from heat_deltacloud.launch.heatcfn import HeatCfn

    if not args.heat_cfn_url or not args.deltacloud_url:
        from heat_deltacloud.cli import UsageError

        raise UsageError(
            "reconcile needs --heat-cfn-url and --deltacloud-url (or "
            "$HEAT_CFN_URL and $DELTACLOUD_URL)")
    _check_options(args)
    markers = list(args.marker)
    if args.heat_conf:
        markers.append(marker_from_heat_conf(args.heat_conf))
    creds = credentials.resolve(args.user, args.password_file)
    check_deltacloud(args.deltacloud_url, creds)
    heat = HeatCfn(args.heat_cfn_url, creds, args.deltacloud_url)
    deltacloud = Client(args.deltacloud_url, creds.user, creds.password)
    found = survey(heat, deltacloud, markers)
    orphans = found.orphans
    for orphan in orphans:
        print(f"orphan {orphan.id} {orphan.name} ({orphan.state})")
    for other in found.unproven:
        whose = f"marker {other.marker}" if other.marker else "no marker"
        print(f"not provably this Heat's: {other.id} {other.name} "
              f"({other.state}; {whose}): left alone")
    if found.unproven and not found.markers:
        print("this Heat's instance marker is unknown (no instance of its "
              "stacks carries one): give --marker or --heat-conf")
    try:
        addresses = unowned_addresses(heat, deltacloud, found.owned)
    except HeatDeltacloudError as exc:
        addresses = []
        print(f"addresses not checked: {exc}")
    release = addresses if args.release_addresses else []
    for address in addresses:
        print(f"unattached address {address}: no stack owns it"
              + ("" if release else " (not released: Deltacloud cannot "
                 "tell who allocated it; --release-addresses releases it)"))
    if not args.delete:
        print(f"{len(orphans)} orphaned instance(s); --delete deletes them")
        return 0
    if not orphans and not release:
        print("nothing to delete")
        return 0
    if not args.yes:
        asks = []
        if orphans:
            asks.append(f"delete these {len(orphans)} instance(s), marked "
                        f"{', '.join(sorted(found.markers))} as this "
                        "Heat's,")
        if release:
            asks.append(f"release {len(release)} address(es)")
        if not confirm(f"{' and '.join(asks)} of {creds.user} at "
                       f"{args.deltacloud_url}?"):
            print("nothing deleted")
            return 1
    failed = delete(deltacloud, orphans)
    for orphan, reason in failed:
        print(f"not deleted {orphan.id}: {reason}")
    print(f"deleted {len(orphans) - len(failed)} of {len(orphans)} "
          "orphaned instance(s)")
    unreleased = release_addresses(deltacloud, release)
    for address, reason in unreleased:
        print(f"not released {address}: {reason}")
    if release:
        print(f"released {len(release) - len(unreleased)} of "
              f"{len(release)} address(es)")
    return 1 if failed or unreleased else 0


def _check_options(args):
    """Command-line mistakes, found before anything is asked."""
    import sys

    from heat_deltacloud.cli import UsageError

    if args.release_addresses and not args.delete:
        raise UsageError("--release-addresses goes with --delete")
    if args.delete and not args.yes and not sys.stdin.isatty():
        raise UsageError("--delete without a terminal to confirm on needs "
                         "--yes")


def release_addresses(deltacloud, addresses):
    """Release ``addresses``; the ones that could not be, with why."""
    from heat_deltacloud.deltacloud import exceptions

    failed = []
    for address in addresses:
        try:
            deltacloud.addresses.destroy(address)
        except exceptions.NotFound:
            continue  # released already
        except HeatDeltacloudError as exc:
            failed.append((address, str(exc)))
    return failed
