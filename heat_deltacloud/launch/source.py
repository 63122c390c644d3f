"""What ``launch`` submits: a Deployable translated, or a template as is."""

import json
import pathlib
import re

from heat_deltacloud.errors import HeatDeltacloudError


def parse_parameters(items):
    """``["KEY=VALUE", ...]`` -> dict; a bad item is a command-line
    mistake naming it."""
    from heat_deltacloud.cli import UsageError

    params = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--param {item!r}: expected KEY=VALUE")
        params[key] = value
    return params


def stack_name(text):
    """A Heat stack name from ``text``: a letter, then [A-Za-z0-9_.-]."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", text or "").strip("-")
    return name if name[:1].isalpha() else f"stack-{name}".rstrip("-")


def is_deployable(path):
    head = path.read_bytes()[:512].lstrip()
    return path.suffix.lower() == ".xml" or head.startswith(b"<")


def load(path, mapping=None, *, wait_conditions=True):
    """``(default stack name, template dict)`` for the file at ``path``.

    A Deployable (XML) is translated with ``mapping`` (a mapping file's
    path), with a wait condition per assembly unless ``wait_conditions``
    is false (for instances that cannot reach heat-api-cfn).  Anything
    else is read as a CFN or HOT template in JSON or YAML.
    """
    path = pathlib.Path(path)
    if not path.is_file():
        from heat_deltacloud.cli import UsageError

        what = "a directory, not a file" if path.is_dir() else "no such file"
        raise UsageError(f"{path}: {what}")
    if is_deployable(path):
        from heat_deltacloud import deployable

        if mapping and not pathlib.Path(mapping).is_file():
            from heat_deltacloud.cli import UsageError

            raise UsageError(f"--mapping {mapping}: no such file")

        maps = deployable.Mapping.from_file(mapping) if mapping \
            else deployable.Mapping()
        document = deployable.load(path)
        try:
            template = deployable.translate(document, maps,
                                            wait_conditions=wait_conditions)
        except deployable.DeployableError as exc:
            # The translator has the model, not the file it came from.
            raise exc.with_filename(str(path)) from None
        return stack_name(document.name or path.stem), template
    if mapping or not wait_conditions:
        from heat_deltacloud.cli import UsageError

        raise UsageError(
            f"--{'mapping' if mapping else 'no-wait-conditions'} applies "
            f"to deployables; the template {path} is launched as it is")
    return stack_name(path.stem), _template(path)


def _template(path):
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        template = json.loads(text)
    except ValueError as exc:
        if text.lstrip().startswith("{"):
            raise HeatDeltacloudError(
                f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}"
                "; fix the template (a CFN template is one JSON object)"
            ) from None
        try:
            import yaml
        except ImportError:
            raise HeatDeltacloudError(
                f"{path} is not JSON, and PyYAML is not installed to read "
                "it as YAML") from None
        class Loader(yaml.SafeLoader):
            """Dates stay strings, as in Heat's own template loader
            (``heat_template_version: 2021-04-16`` is a version)."""

        Loader.add_constructor("tag:yaml.org,2002:timestamp",
                               yaml.SafeLoader.construct_yaml_str)
        try:
            template = yaml.load(text, Loader=Loader)  # noqa: S506 - safe
        except yaml.YAMLError as exc:
            raise HeatDeltacloudError(_yaml_error(path, exc)) from None
    if not isinstance(template, dict) or not (
            "Resources" in template or "resources" in template):
        raise HeatDeltacloudError(
            f"{path} is not a template: no Resources/resources section")
    return template


def _yaml_error(path, exc):
    """One line for PyYAML's several-line error: where, and what."""
    mark = getattr(exc, "problem_mark", None)
    where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    what = f"{context}, {problem}" if context else problem
    return (f"{where}: neither JSON nor valid YAML: {what}; fix the "
            "template (CFN in JSON or YAML, or HOT in YAML)")
