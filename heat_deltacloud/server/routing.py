"""What the real server's routing library adds: OPTIONS and HEAD routes.

Sinatra-rabbit (1.1.6) gives every collection an ``OPTIONS`` route on
its path answering ``Allow: OPTIONS,<its operations' methods>``, and every
operation an ``OPTIONS`` route listing its parameters
(``name:type:required|optional``): ``/api/<collection>/<operation>`` for
the standard operations (index, show, create, destroy, update) and
``/api/<collection>/:id/<action>`` for the others.  Parameters include
the features' ones, fixed when the server loads with its default driver
(``mock``), so they do not change with ``X-Deltacloud-Driver``.
``OPTIONS /api`` answers ``Allow`` with the supported collections'
*class* names.  It also adds a ``HEAD`` route (200, empty) per
operation path; Sinatra answers ``HEAD`` on a ``GET`` route with that
route's own answer, body dropped, so only paths without a ``GET`` (action
paths) get the bare 200.

The tables below are read from ``server/lib/deltacloud/collections/*.rb``
(operation parameters) and ``drivers/features.rb``.
"""

import re

from heat_deltacloud.server import protocol

ID = "id:string:required"
STANDARD = ("index", "show", "create", "destroy", "update")

#: collection -> (methods of its operations, {operation: params}); an
#: operation with ``/`` in its name is a path under the collection
#: (the blobs subcollection, whose path is ``buckets/:id``).
OPERATIONS = {
    "addresses": ("GET,POST,DELETE", {
        "index": "", "show": ID, "create": "", "destroy": ID,
        "associate": f"{ID},instance_id:string:required",
        "disassociate": ID}),
    "buckets": ("GET,POST,DELETE", {
        "show": ID, "index": "", "create": "name:string:required",
        "destroy": ID}),
    "drivers": ("GET", {"index": "", "show": ID}),
    "firewalls": ("GET,POST,DELETE", {
        "index": "", "show": ID,
        "create": "name:string:required,description:string:required",
        "destroy": ID,
        "rules": "protocol:required:optional,port_from:required:optional,"
                 "port_to:required:optional"}),
    "hardware_profiles": ("GET", {"index": "", "show": ID}),
    "images": ("GET,POST,DELETE", {
        "index": "architecture:string:optional", "show": ID,
        "create": "instance_id:string:required", "destroy": ID}),
    "instance_states": ("GET", {"index": ""}),
    "instances": ("GET,POST,DELETE", {
        "show": ID, "index": "realm_id:string:optional",
        "create": "metrics:string:optional,name:string:optional,"
                  "keyname:string:optional,image_id:string:required,"
                  "realm_id:string:optional,hwp_id:string:optional,"
                  "keyname:string:optional",
        "reboot": ID, "start": ID, "stop": ID, "destroy": ID,
        "run": f"{ID},cmd:string:required,private_key:string:optional,"
               "password:string:optional,ip:string:optional,"
               "port:string:optional"}),
    "keys": ("GET,POST,DELETE", {
        "index": "", "show": ID,
        "create": "name:string:required,public_key:string:optional",
        "destroy": ID}),
    "load_balancers": ("GET,POST,DELETE", {
        "index": "", "show": f"{ID},{ID}",
        "create": "name:string:required,realm_id:string:required,"
                  "listener_protocol:string:required,"
                  "listener_balancer_port:string:required,"
                  "listener_instance_port:string:required",
        "register": f"{ID},instance_id:string:required",
        "unregister": f"{ID},instance_id:string:required",
        "destroy": ID}),
    "metrics": ("GET", {"index": "", "show": ID}),
    "network_interfaces": ("GET,POST,DELETE", {
        "show": ID, "index": "",
        "create": "instance:string:required,network:string:required,"
                  "name:string:optional", "destroy": ID}),
    "networks": ("GET,POST,DELETE", {
        "show": ID, "index": "",
        "create": "address_block:string:optional,name:string:optional",
        "destroy": ID}),
    "realms": ("GET", {"index": "", "show": ID}),
    "storage_snapshots": ("GET,POST,DELETE", {
        "index": "", "show": ID,
        "create": "volume_id:string:required,name:string:optional,"
                  "description:string:optional", "destroy": ID}),
    "storage_volumes": ("GET,POST,DELETE", {
        "index": "", "show": ID,
        "create": "snapshot_id:string:optional,capacity:string:optional,"
                  "realm_id:string:optional,name:string:optional,"
                  "description:string:optional",
        "attach": f"{ID},instance_id:string:required,"
                  "device:string:required",
        "detach": ID, "destroy": ID}),
    "subnets": ("GET,POST,DELETE", {
        "show": ID, "index": "",
        "create": "network_id:string:required,"
                  "address_block:string:required,name:string:optional",
        "destroy": ID}),
}
BLOB = f"{ID},blob_id:string:required"
#: The blobs subcollection of buckets (path ``buckets/:id``).
BLOBS = ("GET,POST,DELETE,PUT,HEAD", {
    "show": BLOB, "create": f"{BLOB},blob_data:hash:required",
    "destroy": BLOB, "update": BLOB, "stream": BLOB, "metadata": BLOB,
    "content": BLOB})


def _entries():
    """``[(template, Allow)]`` in the order the real routes are tried."""
    entries = []
    for name, (methods, operations) in OPERATIONS.items():
        base = f"/api/{name}"
        for operation, params in operations.items():
            if operation in STANDARD:
                entries.append((f"{base}/{operation}", params))
            else:
                entries.append((f"{base}/:id/{operation}", params))
        if name == "buckets":
            blob_methods, blob_operations = BLOBS
            for operation, params in blob_operations.items():
                if operation in STANDARD:
                    entries.append((f"{base}/:id/{operation}", params))
                else:
                    entries.append((f"{base}/:id/:blob_id/{operation}",
                                    params))
            entries.append((f"{base}/:id", f"OPTIONS,{blob_methods}"))
        entries.append((base, f"OPTIONS,{methods}"))
    return [(re.compile(protocol.template_regex(t).pattern), allow)
            for t, allow in entries]


OPTIONS_ROUTES = _entries()
#: The real collections in the order the server loads them (file names).
LOAD_ORDER = sorted(OPERATIONS)


def options_allow(path):
    """The ``Allow`` of ``OPTIONS path`` below ``/api``, or None (404)."""
    for regex, allow in OPTIONS_ROUTES:
        if regex.match(path):
            return allow
    return None


def api_allow(collections):
    """``OPTIONS /api``: the supported collections' class names (Ruby
    joins the collection classes, not their names)."""
    shown = set(collections)
    return ",".join(
        "Deltacloud::Rabbit::" + "".join(p.capitalize() for p in
                                         name.split("_")) + "Collection"
        for name in LOAD_ORDER if name in shown)


def head_only(path):
    """Whether ``HEAD path`` hits one of rabbit's bare HEAD routes: an
    action path ``/api/<collection>/:id/<action>`` (or a blob's)."""
    for name, (_, operations) in OPERATIONS.items():
        for operation in operations:
            if operation not in STANDARD and re.fullmatch(
                    rf"/api/{name}/[^/]+/{re.escape(operation)}", path):
                return True
    return bool(re.fullmatch(
        r"/api/buckets/[^/]+/[^/]+/(stream|metadata|content)", path))
