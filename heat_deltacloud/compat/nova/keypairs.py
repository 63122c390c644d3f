"""``novaclient.v2.keypairs`` over Deltacloud keys."""

from heat_deltacloud.compat import base
from heat_deltacloud.compat.nova import exceptions


class Keypair(base.Resource):
    def delete(self):
        self.manager.delete(self)


def keypair_info(key, with_private_key=False):
    """Nova's view of a key; the private key only when just created, as
    Nova returns it (some drivers echo it on every read)."""
    info = {"id": key.id, "name": key.name, "type": "ssh",
            "fingerprint": key.fingerprint,
            # Deltacloud keys carry no public key.
            "public_key": ""}
    if with_private_key and key.pem:
        info["private_key"] = key.pem
    return info


class KeypairManager(base.Manager):
    resource_class = Keypair

    def get(self, keypair, user_id=None):
        with exceptions.translating():
            return self._wrap(keypair_info(self.dc.keys.get(
                base.getid(keypair))))

    def list(self, user_id=None, marker=None, limit=None):
        with exceptions.translating():
            return [self._wrap(keypair_info(k)) for k in self.dc.keys.list()]

    def create(self, name, public_key=None, key_type="ssh", user_id=None):
        """Create a key; importing ``public_key`` needs ``import_key``."""
        if key_type != "ssh":
            raise exceptions.bad_request(
                f"Deltacloud keys are ssh keys, not '{key_type}'")
        if user_id:
            raise exceptions.bad_request(
                "Deltacloud keys belong to the caller; 'user_id' cannot be "
                "honoured")
        with exceptions.translating():
            key = self.dc.keys.create(name, public_key=public_key or None)
        info = keypair_info(key, with_private_key=True)
        if public_key:
            info["public_key"] = public_key
        return self._wrap(info)

    def delete(self, key):
        with exceptions.translating():
            self.dc.keys.destroy(base.getid(key))
