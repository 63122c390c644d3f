"""``novaclient.v2.servers`` over Deltacloud instances."""

import itertools
import logging
import re
import time

from heat_deltacloud.compat import base, refusals
from heat_deltacloud.compat.nova import (bootconfig, exceptions, flavors,
                                         naming, status)
from heat_deltacloud.deltacloud import exceptions as dc

LOG = logging.getLogger(__name__)

#: ``servers.create`` arguments Deltacloud cannot honour, with the values
#: that mean "nothing asked" and so are accepted.
UNHONOURED_ARGUMENTS = {
    "block_device_mapping": (None, {}, []),
    "block_device_mapping_v2": (None, [], ()),
    "nics": (None, [], (), "auto"),
    "files": (None, {}),
    "scheduler_hints": (None, {}),
    "config_drive": (None, False, ""),
    "disk_config": (None, "AUTO"),
    "admin_pass": (None, ""),
    "min_count": (None, 1),
    "max_count": (None, 1),
    "access_ip_v4": (None, ""),
    "access_ip_v6": (None, ""),
    "trusted_image_certificates": (None, []),
    "host": (None,),
    "hypervisor_hostname": (None,),
    "hostname": (None,),
    "tags": (None, []),
}

#: Create failures after which the instance may exist all the same: the
#: answer was lost (timeout, dropped connection, garbled body) or the
#: server or a proxy failed after the cloud had acted (5xx).
UNCERTAIN_CREATE = (dc.Timeout, dc.ConnectionFailed, dc.MalformedResponse,
                    dc.InternalServerError, dc.BackendError,
                    dc.ServiceUnavailable)
#: Look-ups by name after such a failure before concluding "not made".
LOOKUPS = 3

#: Nova actions Deltacloud has no word for -> (the Deltacloud action
#: standing in for it, the state it leaves the instance in, the state
#: that should offer it).  A suspended server is a stopped instance, and
#: shows as one (``SHUTOFF``): the Heat plugins count it as suspended
#: (:mod:`heat_deltacloud.heat.resources.suspend`).
STAND_INS = {"suspend": ("stop", "STOPPED", "RUNNING"),
             "resume": ("start", "RUNNING", "STOPPED")}

NO_RESIZE = ("Deltacloud cannot resize servers: replace the server instead "
             "(OS::Nova::Server: flavor_update_policy REPLACE)")
NO_REBUILD = ("Deltacloud cannot rebuild servers: replace the server instead "
              "(OS::Nova::Server: image_update_policy or "
              "user_data_update_policy REPLACE)")
NO_PORTS = "Deltacloud has no ports: a server's networks cannot change"
#: Nova server calls Deltacloud has no counterpart for -> the one line
#: Heat shows (501), on the manager and on each server.
REFUSED = {
    "resize": NO_RESIZE,
    "confirm_resize": NO_RESIZE,
    "revert_resize": NO_RESIZE,
    "rebuild": NO_REBUILD,
    "update": ("Deltacloud cannot rename servers: an instance keeps the "
               "name it was created with"),
    "change_password": "Deltacloud cannot set server passwords (admin_pass)",
    "interface_attach": NO_PORTS,
    "interface_detach": NO_PORTS,
    "get_console_url": "Deltacloud has no remote consoles",
}

#: The description of an image made by :meth:`ServerManager.create_image`:
#: it names the server and says that this installation made it.
IMAGE_DESCRIPTION = "heat-deltacloud snapshot of server {name} ({id})"


def _refused(message):
    return exceptions.HTTPNotImplemented(501, message)


def _not_kept(server, metadata):
    LOG.info("Deltacloud cannot store server metadata; not kept for %s: %s",
             base.getid(server), sorted(metadata or {}))


#: Deltacloud address types Nova can show, with their IP version.
ADDRESS_VERSIONS = {"ipv4": 4, "ipv6": 6, "hostname": None}
#: Deltacloud address list -> (Nova network label, OS-EXT-IPS:type).
ADDRESS_LISTS = (("public_addresses", "public", "floating"),
                 ("private_addresses", "private", "fixed"))


def _networks_and_addresses(instance):
    """Nova's ``networks`` and ``addresses`` for an instance.

    IP addresses come first; hostnames (all the mock driver gives) follow
    as a fallback, with ``version`` None.
    """
    networks, addresses = {}, {}
    for field, label, ip_type in ADDRESS_LISTS:
        entries = [a for a in getattr(instance, field)
                   if a.type in ADDRESS_VERSIONS and a.address]
        entries.sort(key=lambda a: ADDRESS_VERSIONS[a.type] is None)
        if not entries:
            continue
        networks[label] = [a.address for a in entries]
        addresses[label] = [{"addr": a.address,
                             "version": ADDRESS_VERSIONS[a.type],
                             "OS-EXT-IPS:type": ip_type,
                             "OS-EXT-IPS-MAC:mac_addr": None}
                            for a in entries]
    return networks, addresses


def _first_ip(instance, kind):
    for address in instance.public_addresses:
        if address.type == kind:
            return address.address
    return ""


def server_info(instance):
    """The dict a Nova ``GET /servers/{id}`` would return for an instance."""
    nova = status.nova_state(instance.state)
    networks, addresses = _networks_and_addresses(instance)
    auth = instance.authentication
    fault = {}
    if nova.status == "ERROR":
        fault = {"code": 500, "message": "Deltacloud reports the instance "
                 "in state ERROR (Deltacloud gives no further detail)"}
    return {
        "id": instance.id,
        "name": naming.split(instance.name)[0] or "",
        "status": nova.status,
        "OS-EXT-STS:vm_state": nova.vm_state,
        "OS-EXT-STS:task_state": nova.task_state,
        "OS-EXT-STS:power_state": nova.power_state,
        "OS-EXT-AZ:availability_zone": instance.realm_id,
        "OS-EXT-SRV-ATTR:instance_name": instance.id,
        "flavor": {"id": flavors.flavor_id(instance.hardware_profile_id,
                                           instance.hardware_overrides),
                   "links": []},
        "image": {"id": instance.image_id, "links": []},
        "key_name": auth.keyname if auth else None,
        "user_id": instance.owner,
        "tenant_id": instance.owner,
        "metadata": {},
        "networks": networks,
        "addresses": addresses,
        "accessIPv4": _first_ip(instance, "ipv4"),
        "accessIPv6": _first_ip(instance, "ipv6"),
        "fault": fault,
        "created": instance.launch_time,
        "deltacloud:state": instance.state,
        "deltacloud:actions": list(instance.action_names),
    }


@refusals.refusing(REFUSED, _refused)
class Server(base.Resource):
    def delete(self):
        self.manager.delete(self)

    def reboot(self, reboot_type="SOFT"):
        self.manager.reboot(self, reboot_type)

    def stop(self):
        self.manager.stop(self)

    def start(self):
        self.manager.start(self)

    def suspend(self):
        self.manager.suspend(self)

    def resume(self):
        self.manager.resume(self)

    def interface_list(self):
        """Deltacloud has no ports: a server lists no interfaces."""
        return []

    def set_meta(self, metadata):
        return self.manager.set_meta(self, metadata)

    def set_meta_item(self, key, value):
        return self.manager.set_meta_item(self, key, value)

    def delete_meta(self, keys):
        self.manager.delete_meta(self, keys)

    def create_image(self, image_name, metadata=None):
        return self.manager.create_image(self, image_name, metadata)


@refusals.refusing(REFUSED, _refused)
class ServerManager(base.Manager):
    resource_class = Server

    def get(self, server):
        return self._wrap(server_info(self._read(base.getid(server))))

    def _read(self, server_id):
        """The instance behind ``server_id``; NotFound naming it when
        Deltacloud has none or it has finished."""
        try:
            with exceptions.translating():
                instance = self.dc.instances.get(server_id)
        except exceptions.NotFound:
            # Say which instance: Heat shows this as the resource's reason
            # when an instance vanished (a cloud that lost its state).
            raise exceptions.not_found(
                f"Instance {server_id} could not be found: Deltacloud no "
                "longer has it") from None
        if instance.state in status.GONE:
            raise exceptions.not_found(f"Instance {server_id} could not be "
                                       "found (it has finished)")
        return instance

    def list(self, detailed=True, search_opts=None, marker=None, limit=None,
             sort_keys=None, sort_dirs=None):
        """Servers, filtered like Nova by name (a regex), status and zone."""
        opts = dict(search_opts or {})
        with exceptions.translating():
            instances = self.dc.instances.list()
        name = re.compile(opts["name"]) if opts.get("name") else None
        servers = []
        for instance in instances:
            if instance.state in status.GONE:
                continue
            info = server_info(instance)
            if name and not name.search(info["name"]):
                continue
            if opts.get("status") and info["status"] != \
                    opts["status"].upper():
                continue
            zone = opts.get("availability_zone")
            if zone and info["OS-EXT-AZ:availability_zone"] != zone:
                continue
            servers.append(self._wrap(info))
        return servers[:limit] if limit else servers

    def create(self, name, image, flavor, *, userdata=None, key_name=None,
               availability_zone=None, security_groups=None,
               reservation_id=None, meta=None, **kwargs):
        """Launch a server; arguments Deltacloud cannot honour are refused.

        ``flavor`` may carry hardware-profile overrides
        (``m1-large;memory=12288``, see :mod:`.flavors`).  Deltacloud has
        no reservation ids; Nova's own client ignores them too when one
        server is made.  It has no server metadata either: ``meta`` (Heat
        sends instance tags and group names there) is accepted, logged and
        not stored, so tagged templates still run; reads show ``{}``; so
        are later changes (:meth:`set_meta`).
        """
        if meta:
            _not_kept(name, meta)
        for arg, value in sorted(kwargs.items()):
            if arg not in UNHONOURED_ARGUMENTS:
                raise TypeError(f"create() got an unexpected keyword "
                                f"argument '{arg}'")
            if value not in UNHONOURED_ARGUMENTS[arg]:
                raise exceptions.bad_request(
                    f"Deltacloud cannot honour the server argument '{arg}'")
        hwp_id, overrides = flavors.parse_flavor_id(base.getid(flavor))
        params = {"hwp_id": hwp_id, "realm_id": availability_zone or None,
                  "keyname": key_name or None, **overrides}
        with exceptions.translating():
            if self.dc.supports("instances", "user_name"):
                params["name"] = naming.mark(name,
                                             self.client.instance_marker)
            else:
                LOG.debug("Deltacloud driver cannot name instances; "
                          "server name %s not sent", name)
            if userdata:
                params["user_data"] = self._user_data(name, userdata)
            firewalls = [g for g in security_groups or () if g != "default"]
            if firewalls:
                params["firewalls"] = firewalls
            try:
                instance = self.dc.instances.create(base.getid(image),
                                                    **params)
            except UNCERTAIN_CREATE as exc:
                # A timed-out create may still be running on the server.
                settle = self._read_timeout() if isinstance(
                    exc, dc.Timeout) else 0.0
                instance = self._created_anyway(params.get("name"), settle)
        return self._wrap(server_info(instance))

    def _read_timeout(self):
        timeout = self.dc.transport.timeout
        return float(timeout[1] if isinstance(timeout, tuple) else timeout)

    def _created_anyway(self, name, settle):
        """After a create whose outcome is unknown, find what it made.

        A create is never retried blindly: if the instance was made, its
        (unique, Heat-given) name finds it, so no duplicate is left behind
        and Heat records the instance it will later delete.  The name is
        looked up at least :data:`LOOKUPS` times (a look-up failing the
        same way does not count as "none") and until ``settle`` seconds
        have passed (a server still working on a timed-out create); then
        the original error is raised again, as it is when more than one
        instance has that name.
        """
        deadline = time.monotonic() + settle
        for attempt in itertools.count(1):
            if not name:
                break
            try:
                found = [i for i in self.dc.instances.list()
                         if i.name == name and i.state not in status.GONE]
            except UNCERTAIN_CREATE:
                found = None
            if found and len(found) == 1:
                LOG.warning("The answer to creating %s was lost; found "
                            "instance %s with its name", name, found[0].id)
                return found[0]
            if found or (attempt >= LOOKUPS and
                         time.monotonic() >= deadline):
                break
            time.sleep(self.client.poll_interval)
        raise

    def _user_data(self, name, userdata):
        """The user data to send, or None to boot without it."""
        if self.dc.supports("instances", "user_data"):
            return userdata
        driver = self.dc.api.driver
        if bootconfig.carries_nothing(userdata):
            LOG.info("Deltacloud driver %s does not take user data; server "
                     "%s is created without Heat's boot configuration: the "
                     "template gives it no user data, metadata or software "
                     "config", driver, name)
            return None
        if self.client.ignore_unsupported_user_data:
            LOG.warning("Deltacloud driver %s does not take user data; "
                        "dropping it as configured", driver)
            return None
        # Heat keeps 255 characters of a resource's reason: the fix first.
        raise exceptions.bad_request(
            f"Deltacloud driver '{driver}' does not accept user data "
            "(feature 'user_data'): set [deltacloud] "
            "ignore_unsupported_user_data (launch "
            "--ignore-unsupported-user-data) or give the server no user "
            "data or metadata")

    def _act(self, server, action, instance=None):
        """Run an instance action; a missing instance is NotFound.

        Deltacloud answers 403 for an action on an instance that does not
        exist; Nova answers 404, which is what Heat ignores on delete.
        Given the ``instance`` just read, its action link is followed
        without reading it again.
        """
        server_id = base.getid(server)
        try:
            with exceptions.translating():
                return getattr(self.dc.instances, action)(
                    instance or server_id)
        except exceptions.Forbidden:
            raise exceptions.not_found(
                f"Instance {server_id} could not be found") from None

    def reboot(self, server, reboot_type="SOFT"):
        self._act(server, "reboot")

    def stop(self, server):
        self._act(server, "stop")

    def start(self, server):
        self._act(server, "start")

    def suspend(self, server):
        """Stop the instance: Deltacloud has no suspend (see
        :data:`STAND_INS`).  Refused (501) where the driver could not
        start it again."""
        self._stand_in(server, "suspend")

    def resume(self, server):
        """Start the instance a suspend stopped."""
        self._stand_in(server, "resume")

    def create_image(self, server, image_name, metadata=None):
        """Snapshot a server: a Deltacloud image made from its instance
        (``POST /api/images``), named ``image_name``.  Returns the image's
        id, as Nova's does.  Refused (501) where the instance does not
        offer ``create_image`` (a stopped or instance-store instance on
        ec2, or a driver that cannot make images)."""
        if metadata:
            _not_kept(image_name, metadata)
        server_id = base.getid(server)
        instance = self._read(server_id)
        if not instance.create_image:
            raise _refused(
                f"Deltacloud cannot snapshot server {server_id}: its "
                f"instance ({instance.state}) offers no 'create_image' (on "
                "ec2 only a running EBS-backed instance does)")
        description = IMAGE_DESCRIPTION.format(
            name=naming.split(instance.name)[0] or server_id, id=server_id)
        with exceptions.translating():
            image = self.dc.images.create(server_id, name=image_name,
                                          description=description)
        return image.id

    def _stand_in(self, server, nova_action):
        """Run the Deltacloud action standing in for ``nova_action``.

        Already in the state it leads to, nothing is done (as Heat skips a
        server already ``SUSPENDED`` or ``ACTIVE``).  In the state where
        the action belongs but not offered, the driver cannot do it: 501
        naming the driver and the action.  In another state (PENDING,
        STOPPING...) it is Nova's 409 Conflict.
        """
        action, done, ready = STAND_INS[nova_action]
        server_id = base.getid(server)
        instance = self._read(server_id)
        if instance.state == done:
            LOG.debug("Instance %s is already %s: nothing to %s",
                      server_id, done, nova_action)
            return
        if instance.state == ready:
            if not instance.action(action):
                self._refuse(nova_action, f"instance {server_id} offers "
                             f"no '{action}' action while {ready}")
            if nova_action == "suspend" and not self._can_start():
                self._refuse(nova_action, "its instances have no 'start' "
                             "action, so a stopped server could not "
                             "resume")
        self._act(server_id, action, instance)

    def _refuse(self, nova_action, why):
        raise _refused(
            f"Deltacloud driver '{self.dc.api.driver}' cannot "
            f"{nova_action} servers ({nova_action} is "
            f"'{STAND_INS[nova_action][0]}' on Deltacloud): {why}")

    def _can_start(self):
        """Whether the driver's state machine has a ``start`` at all.

        The openstack driver's has none, and its ``stop`` deletes the
        server: a suspend there would be a delete.
        """
        with exceptions.translating():
            machine = self.dc.instance_states.list()
        return any("start" in state.actions for state in machine)

    def delete(self, server):
        """Delete from any state, as Nova does.

        Deltacloud destroys only where the instance offers ``destroy``
        (mostly when stopped), so: stop if needed, wait (bounded by
        ``delete_timeout``) until ``destroy`` is offered or the instance is
        gone, then destroy.  Drivers whose stop removes the instance
        (OpenStack's) end in the wait.  A server already gone raises
        NotFound, as Nova's delete does.  Attached volumes are detached
        first, as Nova does: Deltacloud's mock driver leaves a destroyed
        instance's volumes in use, and Heat could not delete them.
        """
        server_id = base.getid(server)
        deadline = time.monotonic() + self.client.delete_timeout
        instance, acted = self._stop_unread(server_id)
        while True:
            if instance is None:
                try:
                    with exceptions.translating():
                        instance = self.dc.instances.get(server_id)
                except exceptions.NotFound:
                    if acted:
                        return
                    raise
            if instance.state in status.GONE:
                return
            try:
                with exceptions.translating():
                    if instance.action("destroy"):
                        self._detach_volumes(instance)
                        self.dc.instances.destroy(instance)
                        return
                    if instance.action("stop") and not acted:
                        acted = True
                        instance = self.dc.instances.stop(instance)
                        continue
            except exceptions.Forbidden:
                return  # vanished between our read and our action
            if time.monotonic() >= deadline:
                raise exceptions.Conflict(
                    409, f"Instance {server_id} could not be deleted within "
                    f"{self.client.delete_timeout}s: it stays in state "
                    f"{instance.state} offering "
                    f"{', '.join(instance.action_names) or 'no actions'}")
            time.sleep(self.client.poll_interval)
            instance = None

    force_delete = delete

    def set_meta(self, server, metadata):
        """Logged and not kept, as ``meta`` at create: Deltacloud has no
        instance metadata.  So changing an ``AWS::EC2::Instance``'s
        ``Tags`` on update does not fail it (``OS::Nova::Server``
        ``metadata`` with entries never gets here: Heat's validation sees
        a limit of 0).  Returns what the server now holds: nothing."""
        _not_kept(server, metadata)
        return {}

    def set_meta_item(self, server, key, value):
        _not_kept(server, {key: value})
        return {}

    def delete_meta(self, server, keys):
        """Nothing is kept, so there is nothing to delete."""
        LOG.debug("Deltacloud keeps no server metadata; nothing to delete "
                  "for %s: %s", base.getid(server), sorted(keys or ()))

    def _stop_unread(self, server_id):
        """``(instance, stopped)``: stop at the API's fixed route, whose
        answer gives the state, so no read comes first.  ``(None, False)``
        when refused (not running, or no such instance): read, then."""
        with exceptions.translating():
            try:
                return self.dc.instances.act_unread(server_id, "stop"), True
            except (dc.MethodNotAllowed, dc.Forbidden, dc.NotFound):
                return None, False

    def _detach_volumes(self, instance):
        for attachment in instance.storage_volumes:
            try:
                with exceptions.translating():
                    self.dc.storage_volumes.detach(attachment.id)
            except (exceptions.NotFound, exceptions.Forbidden,
                    exceptions.Conflict):
                pass  # already detached or gone: nothing left to free

    def interface_list(self, server):
        return []
