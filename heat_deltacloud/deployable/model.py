"""The typed, immutable model of a deployable: the translator's input.

Every object keeps the line of its element, so later checks can point at
the source.
"""

import dataclasses
import types
import urllib.parse

SCALAR, PASSWORD = "scalar", "password"


def url_name(url):
    """The file name of a URL's contents on the instance: the last segment
    of its path, as Audrey's config server named them ("" if none)."""
    try:
        path = urllib.parse.urlsplit(url).path
    except ValueError:
        return ""
    return path.rstrip("/").rsplit("/", 1)[-1]


@dataclasses.dataclass(frozen=True)
class Reference:
    """``<reference>``: a return (``parameter``) or a service's status."""

    assembly: str
    parameter: str | None = None
    service: str | None = None
    line: int | None = None


@dataclasses.dataclass(frozen=True)
class Parameter:
    """``<parameter>``: a literal default, a launch-time value or a ref.

    ``value`` is ``None`` when the user must supply the value.
    """

    name: str
    type: str = SCALAR
    value: str | None = None
    reference: Reference | None = None
    line: int | None = None

    @property
    def is_password(self):
        return self.type == PASSWORD


@dataclasses.dataclass(frozen=True)
class Executable:
    """``<executable>``: a URL or inline ``contents``."""

    url: str | None = None
    contents: str | None = None
    line: int | None = None


@dataclasses.dataclass(frozen=True)
class File:
    """``<file>``: a URL or inline ``contents`` named ``filename``."""

    filename: str
    url: str | None = None
    contents: str | None = None
    line: int | None = None


def _index(items):
    """name -> first item of that name (lookups stay O(1) at any size)."""
    index = {}
    for item in items:
        index.setdefault(item.name, item)
    return types.MappingProxyType(index)


def _index_field():
    return dataclasses.field(init=False, repr=False, compare=False,
                             default=None)


@dataclasses.dataclass(frozen=True)
class Service:
    name: str
    executable: Executable
    description: str | None = None
    files: tuple[File, ...] = ()
    parameters: tuple[Parameter, ...] = ()
    line: int | None = None


@dataclasses.dataclass(frozen=True)
class Return:
    name: str
    line: int | None = None


@dataclasses.dataclass(frozen=True)
class Assembly:
    name: str
    hwp: str
    image_id: str
    image_build: str | None = None
    services: tuple[Service, ...] = ()
    returns: tuple[Return, ...] = ()
    line: int | None = None
    _services: types.MappingProxyType = _index_field()

    def __post_init__(self):
        object.__setattr__(self, "_services", _index(self.services))

    def service(self, name):
        return self._services.get(name)

    @property
    def return_names(self):
        return tuple(r.name for r in self.returns)


@dataclasses.dataclass(frozen=True)
class Deployable:
    name: str
    assemblies: tuple[Assembly, ...]
    description: str | None = None
    version: str | None = None
    id: str | None = None
    _assemblies: types.MappingProxyType = _index_field()

    def __post_init__(self):
        object.__setattr__(self, "_assemblies", _index(self.assemblies))

    def assembly(self, name):
        """The first assembly called ``name`` (or None)."""
        return self._assemblies.get(name)
