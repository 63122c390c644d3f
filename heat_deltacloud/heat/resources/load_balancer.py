"""``AWS::ElasticLoadBalancing::LoadBalancer`` over Deltacloud load balancers.

Heat's own type is a nested stack running haproxy on an instance of its
own (a Fedora image with heat-cfntools and a CloudWatch alarm).  Here it
is the cloud's load balancer, where the driver has the ``load_balancers``
collection (ec2: Elastic Load Balancing), with the properties and
attributes of Heat's type as far as Deltacloud models them:

* one realm: the first of ``AvailabilityZones`` holding one of
  ``Instances`` (so it can reach them), else the first one;
* one listener (Deltacloud creates a balancer with exactly one and can
  add none), ``HTTP`` or ``TCP``; more are refused at validation;
* ``Instances`` registered after create and on update (what an
  ``AWS::AutoScaling::AutoScalingGroup``'s ``LoadBalancerNames`` does),
  unregistered when removed;
* ``HealthCheck`` accepted (and checked as Heat checks it) but not
  applied: Deltacloud has no health check settings, the provider's
  defaults apply; ``SecurityGroups`` refused (Deltacloud balancers have
  none);
* ``DNSName`` and ``CanonicalHostedZoneName`` are the balancer's public
  address; the hosted zone id and source security group Deltacloud does
  not give (null).

``Ref`` is the resource's name, as in Heat, which is what an
AutoScalingGroup's ``LoadBalancerNames`` looks balancers up by.  Delete
destroys only the balancer this resource created (its name is set as the
resource id once the create succeeded; a taken name fails the create).
On drivers without load balancers the type is refused at validation.
"""

import re

from heat.common import exception
from heat.engine import resource
from heat.engine.resources.aws.lb import loadbalancer
from heat.objects import resource as resource_objects

from heat_deltacloud.deltacloud import exceptions as dc
from heat_deltacloud.heat import capabilities
from heat_deltacloud.heat.resources import deltacloud

TYPE = "AWS::ElasticLoadBalancing::LoadBalancer"

#: Why the type is refused where the driver has no load balancers.
NO_LOAD_BALANCERS = (
    "heat-deltacloud maps it onto Deltacloud load balancers (the ec2 driver "
    "has them) and does not fall back to Heat's nested stack running "
    "haproxy on an instance: run a load balancer on an AWS::EC2::Instance "
    "of your own")

#: Load balancer names: letters, digits and hyphens, 32 at most (ELB).
NAME_LIMIT = 32
_NOT_IN_NAME = re.compile(r"[^A-Za-z0-9-]+")

_STOCK = loadbalancer.LoadBalancer


class DeltacloudLoadBalancer(resource.Resource):
    """Heat's ``AWS::ElasticLoadBalancing::LoadBalancer`` over the
    driver's ``load_balancers`` collection (see the module's notes)."""

    PROPERTIES = _STOCK.PROPERTIES
    ATTRIBUTES = _STOCK.ATTRIBUTES
    properties_schema = _STOCK.properties_schema
    attributes_schema = _STOCK.attributes_schema
    physical_resource_name_limit = NAME_LIMIT

    @classmethod
    def is_service_available(cls, context):
        collection = capabilities.RESOURCE_TYPES[TYPE].collection
        if deltacloud(context).supports(collection):
            return True, None
        return False, (f"the Deltacloud driver has no '{collection}' "
                       f"collection: {NO_LOAD_BALANCERS}")

    def _dc(self):
        return deltacloud(self.context, self.stack.clients)

    # -- validation ------------------------------------------------------

    def validate(self):
        super().validate()
        listeners = self.properties[_STOCK.LISTENERS]
        if isinstance(listeners, list) and len(listeners) != 1:
            self._refuse(_STOCK.LISTENERS, (
                f"{len(listeners)} listeners: a Deltacloud load balancer "
                "has exactly one (protocol, load balancer port, instance "
                "port); make one load balancer per listener"))
        zones = self.properties[_STOCK.AVAILABILITY_ZONES]
        if isinstance(zones, list) and not zones:
            self._refuse(_STOCK.AVAILABILITY_ZONES, (
                "no zone: a Deltacloud load balancer is made in a realm; "
                "name one, or use Fn::GetAZs"))
        if self.properties[_STOCK.SECURITY_GROUPS]:
            self._refuse(_STOCK.SECURITY_GROUPS, (
                "Deltacloud load balancers have no security groups; leave "
                "it out (the instances' own groups still apply)"))
        check = self.properties[_STOCK.HEALTH_CHECK]
        if check and float(check[_STOCK.HEALTH_CHECK_INTERVAL]) < float(
                check[_STOCK.HEALTH_CHECK_TIMEOUT]):
            self._refuse(_STOCK.HEALTH_CHECK,
                         "Interval must be larger than Timeout")

    def _refuse(self, prop, message):
        raise exception.StackValidationFailed(
            path=[self.stack.t.RESOURCES, self.name,
                  self.stack.t.RES_PROPERTIES, prop],
            message=message)

    # -- life cycle ------------------------------------------------------

    def balancer_name(self):
        """The resource's physical name as ELB allows names."""
        name = _NOT_IN_NAME.sub("-", self.physical_resource_name())
        return re.sub("-{2,}", "-", name).strip("-")

    def handle_create(self):
        api = self._dc()
        instances = self.properties[_STOCK.INSTANCES] or []
        [listener] = self.properties[_STOCK.LISTENERS]
        balancer = api.load_balancers.create(
            self.balancer_name(), self._realm(api, instances),
            listener[_STOCK.LISTENER_PROTOCOL],
            listener[_STOCK.LISTENER_LOAD_BALANCER_PORT],
            listener[_STOCK.LISTENER_INSTANCE_PORT])
        self.resource_id_set(balancer.id)
        for instance_id in instances:
            api.load_balancers.register(balancer.id, instance_id)

    def _realm(self, api, instances):
        zones = self.properties[_STOCK.AVAILABILITY_ZONES]
        if len(zones) == 1:
            return zones[0]
        for instance_id in instances:
            try:
                realm = api.instances.get(instance_id).realm_id
            except dc.NotFound:
                raise exception.Error(
                    f"Instances: there is no instance '{instance_id}' in "
                    "this Deltacloud account") from None
            if realm in zones:
                return realm
        return zones[0]

    def update(self, after, *args, **kwargs):
        """Read the stored row first when loaded from a stack definition.

        An AutoScalingGroup updates ``Instances`` (``lbutils.
        reconfigure_loadbalancers``) on the balancer as its convergence
        check sees it: built from the definition, without the stored row,
        so with no resource id; Heat would store that back, and the stack
        would lose (and never delete) the balancer.
        """
        if (self.resource_id is None and self.id is not None and
                self.stack.in_convergence_check):
            self._load_data(resource_objects.Resource.get_obj(
                self.context, self.id))
        return (yield from super().update(after, *args, **kwargs))

    def handle_update(self, json_snippet, tmpl_diff, prop_diff):
        if _STOCK.INSTANCES not in prop_diff or self.resource_id is None:
            return
        old = self.properties[_STOCK.INSTANCES] or []
        new = prop_diff[_STOCK.INSTANCES] or []
        balancers = self._dc().load_balancers
        for instance_id in [i for i in old if i not in new]:
            try:
                balancers.unregister(self.resource_id, instance_id)
            except dc.NotFound:  # the instance is gone already
                pass
        for instance_id in [i for i in new if i not in old]:
            balancers.register(self.resource_id, instance_id)

    def handle_delete(self):
        if self.resource_id is None:
            return None
        try:
            self._dc().load_balancers.destroy(self.resource_id)
        except dc.NotFound:
            pass
        return self.resource_id

    def handle_check(self):
        """``stack check``: the balancer is still there."""
        if self.resource_id is None:
            raise exception.Error("no load balancer was created")
        self._dc().load_balancers.get(self.resource_id)

    # -- attributes ------------------------------------------------------

    def get_reference_id(self):
        return str(self.name)

    def _show_resource(self):
        balancer = self._dc().load_balancers.get(self.resource_id)
        return {"id": balancer.id, "realms": list(balancer.realm_ids),
                "listeners": [{"protocol": li.protocol,
                               "load_balancer_port": li.load_balancer_port,
                               "instance_port": li.instance_port}
                              for li in balancer.listeners],
                "instances": list(balancer.instance_ids),
                "public_addresses": list(balancer.public_addresses),
                "created_at": balancer.created_at}

    def _resolve_attribute(self, name):
        if self.resource_id is None:
            return None
        if name in (_STOCK.DNS_NAME, _STOCK.CANONICAL_HOSTED_ZONE_NAME):
            addresses = self._dc().load_balancers.get(
                self.resource_id).public_addresses
            return addresses[0] if addresses else None
        return None  # not given by Deltacloud


def resource_mapping():
    return {TYPE: DeltacloudLoadBalancer}
