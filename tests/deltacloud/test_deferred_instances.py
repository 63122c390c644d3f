"""Instances whose nested parts are read on first use behave exactly like
instances read at once: the same fields, equality, hash, repr and errors.

The references below are the eager readers the deferred ones replaced;
hypothesis feeds both documents built from the instance vocabulary.
"""

import json
import types
from xml.sax.saxutils import escape, quoteattr

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heat_deltacloud.deltacloud import jsondoc, models, xmldoc
from heat_deltacloud.deltacloud.exceptions import MalformedResponse

LISTS = {"actions": ("actions", "link", xmldoc._link),
         "public_addresses": ("public_addresses", "address",
                              xmldoc._address),
         "private_addresses": ("private_addresses", "address",
                               xmldoc._address),
         "firewalls": ("firewalls", "firewall", xmldoc._id_attr),
         "network_interfaces": ("network_interfaces", "network_interface",
                                xmldoc._id_attr)}


def eager_xml(el):
    """The eager XML reader (one pass, every field built at once)."""
    fields = {field: () for field, _, _ in LISTS.values()}
    fields["id"] = xmldoc._attr(el, "id")
    first = {}
    for child in el:
        listed = LISTS.get(child.tag)
        if listed is not None:
            field, item, read = listed
            fields[field] += tuple(read(x) for x in child if x.tag == item)
        elif child.tag not in first:
            first[child.tag] = child
    for tag, field in xmldoc._INSTANCE_TEXTS.items():
        fields[field] = xmldoc._text_of(first.get(tag))
    for tag, field in xmldoc._INSTANCE_REFS.items():
        fields[field] = xmldoc._id_of(first.get(tag))
    hwp, volumes = first.get("hardware_profile"), first.get("storage_volumes")
    auth = first.get("authentication")
    return models.Instance(**dict(
        fields, state=(fields["state"] or "UNKNOWN").upper(),
        hardware_overrides=types.MappingProxyType(
            {} if hwp is None else {xmldoc._attr(p, "name"): p.get("value")
                                    for p in hwp if p.tag == "property"}),
        storage_volumes=() if volumes is None else tuple(
            xmldoc._volume(v) for v in volumes if v.tag == "storage_volume"),
        authentication=None if auth is None
        else xmldoc._authentication(auth),
        create_image=any(link.rel == "create_image"
                         for link in fields["actions"])))


def outcome(read, document):
    try:
        inst = read(document)
    except (MalformedResponse, AttributeError, KeyError, TypeError,
            ValueError) as exc:
        return type(exc), str(exc)
    if isinstance(inst, list):
        return inst, "unhashable", repr(inst)
    return inst, hash(inst), repr(inst)


def assert_same(deferred, eager, document):
    got, want = outcome(deferred, document), outcome(eager, document)
    assert got == want
    if isinstance(got[0], models.Instance):
        # Field by field, first use in any order reads the same value.
        for name in reversed(models.INSTANCE_DEFERRABLE):
            assert getattr(deferred(document), name) == getattr(want[0],
                                                                name)


TAGS = ["name", "state", "owner_id", "image", "realm", "hardware_profile",
        "property", "actions", "link", "public_addresses",
        "private_addresses", "address", "storage_volumes", "storage_volume",
        "firewalls", "firewall", "network_interfaces", "network_interface",
        "authentication", "login", "keyname", "username", "password",
        "launch_time"]
ATTRS = ["id", "href", "rel", "method", "name", "value", "type", "port",
         "device"]
VALUES = st.sampled_from(["", "create_image", "stop", "post", "1.2.3.4",
                          " x "])


def elements(depth):
    attrs = st.dictionaries(st.sampled_from(ATTRS), VALUES, max_size=3)
    children = st.just([]) if depth == 0 else st.lists(
        st.deferred(lambda: elements(depth - 1)), max_size=4)
    return st.builds(_element, st.sampled_from(TAGS), attrs,
                     st.one_of(st.none(), VALUES), children)


def _element(tag, attrs, text, children):
    attributes = "".join(f" {k}={quoteattr(v)}" for k, v in attrs.items())
    return f"<{tag}{attributes}>{escape(text or '')}{''.join(children)}" \
        f"</{tag}>"


XML_INSTANCES = st.builds(
    lambda ident, children: f"<instance{ident}>{''.join(children)}"
    "</instance>",
    st.sampled_from([" id='i1'", " id=''", ""]),
    st.lists(elements(2), max_size=8))

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), VALUES)
ITEM_KEYS = ["rel", "href", "method", "address", "type", "port", "id",
             "properties", "keyname", "user", "password"]
GOOD_ITEMS = st.fixed_dictionaries(
    {}, optional={key: VALUES for key in ITEM_KEYS})
ITEMS = st.one_of(GOOD_ITEMS, GOOD_ITEMS, SCALARS, st.dictionaries(
    st.sampled_from(ITEM_KEYS), SCALARS, max_size=4))
JSON_VALUES = st.one_of(SCALARS, st.lists(GOOD_ITEMS, max_size=4),
                        st.lists(ITEMS, max_size=4), ITEMS)
JSON_KEYS = ["name", "state", "owner", "image", "realm",
             "hardware_profile", "actions", "create_time",
             "public_addresses", "private_addresses", "storage_volumes",
             "firewalls", "authentication", "authentication_type",
             "create_image"]
JSON_INSTANCES = st.one_of(
    st.fixed_dictionaries({"id": st.one_of(VALUES, SCALARS)}, optional={
        key: JSON_VALUES for key in JSON_KEYS}),
    JSON_VALUES)
#: Mostly set (an empty value sends the listing to the eager reader).
SET_VALUES = st.one_of(*[VALUES.filter(bool)] * 3, VALUES)


def _items(required, optional=()):
    return st.lists(st.fixed_dictionaries(
        dict.fromkeys(required, SET_VALUES),
        optional=dict.fromkeys(optional, VALUES)), max_size=3)


#: Values of the shape a server sends, for the keys the check reads.
SHAPED = {"id": SET_VALUES,
          "hardware_profile": st.fixed_dictionaries({}, optional={
              "id": VALUES, "properties": st.dictionaries(
                  st.sampled_from(["cpu", "memory"]), VALUES)}),
          "actions": _items(["rel", "href"], ["method"]),
          "public_addresses": _items(["address"], ["type", "port"]),
          "private_addresses": _items(["address"], ["type", "port"]),
          "storage_volumes": _items(["id"]),
          "firewalls": _items(["id"]),
          "authentication": st.fixed_dictionaries({}, optional=dict.fromkeys(
              ["keyname", "user", "password"], VALUES))}
# Every key the check reads for a whole listing in one pass, as a
# server's documents have them, of the right shape (the one-pass path), or
# with one of the keys the check guards given any value.
ROW_INSTANCES = st.builds(
    lambda doc, broken, key, value: {**doc, key: value} if broken else doc,
    st.fixed_dictionaries(
        {key: SHAPED[key] for key in jsondoc._ROW_KEYS},
        optional={key: SHAPED.get(key, JSON_VALUES) for key in JSON_KEYS
                  if key not in jsondoc._ROW_KEYS}),
    st.booleans(), st.sampled_from(sorted(SHAPED)),
    st.one_of(JSON_VALUES, st.lists(ITEMS, min_size=1, max_size=2)))
FUZZ = settings(max_examples=200, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(XML_INSTANCES)
def test_xml_deferred_instances_equal_the_eager_reader(body):
    assert_same(lambda b: xmldoc.instance(xmldoc.parse(b)),
                lambda b: eager_xml(xmldoc.parse(b)), body.encode())


def assert_same_listing(docs):
    docs = json.loads(json.dumps(docs))
    assert_same(jsondoc.instance, jsondoc._instance_at_once, docs[0])
    got = outcome(jsondoc.instances, docs)
    want = outcome(lambda d: [jsondoc._instance_at_once(i) for i in d], docs)
    assert got == want


@FUZZ
@given(st.lists(JSON_INSTANCES, min_size=1, max_size=3))
def test_json_deferred_instances_equal_the_eager_reader(docs):
    assert_same_listing(docs)


@FUZZ
@given(st.lists(ROW_INSTANCES, min_size=1, max_size=3),
       st.lists(JSON_INSTANCES, max_size=1), st.integers(0, 3))
def test_json_listings_checked_in_one_pass_equal_the_eager_reader(
        docs, other, at):
    """Listings whose documents all have the keys the check reads in one
    pass, or all but one, read the same."""
    assert_same_listing(docs[:at] + other + docs[at:])


def test_benchmark_documents_are_read_deferred(document):
    # The common shapes take the fast path (else nothing is gained).
    xml = xmldoc.instance(xmldoc.parse(document("instance.xml")))
    doc = json.loads(document("instance.json"))["instance"]
    assert jsondoc._plain_instances([doc])
    # ... and the check reads its keys in one pass.
    assert set(jsondoc._ROW_KEYS) <= set(doc)
    for inst in (xml, jsondoc.instance(doc)):
        assert inst._deferred is not None
        assert "actions" not in vars(inst)
        assert inst.action("stop") is not None
        assert "actions" in vars(inst)


def test_a_field_read_while_another_thread_dropped_the_document(document):
    """A reader that found a field unread, then lost the race to a thread
    that read the last fields and dropped the document, gets the value."""
    inst = xmldoc.instance(xmldoc.parse(document("instance.xml")))
    descriptor = vars(models.Instance)["actions"]
    for name in models.Instance.__dataclass_fields__:
        getattr(inst, name)
    assert inst._deferred is None
    assert descriptor.__get__(inst, models.Instance) == inst.actions
