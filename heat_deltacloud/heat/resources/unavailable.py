"""Stock resource types refused at validation, with the reason.

Without these, Heat accepts the types and they fail later, naming
something else: ``OS::Heat::SwiftSignalHandle`` and ``SwiftSignal`` pass
the swift check (buckets serve ``AWS::S3::Bucket``) and fail at create,
as buckets have no temporary URLs.  Heat reports these refusals as
``ResourceTypeUnavailable`` naming the type and the reason.
(``AWS::ElasticLoadBalancing::LoadBalancer`` is refused where the driver
has no load balancers by :mod:`.load_balancer`.)
"""

from heat.engine.resources.openstack.heat import swiftsignal

from heat_deltacloud.heat.plugins import NO_TEMP_URLS

#: type -> (Heat's class, why it is refused).
REFUSED = {
    "OS::Heat::SwiftSignalHandle": (swiftsignal.SwiftSignalHandle,
                                    NO_TEMP_URLS),
    "OS::Heat::SwiftSignal": (swiftsignal.SwiftSignal, NO_TEMP_URLS),
}


def _refused(stock, reason):
    @classmethod
    def is_service_available(cls, context):
        return False, reason

    return type(stock.__name__, (stock,), {
        "__module__": __name__, "is_service_available": is_service_available,
        "__doc__": f"``{stock.__name__}``, refused: {reason}."})


def resource_mapping():
    return {name: _refused(stock, reason)
            for name, (stock, reason) in REFUSED.items()}
