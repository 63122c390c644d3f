"""Hardened parsing of Deployable XML, checked against Conductor's grammar.

The document is parsed without entities, DTDs or network access, refused
if it declares a DOCTYPE or exceeds :data:`MAX_BYTES`, validated against
the RelaxNG grammar shipped in ``data/deployable.rng`` and turned into the
frozen :mod:`~heat_deltacloud.deployable.model`.
"""

import functools
import importlib.resources
import pathlib
import re

from lxml import etree

from heat_deltacloud.deployable import diagnostics, model
from heat_deltacloud.deployable.errors import DeployableError, Problem

MAX_BYTES = 1024 * 1024
#: A DOCTYPE can only follow the XML declaration, comments and processing
#: instructions: found there, the document is refused before parsing.
#: Atomic alternatives repeated possessively: the matcher never backtracks
#: into them (``(?:\s+|...)*`` took 10 s on a sample's blank lines, and
#: grows exponentially with them).
_DOCTYPE = re.compile(
    rb"\A(?:\xef\xbb\xbf)?(?>\s+|<\?.*?\?>|<!--.*?-->)*+<!DOCTYPE", re.S)
#: libxml2's RelaxNG messages name the element ("... for element image",
#: "Element assembly failed ...").
_NAMED_ELEMENT = re.compile(r"\b[Ee]lement ([A-Za-z_][\w.-]*)")


@functools.cache
def _grammar():
    rng = importlib.resources.files(__package__) / "data" / "deployable.rng"
    return etree.RelaxNG(etree.fromstring(rng.read_bytes(),
                                          parser=_parser()))


def _parser():
    return etree.XMLParser(resolve_entities=False, no_network=True,
                           load_dtd=False, dtd_validation=False,
                           huge_tree=False)


def read(path_or_bytes):
    """The bytes of a document and the name to show in errors."""
    if isinstance(path_or_bytes, bytes):
        return path_or_bytes, "<deployable>"
    path = pathlib.Path(path_or_bytes)
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_BYTES + 1)
    except OSError as exc:
        raise DeployableError([Problem(None, "file", exc.strerror)],
                              str(path)) from None
    return data, str(path)


def parse(data):
    """The validated element tree of ``data``, or :class:`DeployableError`.
    """
    if len(data) > MAX_BYTES:
        raise DeployableError([Problem(
            None, "deployable", f"document larger than {MAX_BYTES} bytes")])
    doctype = _DOCTYPE.match(data)
    if doctype:
        raise DeployableError([Problem(
            data[:doctype.end()].count(b"\n") + 1, "DOCTYPE",
            "document type declarations are refused")])
    parser = _parser()
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError:
        raise DeployableError([_syntax_problem(parser.error_log)]) \
            from None
    if root.getroottree().docinfo.doctype:
        raise DeployableError([Problem(
            None, "DOCTYPE", "document type declarations are refused")])
    grammar = _grammar()
    if not grammar.validate(root):
        raise DeployableError(_grammar_problems(grammar.error_log, root))
    return root


def _syntax_problem(error_log):
    """One syntax error: the first that names where the problem starts
    (the tag left open), else the first, where libxml2 found it.  The
    others follow from it (a tag left open mismatches every closing tag
    after it)."""
    problems = []
    for entry in error_log:
        line, message, named = diagnostics.syntax(entry.message,
                                                  entry.line or None)
        if named:
            return Problem(line, "xml", message)
        problems.append(Problem(line, "xml", message, entry.column or None))
    return problems[0] if problems else Problem(
        None, "xml", "not well-formed XML: fix the syntax")


def _grammar_problems(error_log, root):
    problems, followers = [], []
    for entry in error_log:
        tag = _element_of(entry)
        element = _element_at(root, tag, entry.line)
        message = diagnostics.grammar(entry.message, element)
        if message is None:
            followers.append(Problem(entry.line or None, tag,
                                     entry.message))
        else:
            problems.append(Problem(entry.line or None, tag, message))
    said = {p.line for p in problems}
    problems += [p for p in followers if p.line not in said]
    return problems or [Problem(None, "deployable", "invalid document")]


def _element_at(root, tag, line):
    """The ``tag`` element on ``line`` a grammar error is about, or
    ``None`` (the error's path can point at a child)."""
    return next((e for e in root.iter(tag) if e.sourceline == line), None)


def _element_of(entry):
    """The element a grammar error is about: the one its message names,
    else the last step of its path (``assembly[2]`` -> ``assembly``)."""
    named = _NAMED_ELEMENT.search(entry.message)
    if named:
        return named.group(1)
    step = (getattr(entry, "path", None) or "").rsplit("/", 1)[-1]
    return step.split("[", 1)[0] or "deployable"


def build(root):
    """The :class:`~model.Deployable` of a grammar-valid tree."""
    description = root.find("description")
    return model.Deployable(
        name=root.get("name"),
        version=root.get("version"),
        id=root.get("id"),
        description=_text(description, strip=True),
        assemblies=tuple(_assembly(a)
                         for a in root.find("assemblies").findall(
                             "assembly")),
    )


def _elements(parent, tag):
    """Child elements named ``tag`` (comments skipped)."""
    return [] if parent is None else parent.findall(tag)


def _text(element, *, strip=False):
    if element is None:
        return None
    text = element.text or ""
    return text.strip() if strip else text


def _assembly(element):
    image = element.find("image")
    return model.Assembly(
        name=element.get("name"),
        hwp=element.get("hwp"),
        image_id=image.get("id"),
        image_build=image.get("build"),
        services=tuple(_service(s) for s in
                       _elements(element.find("services"), "service")),
        returns=tuple(model.Return(r.get("name"), r.sourceline) for r in
                      _elements(element.find("returns"), "return")),
        line=element.sourceline,
    )


def _service(element):
    executable = element.find("executable")
    return model.Service(
        name=element.get("name"),
        description=_text(element.find("description"), strip=True),
        executable=model.Executable(
            url=executable.get("url"),
            contents=_text(executable.find("contents")),
            line=executable.sourceline),
        files=tuple(_file(f) for f in
                    _elements(element.find("files"), "file")),
        parameters=tuple(_parameter(p) for p in
                         _elements(element.find("parameters"),
                                   "parameter")),
        line=element.sourceline,
    )


def _file(element):
    url = element.get("url")
    contents = element.find("contents")
    if url is not None:
        filename = model.url_name(url)
    else:
        filename = contents.get("filename")
    return model.File(filename=filename, url=url,
                      contents=_text(contents), line=element.sourceline)


def _parameter(element):
    value = element.find("value")
    ref = element.find("reference")
    param_type = element.get("type")
    if value is not None:
        param_type = value.get("type") or param_type
    return model.Parameter(
        name=element.get("name"),
        type=param_type or model.SCALAR,
        value=_text(value),
        reference=None if ref is None else model.Reference(
            assembly=ref.get("assembly"), parameter=ref.get("parameter"),
            service=ref.get("service"), line=ref.sourceline),
        line=element.sourceline,
    )
