"""Aeolus Deployable XML -> CFN templates for Heat (issue #7).

``load`` parses and checks a document as Conductor did, ``translate``
turns the model into a template dict, ``to_json`` serialises it
deterministically.  See ``docs/source/user/deployables.rst``.
"""

from heat_deltacloud.deployable import parser, validate
from heat_deltacloud.deployable.errors import (DeployableError,
                                               MappingError, Problem)
from heat_deltacloud.deployable.mapping import Mapping
from heat_deltacloud.deployable.model import (Assembly, Deployable,
                                              Executable, File, Parameter,
                                              Reference, Return, Service)
from heat_deltacloud.deployable.translate import to_json, translate

__all__ = [
    "Assembly", "Deployable", "DeployableError", "Executable", "File",
    "Mapping", "MappingError", "Parameter", "Problem", "Reference",
    "Return", "Service", "load", "to_json", "translate",
]


def load(path_or_bytes):
    """A checked :class:`Deployable` from a path or the document's bytes.

    Raises :class:`DeployableError` with every problem of the document
    (XML syntax, grammar, then Conductor's rules), the file name set.
    """
    data, filename = parser.read(path_or_bytes)
    try:
        return validate.check(parser.build(parser.parse(data)))
    except DeployableError as exc:
        raise exc.with_filename(filename) from None
