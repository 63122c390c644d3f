"""The server's drivers: ``mock`` (the in-memory cloud of
:mod:`heat_deltacloud.mock`) and ``libcloud:<provider>``.

A provider with a module here (:mod:`.ec2`) gets its extras and fixes;
any other libcloud compute provider is served with the generic mapping
(:mod:`.libcloud`), its collections advertised only where its libcloud
driver implements them.
"""

import importlib

#: provider -> the module whose ``PROVIDER`` describes it.
PROVIDER_MODULES = {"ec2": "heat_deltacloud.server.drivers.ec2"}


class DriverSpecError(ValueError):
    """A ``--driver`` value that names nothing this server can serve."""


def parse(spec):
    """``("mock", None)`` or ``("libcloud", provider)`` from ``--driver``."""
    kind, _, provider = (spec or "").partition(":")
    if kind == "mock" and not provider:
        return "mock", None
    if kind == "libcloud" and provider:
        return "libcloud", provider.lower()
    raise DriverSpecError(f"--driver must be 'mock' or "
                          f"'libcloud:<provider>' (e.g. libcloud:ec2), "
                          f"not {spec!r}")


def provider(name):
    """The :class:`~.libcloud.Provider` for a libcloud provider name."""
    try:
        from heat_deltacloud.server.drivers import libcloud
    except ImportError as error:
        raise DriverSpecError(
            f"the libcloud driver needs Apache libcloud ({error.name} is "
            f"missing): pip install 'heat-deltacloud[server]'") from None
    if name in PROVIDER_MODULES:
        return importlib.import_module(PROVIDER_MODULES[name]).PROVIDER
    from libcloud.compute.providers import get_driver
    try:
        driver_class = get_driver(name)
    except AttributeError:
        raise DriverSpecError(f"libcloud has no compute provider "
                              f"{name!r}") from None
    return libcloud.Provider(name=name, driver_class=driver_class)
