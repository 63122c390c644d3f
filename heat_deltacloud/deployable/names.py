"""CFN logical names (alphanumeric) for deployable names, without clashes.
"""

import re

from heat_deltacloud.deployable.errors import Problem

_WORD = re.compile(r"[A-Za-z0-9]+")


def camel(*names):
    """``apache-server``, ``http`` -> ``ApacheServerHttp``."""
    words = [w for name in names for w in _WORD.findall(name)]
    joined = "".join(w[0].upper() + w[1:] for w in words)
    return joined if joined[:1].isalpha() else "X" + joined


class Namer:
    """Hands out logical names; two sources on one name is a problem."""

    def __init__(self):
        self._owners = {}
        self._clashes = set()
        self.problems = []

    def claim(self, name, owner, line, element):
        """Reserve ``name`` for ``owner`` (a hashable identity)."""
        first = self._owners.setdefault(name, (owner, element))
        clash = (element, first[1])
        if first[0] != owner and clash not in self._clashes:
            self._clashes.add(clash)
            self.problems.append(Problem(
                line, element,
                f"translates to the CFN name {name}, already used by "
                f"{first[1]}"))
        return name
