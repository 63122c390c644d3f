"""pytest plugin: make the OpenStack client libraries unimportable.

Loaded with ``-p hide_openstack_clients`` by test_without_clients.py to
run the compat suite as on a machine without python-novaclient,
-glanceclient, -neutronclient and -cinderclient.
"""

import importlib.abc
import sys

HIDDEN = {"novaclient", "glanceclient", "neutronclient", "cinderclient"}


class _Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in HIDDEN:
            raise ImportError(f"hidden for this test run: {name}")
        return None


sys.meta_path.insert(0, _Hide())
