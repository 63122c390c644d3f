"""libxml2's parser and RelaxNG messages made readable: what is wrong,
where, and what to write instead.

Each table maps a pattern of libxml2's message to a template formatted
with the pattern's groups (and, for the grammar, with what the element
lacks).  Messages libxml2 words well already keep their wording, followed
by the fix; a message no pattern knows is shown as libxml2 wrote it.
"""

import re

#: The element (with its required attributes) to add for a missing one.
EXAMPLES = {
    "assemblies": '<assemblies> with at least one <assembly>',
    "assembly": '<assembly name="NAME" hwp="HWP"><image id="IMAGE_ID"/>'
                '</assembly>',
    "image": '<image id="IMAGE_ID"/>',
    "service": '<service name="NAME"><executable url="URL"/></service>',
    "executable": '<executable url="URL"/> or <executable><contents>'
                  '...</contents></executable>',
    "file": '<file url="URL"/>',
    "parameter": '<parameter name="NAME"/>',
    "return": '<return name="NAME"/>',
}
#: The children an element cannot do without, in the grammar's order.
REQUIRED_CHILDREN = {
    "deployable": ("assemblies",),
    "assemblies": ("assembly",),
    "assembly": ("image",),
    "services": ("service",),
    "service": ("executable",),
    "files": ("file",),
    "parameters": ("parameter",),
    "returns": ("return",),
}
#: Elements that take one of two things, and what.
CHOICES = {
    "executable": 'a url="URL" attribute or a <contents> child',
    "file": 'a url="URL" attribute or a <contents filename="NAME"> child',
    "reference": 'a parameter="NAME" or a service="NAME" attribute',
}
#: Attributes of which an element must have one.
ATTRIBUTE_CHOICES = {"reference": ("parameter", "service")}
#: Attributes an element must have.
REQUIRED_ATTRIBUTES = {
    "contents": ("filename",),  # a file's; an executable's takes none
    "deployable": ("name",),
    "assembly": ("name", "hwp"),
    "image": ("id",),
    "service": ("name",),
    "parameter": ("name",),
    "return": ("name",),
    "reference": ("assembly",),
}
#: Attributes an element may have (and their values, if restricted).
ATTRIBUTES = {
    "deployable": {"name": None, "id": None, "version": "1.0"},
    "assembly": {"name": None, "hwp": None},
    "image": {"id": None, "build": None},
    "service": {"name": None},
    "executable": {"url": None},
    "file": {"url": None},
    "contents": {"filename": None},
    "parameter": {"name": None, "type": "scalar or password"},
    "value": {"type": "scalar or password"},
    "reference": {"assembly": None, "parameter": None, "service": None},
    "return": {"name": None},
}

#: RelaxNG message pattern -> readable message.  ``{missing}`` is what
#: the element lacks, ``{fix}`` how to write it.
GRAMMAR = (
    (re.compile(r"Expecting an element , got nothing"),
     "<{element}> has no <{missing}>: add {fix}"),
    (re.compile(r"Element (\S+) failed to validate attributes"),
     "<{0}> lacks the {missing} attribute: add {fix}"),
    (re.compile(r"Invalid attribute (\S+) for element (\S+)"),
     "{fix}"),
    (re.compile(r"Did not expect element (\S+) there"),
     "Did not expect element {0} there: remove <{0}> or move it where "
     "the Deployable format allows it"),
    (re.compile(r"Expecting element (\S+), got (\S+)"),
     "Expecting element {0}, got {1}: write <{0}> here instead of <{1}>"),
    (re.compile(r"Did not expect text in element (\S+) content"),
     "Did not expect text in element {0} content: remove the text (only "
     "<description>, <contents> and <value> hold text)"),
    (re.compile(r"Element (\S+) has extra content: (\S+)"),
     "<{0}> does not take <{1}>: remove it"),
    (re.compile(r"Element (\S+) failed to validate content"),
     "<{0}> takes {choice}, exactly one"),
    # Said with the message above, on the same line.
    (re.compile(r"Expecting an element (\S+), got nothing"), None),
)

#: XML syntax message pattern -> readable message, and the group holding
#: the line the problem really is on, if the message names one.
SYNTAX = (
    (re.compile(r"Opening and ending tag mismatch: (\S+) line (\d+) and "
                r"(\S+)"),
     "</{2}> closes <{0}> of line {1}: close <{0}> first (</{0}>, or "
     "<{0} .../>), or fix the tag name", None),
    (re.compile(r"Premature end of data in tag (\S+) line (\d+)"),
     "Premature end of data: <{0}> of line {1} is never closed; add "
     "</{0}>", 1),
    (re.compile(r"Couldn't find end of Start Tag (\S+) line (\d+)"),
     "the <{0}> tag is not finished: end it with > and check that every "
     "attribute value is quoted", 1),
    (re.compile(r"Document is empty"),
     "Document is empty: a Deployable is <deployable name=\"NAME\">"
     "<assemblies>...</assemblies></deployable>", None),
    (re.compile(r"Start tag expected, '<' not found"),
     "not XML: a Deployable starts with <deployable name=\"NAME\">", None),
    (re.compile(r"xmlParseEntityRef: no name|EntityRef: expecting ';'"),
     "a bare & in text or an attribute: write &amp;", None),
    (re.compile(r"Unescaped '<' not allowed in attributes values"),
     "an attribute value is not closed, or holds <: close its quote "
     "(and write &lt; for <)", None),
    (re.compile(r"AttValue: \" or ' expected"),
     "an attribute value is not quoted: write name=\"value\"", None),
    (re.compile(r"Specification mandates value for attribute (\S+)"),
     "attribute {0} has no value: write {0}=\"...\"", None),
    (re.compile(r"Attribute (\S+) redefined"),
     "attribute {0} is given twice: keep one", None),
    (re.compile(r"Extra content at the end of the document"),
     "content after the closing tag of the root element: a Deployable is "
     "one <deployable> element", None),
    (re.compile(r"Comment not terminated"),
     "a comment is not closed: end it with -->", None),
)


def syntax(message, line):
    """``(line, readable message, named)`` for a parser error at ``line``;
    ``named`` if the message names the line the problem starts on (where
    a tag was opened), which is then the line returned."""
    message = message.strip()
    for pattern, template, line_group in SYNTAX:
        found = pattern.search(message)
        if found:
            groups = found.groups()
            if line_group is not None:
                return int(groups[line_group]), template.format(*groups), \
                    True
            return line, template.format(*groups), False
    return line, f"{message}: fix the XML there", False


def grammar(message, element):
    """A readable message for a RelaxNG error about ``element`` (the
    lxml element the error is at, or ``None``); ``None`` for a message
    that only follows from another one on the same line."""
    message = message.strip()
    tag = element.tag if element is not None and \
        isinstance(element.tag, str) else None
    for pattern, template in GRAMMAR:
        found = pattern.search(message)
        if not found:
            continue
        if template is None:
            return None
        groups = found.groups()
        facts = _facts(pattern, groups, element, tag)
        if facts is None:
            return message
        return template.format(*groups, element=tag, **facts)
    return message


def _facts(pattern, groups, element, tag):
    """``missing`` and ``fix`` for a template, ``None`` if unknown."""
    if "got nothing" in pattern.pattern:
        present = set() if element is None else {
            c.tag for c in element if isinstance(c.tag, str)}
        missing = next((c for c in REQUIRED_CHILDREN.get(tag, ())
                        if c not in present), None)
        return None if missing is None else {
            "missing": missing, "fix": EXAMPLES[missing]}
    if "validate content" in pattern.pattern:
        choice = CHOICES.get(groups[0])
        return None if choice is None else {"choice": choice}
    if "validate attributes" in pattern.pattern:
        missing = [a for a in REQUIRED_ATTRIBUTES.get(groups[0], ())
                   if element is None or element.get(a) is None]
        if not missing and groups[0] in ATTRIBUTE_CHOICES:
            either = ATTRIBUTE_CHOICES[groups[0]]
            return {"missing": " or ".join(either),
                    "fix": " or ".join(f'{a}="..."' for a in either)}
        if not missing:
            return None
        return {"missing": " and ".join(missing),
                "fix": " ".join(f'{a}="..."' for a in missing)}
    if "Invalid attribute" in pattern.pattern:
        attribute, owner = groups
        allowed = ATTRIBUTES.get(owner, {})
        value = None if element is None else element.get(attribute)
        if attribute in allowed and owner in CHOICES:
            return {"fix": f"<{owner}> takes {CHOICES[owner]}, exactly "
                           "one"}
        if allowed.get(attribute) and value is not None:
            return {"fix": f'<{owner}> {attribute}="{value}": use '
                           f'{allowed[attribute]}'}
        takes = ", ".join(allowed) or "no attributes"
        return {"fix": f"<{owner}> does not take a {attribute} attribute: "
                       f"remove it (it takes {takes})"}
    return {}
