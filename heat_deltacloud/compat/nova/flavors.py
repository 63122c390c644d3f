"""Flavors over hardware profiles.

Each hardware profile is one flavor whose id and name are the profile id;
ram, vcpus and disk come from fixed values, or from the defaults of range
and enum properties.  A size inside a range or enum is asked for with
Deltacloud's matrix syntax in the flavor id or name::

    m1-large;memory=12288;cpu=2

which becomes ``hwp_id=m1-large&hwp_memory=12288&hwp_cpu=2`` on create.
The values are checked against the profile when the flavor is looked up.
"""

from heat_deltacloud.compat import base
from heat_deltacloud.compat.nova import exceptions

#: Nova flavor field -> the hardware-profile property it is read from.
FLAVOR_FIELDS = {"vcpus": "cpu", "ram": "memory", "disk": "storage"}


def parse_flavor_id(flavor_id):
    """``"m1-large;memory=12288"`` -> ``("m1-large", {"memory": "12288"})``.

    ``None`` (no flavor given) stays ``(None, {})``.
    """
    if flavor_id is None:
        return None, {}
    hwp_id, *pairs = str(flavor_id).split(";")
    overrides = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key or not value:
            raise exceptions.bad_request(
                f"flavor '{flavor_id}': '{pair}' is not property=value")
        overrides[key.strip()] = value.strip()
    return hwp_id, overrides


def flavor_id(hwp_id, overrides=None):
    """The inverse of :func:`parse_flavor_id`, with overrides sorted."""
    if hwp_id is None:
        return None
    return ";".join([hwp_id, *(f"{k}={v}"
                               for k, v in sorted((overrides or {}).items()))])


def _number(value):
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return 0


class Flavor(base.Resource):
    def get_keys(self):
        """Extra specs: the profile's architecture, if it has one."""
        return dict(self._info.get("extra_specs", {}))


def flavor_info(profile, overrides=None):
    """The dict Nova would return for a hardware profile (+ overrides)."""
    overrides = overrides or {}
    info = {"id": flavor_id(profile.id, overrides),
            "name": flavor_id(profile.name, overrides),
            "OS-FLV-EXT-DATA:ephemeral": 0, "OS-FLV-DISABLED:disabled": False,
            "os-flavor-access:is_public": True, "is_public": True,
            "swap": "", "rxtx_factor": 1.0, "links": [], "extra_specs": {}}
    for field, prop_name in FLAVOR_FIELDS.items():
        prop = profile.property(prop_name)
        value = overrides.get(prop_name, prop.value if prop else None)
        info[field] = _number(value)
    arch = profile.property("architecture")
    if arch is not None:
        info["extra_specs"] = {"deltacloud:architecture":
                               overrides.get("architecture", arch.value)}
    return info


class FlavorManager(base.Manager):
    resource_class = Flavor

    def list(self, detailed=True, is_public=True, marker=None, limit=None,
             min_disk=None, min_ram=None, sort_key=None, sort_dir=None):
        with exceptions.translating():
            profiles = self.dc.hardware_profiles.list()
        flavors = [self._wrap(flavor_info(p)) for p in profiles]
        if min_ram:
            flavors = [f for f in flavors if f.ram >= int(min_ram)]
        if min_disk:
            flavors = [f for f in flavors if f.disk >= int(min_disk)]
        return flavors

    def get(self, flavor):
        """A flavor by id, overrides included; NotFound if no profile."""
        hwp_id, overrides = parse_flavor_id(base.getid(flavor))
        with exceptions.translating():
            profile = self.dc.hardware_profiles.cached(hwp_id)
        for name, value in overrides.items():
            prop = profile.property(name)
            if prop is None or (prop.kind == "fixed" and
                                not prop.accepts(value)):
                raise exceptions.bad_request(
                    f"flavor '{flavor}': hardware profile '{hwp_id}' cannot "
                    f"change '{name}'")
            if not prop.accepts(value):
                raise exceptions.bad_request(
                    f"flavor '{flavor}': {name}={value} is outside what "
                    f"hardware profile '{hwp_id}' allows")
        return self._wrap(flavor_info(profile, overrides))

    def find(self, **kwargs):
        """The one flavor whose attributes match (novaclient semantics)."""
        found = self.findall(**kwargs)
        if not found:
            raise exceptions.not_found(f"No Flavor matching {kwargs}.")
        if len(found) > 1:
            raise exceptions.NoUniqueMatch
        return found[0]

    def findall(self, **kwargs):
        if set(kwargs) == {"name"} and ";" in str(kwargs["name"]):
            # Override syntax by name: profiles' names are their ids.
            try:
                return [self.get(kwargs["name"])]
            except exceptions.NotFound:
                return []
        return [f for f in self.list()
                if all(getattr(f, k, None) == v for k, v in kwargs.items())]
