"""The ``mock`` driver: ``server/lib/deltacloud/drivers/mock/mock_driver.rb``.

Its hardware profiles, realms and state machine come from the cloud's
fixtures (the real driver's data, ``mock-fixtures.json``).  ``user_data``
is not advertised by default because the real driver declares it as
``user_Data`` (a typo); ``firewalls`` is a collection the real driver
lacks, served only when switched on.
"""

from heat_deltacloud.mock.drivers import Driver

#: collection -> [(feature, operation, params, shown by default)], in
#: the real driver's ``/api`` order (features in ``features.rb`` order).
CATALOG = {
    "instances": [("metrics", "create", ["metrics"], True),
                  ("realm_filter", "index", ["realm_id"], True),
                  ("user_name", "create", ["name"], True),
                  ("authentication_key", "create", ["keyname"], True),
                  ("user_data", "create", ["user_data"], False),
                  ("firewalls", "create", ["firewalls"], False)],
    "realms": [],
    "hardware_profiles": [],
    "images": [],
    "instance_states": [],
    "keys": [],
    "addresses": [],
    "storage_volumes": [],
    "storage_snapshots": [],
    "drivers": [],
    "buckets": [],
    "metrics": [],
    "networks": [],
    "subnets": [],
    "network_interfaces": [],
    "firewalls": [],
}

DRIVER = Driver(
    name="mock", title="Mock",
    source="server/lib/deltacloud/drivers/mock/mock_driver.rb",
    catalog=CATALOG, off_by_default=frozenset({"firewalls"}),
    # None: taken from the cloud's fixtures.
    hardware_profiles=None, realms=None, state_machine=None,
    actions={"RUNNING": ("reboot", "stop"), "STOPPED": ("start", "destroy"),
             "PENDING": ()},
    transitions={("RUNNING", "reboot"): "RUNNING",
                 ("RUNNING", "stop"): "STOPPED",
                 ("STOPPED", "start"): "RUNNING",
                 ("STOPPED", "destroy"): None},
    default_hwp="m1-small")
