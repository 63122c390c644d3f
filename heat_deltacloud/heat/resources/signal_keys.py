"""Signal responders make their EC2 key when they are created.

Heat makes the stack user's EC2 key of a wait condition handle or scaling
policy lazily, the first time a signed-URL attribute (``curl_cli``,
``signal``, ``alarm_url``) is read, and those attributes may be read as
soon as the resource has an id: by the engine passing them on to the
resources that use them *and* by any ``stack show`` at the same moment.
Each reader then made a key of its own, and their interleaved resource-data
writes could pair one key's access id with the other key's secret: the URL
handed to the instance was refused ("the request signature does not
match") and the wait condition timed out.

Here the key is made in ``handle_create``, by the one worker creating the
resource, just before the id is set; readers (in any engine process) only
ever find it.
"""

from heat.engine.resources.aws.autoscaling import scaling_policy as aws_policy
from heat.engine.resources.openstack.heat import scaling_policy


class KeyBeforeId:
    """Mixin for :class:`~heat.engine.resources.signal_responder.
    SignalResponder` types whose signed URLs are attributes."""

    def _needs_ec2_key(self):
        return True

    def resource_id_set(self, resource_id):
        if (resource_id is not None and self.action == self.CREATE
                and self._needs_ec2_key()):
            self._create_keypair()
        super().resource_id_set(resource_id)


class ScalingPolicy(KeyBeforeId, scaling_policy.AutoScalingPolicy):
    """``OS::Heat::ScalingPolicy``: its ``alarm_url`` key made at create."""


class AWSScalingPolicy(KeyBeforeId, aws_policy.AWSScalingPolicy):
    """``AWS::AutoScaling::ScalingPolicy``: its ``AlarmUrl`` key made at
    create."""


def resource_mapping():
    return {
        "OS::Heat::ScalingPolicy": ScalingPolicy,
        "AWS::AutoScaling::ScalingPolicy": AWSScalingPolicy,
    }
