"""A Python 3 client for the Apache Deltacloud REST API (v1.1.3).

>>> from heat_deltacloud.deltacloud import Client
>>> with Client("http://127.0.0.1:3001/api", "mockuser", "mockpassword") \\
...         as dc:                                       # doctest: +SKIP
...     server = dc.instances.create("img1", hwp_id="m1-small", name="web")
"""

from heat_deltacloud.deltacloud import exceptions, models
from heat_deltacloud.deltacloud.client import Client, Discovery

__all__ = ["Client", "Discovery", "exceptions", "models"]
