"""HTTP details of the real server: format negotiation, Basic credentials,
the plain-text answers of its routing layer and its status tables."""

import base64
import binascii
import re

#: Formats and the media types that select them, in the order
#: ``server/lib/sinatra/rack_accept.rb`` tries them.
MEDIA_TYPES = (
    ("xml", ("application/xml", "text/xml")),
    ("json", ("application/json",)),
    ("html", ("application/xhtml+xml", "text/html", "*/*")),
    ("png", ("image/png",)),
    ("gv", ("application/ghostscript",)),
)
QUERY_FORMATS = frozenset(fmt for fmt, _ in MEDIA_TYPES)
CONTENT_TYPES = {"xml": "application/xml", "json": "application/json"}
#: Sinatra's default type, used by ``halt`` answers (400, 412).
SINATRA_TEXT = "text/html;charset=utf-8"

DEFAULT_MESSAGES = {400: "Bad Request", 401: "Unauthorized",
                    403: "Forbidden", 404: "Not Found",
                    405: "Method Not Allowed", 406: "Not Acceptable",
                    409: "Resource Conflict", 500: "Internal Server Error",
                    501: "Not Supported", 502: "Backend Server Error",
                    503: "Service Unavailable", 504: "Gateway Timeout"}
#: Status -> the Ruby exception class JSON error documents name.
ERROR_CLASSES = {400: "ValidationFailure", 401: "AuthenticationFailure",
                 403: "ForbiddenError", 404: "ObjectNotFound",
                 405: "MethodNotAllowed", 406: "UnknownMediaTypeError",
                 409: "Conflict", 500: "BackendError",
                 501: "NotImplemented", 502: "ProviderError",
                 503: "ProviderError", 504: "ProviderTimeout"}
NOT_UTF8 = "Bad Request: the request is not valid UTF-8"
MISSING_CAPABILITY = ("The required capability to execute this operation "
                      "is missing")


def negotiate(query_format, accept):
    """Formats the client accepts, best first; empty means 406.

    ``?format=`` wins outright (an unknown value matches nothing).  Else
    the Accept media types are ordered by q-value, ties keeping their
    order, and each format ranks at its first matching media type; the
    *later* a format ranks, the better, so ``application/json, */*``
    gives HTML, as the real middleware does.  No Accept header means XML.
    """
    if query_format is not None:
        return [query_format] if query_format in QUERY_FORMATS else []
    ranked = [media for media, _ in sorted(_media_ranges(accept or ""),
                                           key=lambda m: m[1])]
    ranked = ranked or ["application/xml"]
    positions = {}
    for fmt, candidates in MEDIA_TYPES:
        for media in candidates:
            if media in ranked:
                positions[fmt] = ranked.index(media)
                break
    return sorted(positions, key=positions.get, reverse=True)


def _media_ranges(accept):
    """``[(media type, q)]`` of an Accept header; q=0 means 'not this'."""
    found = {}
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media and quality > 0:
            found[media.lower()] = quality
    return list(found.items())


def basic_credentials(header):
    """``(user, password)`` from an Authorization header, or None when
    there is no usable Basic header (the real server then asks for one)."""
    scheme, _, value = (header or "").strip().partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        decoded = raw.decode("latin-1")
    user, _, password = decoded.partition(":")
    return user, password


def required_message(name, sent):
    """Sinatra-rabbit's 400 text for a missing required parameter."""
    return f"Required parameter '{name}' not found in [{','.join(sent)}]"


def not_xml_message(name):
    return (f"Parameter '{name.encode('unicode_escape').decode()}' holds "
            "characters XML cannot carry")


def enum_message(name, value, allowed):
    return (f"Parameter '{name}' value '{value}' not found in list of "
            f"allowed values [{','.join(allowed)}]")


def split_matrix(path):
    """``/api;driver=ec2/instances`` -> (``/api/instances``,
    ``{"driver": "ec2"}``): the path without matrix parameters, and those
    of the ``/api`` segment (the only ones the real server honours)."""
    segments, api_params = [], {}
    for number, segment in enumerate(path.split("/")):
        name, *matrix = segment.split(";")
        segments.append(name)
        if number == 1 and name == "api":
            for pair in matrix:
                key, _, value = pair.partition("=")
                api_params[key] = value
    return "/".join(segments), api_params


def template_regex(template):
    """``/api/instances/:id`` -> a regex with named groups."""
    pattern = re.sub(r":(\w+)", r"(?P<\1>[^/]+)", template)
    return re.compile(f"^{pattern}$")
