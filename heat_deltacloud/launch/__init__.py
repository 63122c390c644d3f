"""The launcher: submit to Heat's CFN API, follow the stack, tell callers.

* :class:`~heat_deltacloud.launch.heatcfn.HeatCfn` — heat-api-cfn with
  Deltacloud credentials;
* :class:`~heat_deltacloud.launch.launcher.Launcher` — launch, follow and
  delete stacks, with observers;
* :class:`~heat_deltacloud.launch.watcher.Watcher` — the polling itself;
* :class:`~heat_deltacloud.launch.callbacks.WebhookNotifier` — signed
  JSON callbacks;
* :class:`~heat_deltacloud.launch.local.LocalServices` — embedded Heat and
  mock Deltacloud for the command's embedded mode.
"""

from heat_deltacloud.launch.callbacks import WebhookNotifier, sign, verify
from heat_deltacloud.launch.credentials import Credentials
from heat_deltacloud.launch.heatcfn import (HeatCfn, HeatError,
                                            HeatUnreachable, StackNotFound)
from heat_deltacloud.launch.launcher import Launcher, Leftover, Outcome
from heat_deltacloud.launch.watcher import (FollowTimeout, ResourceEvent,
                                            StackState, Watcher)

__all__ = ["Credentials", "FollowTimeout", "HeatCfn", "HeatError",
           "HeatUnreachable", "Launcher", "Leftover", "Outcome",
           "ResourceEvent", "StackNotFound", "StackState", "Watcher",
           "WebhookNotifier", "sign", "verify"]
