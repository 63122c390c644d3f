"""What Heat asks of Keystone during a stack's life, answered locally.

With credentials passed through (``deferred_auth_method = password``) and
no stack domain, Heat only needs a stack "domain project" (the caller's
own project, as Heat's own fallback does) and trust deletion.  Stack users,
EC2 keypairs and tokens need a real Keystone: they raise a clear error.
"""

from heat.common import exception


class KeystoneUnavailable(exception.Error):
    pass


class DeltacloudKeystone:
    """The subset of Heat's ``KeystoneClient`` used without Keystone."""

    def __init__(self, context):
        self.context = context

    def create_stack_domain_project(self, stack_id):
        return self.context.project_id

    def delete_stack_domain_project(self, project_id):
        """Nothing was created, so nothing is deleted."""

    def delete_trust(self, trust_id):
        """No trusts exist with ``deferred_auth_method = password``."""

    def __getattr__(self, name):
        # Every other call (stack users, EC2 keys, trusts, tokens, the
        # session) needs Keystone, which this backend does not have.
        def unavailable(*args, **kwargs):
            raise KeystoneUnavailable(
                f"Keystone's '{name}' is not available with the Deltacloud "
                "backend: resources needing stack users, signals or trusts "
                "(WaitConditionHandle, SoftwareDeployment, ...) are not "
                "supported")
        if name.startswith("__"):
            raise AttributeError(name)
        return unavailable
