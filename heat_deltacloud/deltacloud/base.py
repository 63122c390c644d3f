"""What every collection manager shares: reading documents, errors, URLs.

A manager owns all HTTP for one Deltacloud collection (the novaclient
manager/resource split); the models it returns are plain values.
"""

import dataclasses
import urllib.parse
from collections.abc import Callable

from heat_deltacloud.deltacloud import exceptions, jsondoc, xmldoc

# Errors a reader may raise on a document of the right syntax but the wrong
# shape (a list where an object belongs, a missing key): all become
# MalformedResponse.
_SHAPE_ERRORS = (AttributeError, KeyError, TypeError, ValueError)


@dataclasses.dataclass(frozen=True)
class DocumentKind:
    """How to read one collection's documents in either format."""
    collection: str
    item: str
    from_xml: Callable
    from_json: Callable
    #: Reads a whole JSON listing at once (instances), else ``from_json``
    #: reads each item.
    list_from_json: Callable | None = None


def _wrap_shape_errors(read, body, method, url):
    try:
        return read()
    except exceptions.MalformedResponse as exc:
        raise exceptions.MalformedResponse(
            exc.message, excerpt=body, method=method, url=url) from None
    except _SHAPE_ERRORS as exc:
        raise exceptions.MalformedResponse(
            f"unexpected document shape: {type(exc).__name__}: {exc}",
            excerpt=body, method=method, url=url) from None


def error_from(response, method, url):
    """The :class:`DeltacloudError` for an error response."""
    message = None
    if response.body:
        if response.content_type == "application/xml":
            try:
                message = xmldoc.error_message(xmldoc.parse(response.body))
            except exceptions.MalformedResponse:
                message = None
        elif response.content_type == "application/json":
            try:
                message = jsondoc.error_message(jsondoc.parse(response.body))
            except exceptions.MalformedResponse:
                message = None
        elif response.content_type in ("text/plain", "text/html", ""):
            text = response.body[:300].decode("utf-8", "replace").strip()
            # Plain-text answers (400 missing parameter, 412 missing
            # capability) are the message; HTML pages are not.
            if text and not text.lstrip().startswith("<"):
                message = text
    if response.status == 412 and response.headers.get("Expect"):
        message = (f"{message or 'Missing capability'}: "
                   f"{response.headers['Expect']}")
    return exceptions.from_status(response.status, message, method=method,
                                  url=url)


class Manager:
    """Reads and writes one collection through the client's transport."""

    kind: DocumentKind
    #: create parameter -> the /api feature the driver must advertise.
    create_features: dict = {}
    #: list filter -> the /api feature the driver must advertise.
    filter_features: dict = {}
    #: documents are always fetched as XML (JSON loses information).
    xml_only = False

    def __init__(self, client):
        self.client = client

    def __repr__(self):
        return f"<{type(self).__name__}>"

    @property
    def _fmt(self):
        return "xml" if self.xml_only else self.client.format

    def _collection_url(self):
        self.client.require(self.kind.collection)
        href = self.client.api.collection(self.kind.collection).href
        return self.client.transport.resolve(href)

    def _item_url(self, ident, *suffix):
        quoted = [urllib.parse.quote(str(ident), safe="")]
        quoted += [urllib.parse.quote(s, safe="") for s in suffix]
        return "/".join([self._collection_url(), *quoted])

    def _require_features(self, table, params):
        for name, value in params.items():
            if value is not None and name in table and \
                    not self.client.honours_unadvertised(
                        self.kind.collection, name):
                self.client.require(self.kind.collection, table[name],
                                    param=name)

    def _send(self, method, url, *, params=None, data=None,
              expect=(200,), headers=None):
        transport = self.client.transport
        response = transport.request(method, url, fmt=self._fmt,
                                     params=params, data=data,
                                     headers=headers)
        if response.status not in expect:
            raise error_from(response, method, transport.resolve(url))
        return response

    def _read(self, response, method, url, *, many=False, bare_ok=False,
              kind=None):
        """Turn a response body into a model (or a list of them);
        ``kind`` reads another collection's documents (blobs)."""
        kind, body = kind or self.kind, response.body
        if self._fmt == "xml":
            def read():
                if many:
                    root = xmldoc.parse(body, kind.collection)
                    return [kind.from_xml(el) for el in root
                            if el.tag == kind.item]
                return kind.from_xml(xmldoc.parse(body, kind.item))
        else:
            def read():
                if many:
                    items = jsondoc.parse(body, kind.collection)
                    if kind.list_from_json is not None:
                        return kind.list_from_json(items)
                    return [kind.from_json(doc) for doc in items]
                doc = jsondoc.parse(body)
                # Instance actions answer with the bare object.
                if isinstance(doc, dict) and kind.item in doc:
                    doc = doc[kind.item]
                elif not bare_ok:
                    raise exceptions.MalformedResponse(
                        f"expected a JSON object with '{kind.item}'")
                return kind.from_json(doc)
        return _wrap_shape_errors(read, body, method, url)

    def list(self, **filters):
        """All objects of the collection, narrowed by exact-match filters."""
        self._require_features(self.filter_features, filters)
        params = {k: v for k, v in filters.items() if v is not None}
        url = self._collection_url()
        return self._read(self._send("GET", url, params=params), "GET", url,
                          many=True)

    def get(self, ident):
        """One object by id; :class:`NotFound` when there is none."""
        url = self._item_url(ident)
        return self._read(self._send("GET", url), "GET", url)

    def _create(self, data):
        url = self._collection_url()
        data = {k: v for k, v in data.items() if v is not None}
        response = self._send("POST", url, data=data, expect=(200, 201))
        return self._read(response, "POST", url)

    def _delete(self, ident):
        self._send("DELETE", self._item_url(ident), expect=(200, 202, 204))


def getid(obj):
    """The id of a model object, or ``obj`` itself when it is an id."""
    return getattr(obj, "id", obj)
