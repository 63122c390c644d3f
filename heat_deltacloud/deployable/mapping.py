"""Tables from Conductor's names to the target cloud's names.

A mapping file is JSON::

    {"hardware_profiles": {"large": "m1-large"},
     "images": {"APACHE_IMAGE_ID": "img1"}}

Image keys are ``image@build`` or ``image@id`` values (a build wins).
"""

import dataclasses
import json
import types

from heat_deltacloud.deployable.errors import MappingError

SECTIONS = ("hardware_profiles", "images")
#: What a mapping file looks like, for error messages.
SHAPE = ('{"hardware_profiles": {"HWP": "FLAVOR"}, '
         '"images": {"IMAGE_ID": "IMAGE"}}')


def _frozen(table):
    return types.MappingProxyType(dict(sorted(table.items())))


@dataclasses.dataclass(frozen=True)
class Mapping:
    """hwp name -> flavor, image id or build -> image (name or id)."""

    hardware_profiles: types.MappingProxyType = dataclasses.field(
        default_factory=lambda: _frozen({}))
    images: types.MappingProxyType = dataclasses.field(
        default_factory=lambda: _frozen({}))

    def __post_init__(self):
        for section in SECTIONS:
            table = dict(getattr(self, section))
            for key, value in table.items():
                if not isinstance(key, str) or not isinstance(value, str) \
                        or not value:
                    raise MappingError(
                        f"{section}: {key!r} must map to a non-empty "
                        f"string, not {value!r}")
            object.__setattr__(self, section, _frozen(table))

    @classmethod
    def from_dict(cls, data):
        if not isinstance(data, dict) or set(data) - set(SECTIONS):
            raise MappingError(
                f"a mapping is a JSON object with the keys "
                f"{', '.join(SECTIONS)} only: {SHAPE}")
        tables = {}
        for section in SECTIONS:
            tables[section] = data.get(section, {})
            if not isinstance(tables[section], dict):
                raise MappingError(f"{section} must be a JSON object: "
                                   f"{SHAPE}")
        return cls(**tables)

    @classmethod
    def from_file(cls, path):
        try:
            with open(path, encoding="utf-8") as stream:
                data = json.load(stream)
        except OSError as exc:
            raise MappingError(f"{path}: cannot read the mapping "
                               f"({exc.strerror or exc})") from None
        except json.JSONDecodeError as exc:
            raise MappingError(f"{path}:{exc.lineno}:{exc.colno}: not valid "
                               f"JSON ({exc.msg}); a mapping is {SHAPE}"
                               ) from None
        except ValueError:  # UnicodeDecodeError
            raise MappingError(f"{path}: not UTF-8 text; a mapping is "
                               f"JSON: {SHAPE}") from None
        try:
            return cls.from_dict(data)
        except MappingError as exc:
            raise MappingError(f"{path}: {exc}") from None

    def updated(self, *, hardware_profiles=(), images=()):
        """A copy with the given (key, value) pairs added or replaced."""
        return Mapping({**self.hardware_profiles, **dict(hardware_profiles)},
                       {**self.images, **dict(images)})

    def flavor(self, hwp):
        return self.hardware_profiles.get(hwp)

    def image(self, assembly):
        """The image key of an assembly and its mapped image (or None)."""
        if assembly.image_build in self.images:
            return assembly.image_build, self.images[assembly.image_build]
        return assembly.image_id, self.images.get(assembly.image_id)
