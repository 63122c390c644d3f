"""Sphinx configuration for heat-deltacloud."""

import heat_deltacloud

# Autodoc imports modules in whatever order pages are read; Heat's services
# must get oslo.service's threading backend before any of them loads Heat's
# plugins, as the embedded engine requires (see heat/embedded.py).
import heat_deltacloud.heat.embedded  # noqa: F401

project = "heat-deltacloud"
copyright = "2026, the heat-deltacloud authors"  # noqa: A001
version = release = heat_deltacloud.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
    "oslo_config.sphinxext",
]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
html_theme = "alabaster"
exclude_patterns = []
nitpicky = False
