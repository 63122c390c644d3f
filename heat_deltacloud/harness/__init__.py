"""Heat as real processes over a real message bus, on the mock Deltacloud.

The harness starts, on 127.0.0.1 with free ports: the mock Deltacloud,
RabbitMQ and PostgreSQL (from Debian, installed when missing), heat-api
(with the package's identity endpoint under ``/identity``) and
heat-api-cfn with this package's paste pipeline, and two ``heat-engine``
processes; everything writes into one run folder.
``python -m heat_deltacloud.harness`` runs it until interrupted
(``--functional`` runs Heat's own functional tests against it); tests
use :class:`Harness` directly.

Modules: ``cluster`` (the whole), ``processes`` (children, ports,
bounded waits), ``packages`` (apt-get), ``rabbitmq``, ``postgres``,
``heatconf``, ``apiserver`` (heat-api / heat-api-cfn as a process),
``functional`` (Heat's functional
tests: configuration, selection, exclusions, counts).
"""

from heat_deltacloud.harness.cluster import Harness
from heat_deltacloud.harness.errors import HarnessError

__all__ = ["Harness", "HarnessError"]
