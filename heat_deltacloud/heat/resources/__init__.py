"""Heat resource plugins for the Deltacloud backend.

Add this directory to heat.conf's ``plugin_dirs`` (Heat loads every module
in it after its own resources, so these classes replace the stock ones
under the same type names)::

    [DEFAULT]
    plugin_dirs = /path/to/site-packages/heat_deltacloud/heat/resources

``heat-deltacloud doctor`` prints the path and checks it is set.
"""

import pathlib

#: The directory to name in ``plugin_dirs``.
PLUGIN_DIR = str(pathlib.Path(__file__).resolve().parent)
