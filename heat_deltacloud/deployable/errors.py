"""Errors of the deployable translator: every problem of a document."""

import dataclasses

from heat_deltacloud.errors import HeatDeltacloudError


@dataclasses.dataclass(frozen=True, order=True)
class Problem:
    """One problem: the line (``None`` if unknown), the element, what, and
    the column if known (XML syntax errors)."""

    line: int | None
    element: str
    message: str
    column: int | None = None

    def format(self, filename="<deployable>"):
        line = "" if self.line is None else self.line
        where = line if self.column is None else f"{line}:{self.column}"
        return f"{filename}:{where}: {self.element}: {self.message}"


class DeployableError(HeatDeltacloudError):
    """A deployable that cannot be parsed, validated or translated.

    ``problems`` lists every problem found in the document, in document
    order without repeats; ``str()`` shows them one per line.
    """

    def __init__(self, problems, filename="<deployable>"):
        self.problems = tuple(sorted(set(problems), key=_sort_key))
        self.filename = filename
        super().__init__("\n".join(p.format(filename)
                                   for p in self.problems))

    def with_filename(self, filename):
        return DeployableError(self.problems, filename)


def _sort_key(problem):
    return (problem.line or 0, problem.element, problem.message)


class MappingError(HeatDeltacloudError):
    """A mapping file or mapping option that cannot be used."""
