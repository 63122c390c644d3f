"""novaclient's resource/manager split, without its hidden requests.

A :class:`Resource` is a bag of attributes backed by the ``_info`` dict it
was built from; it never fetches anything on attribute access (a missing
attribute is an ``AttributeError``).  Managers own all the work.
"""

import copy

#: Attributes that must never appear in a repr.
SECRET_ATTRIBUTES = frozenset({"private_key", "adminPass", "password"})


def getid(obj):
    """The id of a resource, or ``obj`` itself when it already is an id."""
    return getattr(obj, "id", obj)


class Resource:
    """An OpenStack-client-shaped object built from a dict."""

    def __init__(self, manager, info):
        self.manager = manager
        self._info = {}
        self._add_details(info)

    def _add_details(self, info):
        self._info.update(info)
        for key, value in info.items():
            # Keys such as 'OS-EXT-AZ:availability_zone' are reachable
            # with getattr(), as in novaclient.
            setattr(self, key, value)

    def __repr__(self):
        shown = ", ".join(f"{key}={value!r}"
                          for key, value in sorted(self._info.items())
                          if key not in SECRET_ATTRIBUTES)
        return f"<{type(self).__name__} {shown}>"

    def __eq__(self, other):
        if not isinstance(other, Resource) or type(self) is not type(other):
            return NotImplemented
        if "id" in self._info and "id" in other._info:
            return self.id == other.id
        return self._info == other._info

    def __hash__(self):
        return hash((type(self).__name__, self._info.get("id")))

    def to_dict(self):
        return copy.deepcopy(self._info)

    def get(self):
        """Reload from the cloud (novaclient's ``Resource.get``)."""
        fresh = self.manager.get(self.id)
        self._info = {}
        self._add_details(fresh._info)
        return self


class Manager:
    """Builds resources of one kind; subclasses hold the operations."""

    resource_class = Resource

    def __init__(self, client):
        self.client = client

    @property
    def dc(self):
        """The underlying Deltacloud client."""
        return self.client.deltacloud

    def _wrap(self, info):
        return self.resource_class(self, info)
