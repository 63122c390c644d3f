"""Heat's CloudFormation query API (heat-api-cfn), as the launcher uses it.

A thin layer over boto3's CloudFormation client that

* authenticates the way heat-api-cfn's ``deltacloud`` pipeline expects:
  ``X-Auth-User`` / ``X-Auth-Key`` (and ``X-Auth-Url`` when a Deltacloud
  URL is given) on every request.  boto3 insists on signing with some AWS
  keys, which the pipeline ignores.  The headers are added just before the
  request is sent, after botocore has logged it, so the password never
  reaches botocore's debug log;
* never retries a write (a CreateStack whose answer was lost must not be
  sent twice) and retries reads on transient errors;
* turns botocore's errors into :class:`HeatError` /
  :class:`HeatUnreachable` with a one-line message;
* drops the ``<X>None</X>`` elements Heat writes for unset values, which
  botocore cannot parse as dates or numbers.
"""

import json
import logging
import os
import re

from heat_deltacloud.errors import HeatDeltacloudError

LOG = logging.getLogger(__name__)

#: Connect and read timeouts (seconds) for every request.
TIMEOUTS = (5.0, 60.0)
#: Attempts per read (first try included); writes are tried once.
READ_ATTEMPTS = 3


class HeatError(HeatDeltacloudError):
    """heat-api-cfn refused a request; ``code`` is the AWS error code."""

    def __init__(self, action, code, message, status=None):
        self.action, self.code, self.status = action, code, status
        super().__init__(f"Heat refused {action}: {code}: {message}")


class HeatUnreachable(HeatDeltacloudError):
    """heat-api-cfn did not answer."""


class StackNotFound(HeatError):
    """No stack by that name or id (for this user)."""


class HeatServerError(HeatError):
    """heat-api-cfn failed: a 5xx, or an answer that is not its XML."""


def _drop_none_values(response_dict, **kwargs):
    response_dict["body"] = re.sub(rb"<(\w+)>None</\1>", b"",
                                   response_dict["body"])


def _structure(element):
    """A serialized value back as Python: Heat's XML writes a list as
    ``<member>`` children and a dict as children named by its keys (leaves
    become strings)."""
    children = list(element)
    if not children:
        return element.text or ""
    if all(child.tag == "member" for child in children):
        return [_structure(child) for child in children]
    from lxml import etree

    return {etree.QName(child).localname: _structure(child)
            for child in children}


def _json_output_values(response_dict, **kwargs):
    """A map or list output (``networks`` of OS::Nova::Server) reaches
    DescribeStacks as nested XML, which botocore reads as an empty string:
    give it as JSON text instead."""
    body = response_dict["body"]
    if b"<OutputValue><" not in body:
        return
    from lxml import etree

    try:
        root = etree.fromstring(body)
    except etree.XMLSyntaxError:
        return  # botocore says what is wrong with it
    for value in root.iter("{*}OutputValue", "OutputValue"):
        if len(value):
            structure = _structure(value)
            for child in list(value):
                value.remove(child)
            value.text = json.dumps(structure, sort_keys=True)
    response_dict["body"] = etree.tostring(root)


def _boto_client(url, attempts, timeouts):
    import botocore.config
    import botocore.session

    session = botocore.session.Session()
    # Never read the user's ~/.aws: nothing there applies to Heat.
    session.set_config_variable("config_file", os.devnull)
    session.set_config_variable("credentials_file", os.devnull)
    client = session.create_client(
        "cloudformation", region_name="RegionOne",
        endpoint_url=url.rstrip("/") + "/v1/",
        aws_access_key_id="heat-deltacloud",
        aws_secret_access_key="unused-by-heat-api-cfn",  # noqa: S106
        config=botocore.config.Config(
            connect_timeout=timeouts[0], read_timeout=timeouts[1],
            retries={"mode": "standard", "max_attempts": attempts}))
    client.meta.events.register("before-parse.cloudformation.*",
                                _drop_none_values)
    client.meta.events.register("before-parse.cloudformation.DescribeStacks",
                                _json_output_values)
    return client


class HeatCfn:
    """Stacks through heat-api-cfn at ``url`` (its root, without /v1)."""

    #: False once DescribeStackEvents failed with a server error (Heat 27
    #: always fails it): watchers then follow resource states instead.
    lists_events = True

    def __init__(self, url, credentials, deltacloud_url=None, *,
                 timeouts=TIMEOUTS, read_attempts=READ_ATTEMPTS):
        self.url = url
        self.credentials = credentials
        headers = {"X-Auth-User": credentials.user,
                   "X-Auth-Key": credentials.password}
        if deltacloud_url:
            headers["X-Auth-Url"] = deltacloud_url

        def add_credentials(request, **kwargs):
            request.headers.update(headers)

        self._retrying = _boto_client(url, read_attempts, timeouts)
        self._once = _boto_client(url, 1, timeouts)  # writes
        for client in (self._retrying, self._once):
            client.meta.events.register("before-send.cloudformation.*",
                                        add_credentials)

    def __repr__(self):
        return f"<HeatCfn {self.url} user={self.credentials.user}>"

    @property
    def event_hooks(self):
        """botocore's event systems, for callers that count requests."""
        return (self._retrying.meta.events, self._once.meta.events)

    def _call(self, client, action, **params):
        import botocore.exceptions as errors
        import botocore.parsers

        try:
            return getattr(client, _snake(action))(**params)
        except errors.ClientError as exc:
            error = exc.response.get("Error", {})
            status = exc.response.get("ResponseMetadata", {}).get(
                "HTTPStatusCode")
            code = error.get("Code") or str(status)
            message = error.get("Message") or "no message"
            raise _error_class(code, message, status)(
                action, code, message, status) from None
        except botocore.parsers.ResponseParserError as exc:
            # Heat's unhandled errors reach the client as waitress's plain
            # "Internal Server Error" page.
            first_line = str(exc).partition("\n")[0]
            raise HeatServerError(action, "UnreadableResponse",
                                  first_line) from None
        except (errors.EndpointConnectionError,
                errors.ConnectTimeoutError) as exc:
            raise HeatUnreachable(
                f"cannot reach heat-api-cfn at {self.url}: {exc}") from None
        except (errors.ReadTimeoutError, errors.HTTPClientError) as exc:
            raise HeatUnreachable(
                f"heat-api-cfn at {self.url} did not answer {action}: "
                f"{exc}") from None

    def create_stack(self, name, template, parameters=None, *,
                     timeout_minutes=None, disable_rollback=True):
        """Submit ``template`` (a dict); the new stack's id."""
        params = {
            "StackName": name,
            "TemplateBody": json.dumps(template),
            "DisableRollback": disable_rollback,
            "Parameters": [{"ParameterKey": key, "ParameterValue": value}
                           for key, value in (parameters or {}).items()],
        }
        if timeout_minutes:
            params["TimeoutInMinutes"] = int(timeout_minutes)
        return self._call(self._once, "CreateStack", **params)["StackId"]

    def delete_stack(self, stack):
        self._call(self._once, "DeleteStack", StackName=stack)

    def describe_stack(self, stack):
        """The stack's ``Stacks`` member: status, reason, outputs..."""
        [found] = self._call(self._retrying, "DescribeStacks",
                             StackName=stack)["Stacks"]
        return found

    def list_stacks(self):
        return self._call(self._retrying, "ListStacks")["StackSummaries"]

    def stack_events(self, stack):
        # Tried once: Heat 27 always fails it (see watcher.ResourceChangeFeed)
        # and the watcher then stops asking.
        return self._call(self._once, "DescribeStackEvents",
                          StackName=stack)["StackEvents"]

    def stack_resources(self, stack):
        return self._call(self._retrying, "DescribeStackResources",
                          StackName=stack)["StackResources"]

    def stack_resource(self, stack, logical_id):
        return self._call(self._retrying, "DescribeStackResource",
                          StackName=stack,
                          LogicalResourceId=logical_id)[
            "StackResourceDetail"]


def _error_class(code, message, status):
    if status is not None and status >= 500:
        return HeatServerError
    if code == "ValidationError" and "does not exist" in message or \
            "The Stack (" in message and "could not be found" in message:
        return StackNotFound
    return HeatError


def _snake(action):
    """``DescribeStackEvents`` -> ``describe_stack_events``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", action).lower()
