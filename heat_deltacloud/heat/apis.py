"""heat-api and heat-api-cfn served in this process, next to the engine.

::

    from heat_deltacloud.heat import apis, embedded

    heat = embedded.start()
    with apis.serve(heat) as served:
        served.urls  # {"heat-api": "http://127.0.0.1:...", ...}

The apps are what Heat's own WSGI scripts (heat/api/openstack/wsgi.py and
heat/api/cfn/wsgi.py) build: ``heat.common.config.load_paste_app(name)``
on the paste file and flavor of heat.conf's ``[paste_deploy]``, which the
embedded engine points at this package's api-paste.ini, flavor
``deltacloud``.  Unlike those scripts nothing here resets or re-parses
``cfg.CONF``, and messaging is not set up again: the apps reach the
in-process engine over the ``fake://`` transport the engine started with.

Each app is served by waitress on its own port (port 0: any free one) in
a daemon thread; :meth:`APIServers.stop` closes them.

heat-api-cfn needs policy rules of its own: Heat 27's ``cloudformation:*``
defaults are ``role:reader and project_id:%(project_id)s``, but its cfn
API enforces them with no target, so ``%(project_id)s`` never matches and
every call is 403.  A cfn call only ever acts in the caller's own project
(the engine scopes every look-up by the context's), so :data:`CFN_POLICY`
checks the role alone.  :func:`serve` writes it to a policy file in the
engine's state directory unless heat.conf names a policy file that
exists; operators add the same rules to theirs
(etc/heat-deltacloud/policy.yaml.snippet).
"""

import json
import logging

LOG = logging.getLogger(__name__)

#: Paste app names, as heat-api and heat-api-cfn load them.
HEAT_API = "heat-api"
HEAT_API_CFN = "heat-api-cfn"
APPS = (HEAT_API, HEAT_API_CFN)

_READER = "role:reader"
_MEMBER = "role:member"
#: The ``cloudformation:*`` rules heat-api-cfn works with (see above).
CFN_POLICY = {
    "cloudformation:ListStacks": _READER,
    "cloudformation:CreateStack": _MEMBER,
    "cloudformation:DescribeStacks": _READER,
    "cloudformation:DeleteStack": _MEMBER,
    "cloudformation:UpdateStack": _MEMBER,
    "cloudformation:CancelUpdateStack": _MEMBER,
    "cloudformation:DescribeStackEvents": _READER,
    "cloudformation:ValidateTemplate": _READER,
    "cloudformation:GetTemplate": _READER,
    "cloudformation:EstimateTemplateCost": _READER,
    "cloudformation:DescribeStackResource":
        f"{_READER} or role:heat_stack_user",
    "cloudformation:DescribeStackResources": _READER,
    "cloudformation:ListStackResources": _READER,
}


def use_cfn_policy(directory, conf=None):
    """Point ``[oslo_policy] policy_file`` at :data:`CFN_POLICY`.

    Written to ``directory``/policy.yaml, unless the configured policy
    file exists (then that file is the operator's to complete, and the
    path returned is None).  Call before heat-api-cfn handles a request.
    """
    import pathlib

    from oslo_config import cfg
    from oslo_policy import opts as policy_opts

    conf = conf or cfg.CONF
    policy_opts.set_defaults(conf)
    configured = conf.oslo_policy.policy_file
    if conf.find_file(configured) is not None:
        LOG.info("heat-api-cfn uses the policy file %s: it must hold the "
                 "cloudformation rules of policy.yaml.snippet", configured)
        return None
    path = pathlib.Path(directory) / "policy.yaml"
    path.write_text(json.dumps(CFN_POLICY, indent=1))  # JSON is YAML
    conf.set_override("policy_file", str(path), group="oslo_policy")
    return path


def load_app(name):
    """The WSGI app ``name`` from heat.conf's paste file and flavor.

    The embedded engine (or a heat.conf parsed some other way) must have
    set up ``cfg.CONF`` first.  An unknown ``compute_backend`` fails here,
    raised by the ``deltacloud_auth`` filter's factory.
    """
    from heat.common import config as heat_config

    return heat_config.load_paste_app(name)


class APIServer:
    """One WSGI app served by waitress on ``host``, in a thread."""

    def __init__(self, app, name, *, host="127.0.0.1", port=0, threads=4):
        from heat_deltacloud.server import threaded

        self.name = name
        self._server = threaded.ThreadedServer(
            app, f"{name}-wsgi", host=host, port=port, threads=threads,
            ident=name, clear_untrusted_proxy_headers=True)
        self.host = host
        self.port = self._server.port
        self.url = f"http://{_url_host(host)}:{self.port}"
        self._server.start()
        LOG.info("%s serving on %s", name, self.url)

    def stop(self, timeout=5.0):
        """Close the socket and clients' connections, then wait up to
        ``timeout`` seconds for requests still being answered."""
        self._server.stop(timeout=timeout)

    @property
    def serving(self):
        return self._server.serving

    def __repr__(self):
        return f"<APIServer {self.name} {self.url}>"


def _url_host(host):
    return f"[{host}]" if ":" in host else host


#: Options that point instances and templates at the served APIs:
#: (group, name) -> (app, path appended to its URL).
SERVED_URL_OPTIONS = {
    (None, "heat_waitcondition_server_url"): (HEAT_API_CFN,
                                              "/v1/waitcondition"),
    (None, "heat_metadata_server_url"): (HEAT_API_CFN, "/v1"),
    ("clients_heat", "url"): (HEAT_API, "/v1/%(tenant_id)s"),
}

#: Where heat-api's url map (api-paste.ini) serves the identity endpoint.
IDENTITY_PATH = "/identity"
#: Options naming the identity endpoint, served under heat-api: the
#: transports that hand instances Keystone credentials or tokens work
#: once ``[deltacloud] identity_url`` is set.
IDENTITY_URL_OPTIONS = {
    ("deltacloud", "identity_url"): (HEAT_API, IDENTITY_PATH + "/v3"),
    ("clients_keystone", "auth_uri"): (HEAT_API, IDENTITY_PATH + "/v3"),
}


def point_options_at(urls, conf=None, *, identity=False):
    """Override the options of :data:`SERVED_URL_OPTIONS` for ``urls``.

    Signed URLs Heat hands out then name the heat-api-cfn serving here,
    instances poll it for metadata, and OS::Heat::ScalingPolicy's
    ``signal_url`` names heat-api.  With ``identity``, also those of
    :data:`IDENTITY_URL_OPTIONS`.  Returns what was overridden.
    """
    from oslo_config import cfg

    from heat_deltacloud.heat import opts

    conf = conf or cfg.CONF
    conf.import_group("clients_heat", "heat.common.config")
    conf.import_group("clients_keystone", "heat.common.config")
    opts.registered(conf)
    options = dict(SERVED_URL_OPTIONS)
    if identity:
        options.update(IDENTITY_URL_OPTIONS)
    done = []
    for (group, name), (app, path) in options.items():
        if app in urls:
            conf.set_override(name, urls[app] + path, group=group)
            done.append((group, name))
    return done


class APIServers:
    """The running APIs, by paste app name."""

    def __init__(self, servers, policy_file=None, overridden=()):
        self.servers = dict(servers)
        #: The policy file :func:`serve` wrote, if it wrote one.
        self.policy_file = policy_file
        #: Options :func:`point_options_at` set, cleared by :meth:`stop`.
        self.overridden = list(overridden)

    @property
    def urls(self):
        return {name: server.url for name, server in self.servers.items()}

    @property
    def heat_api(self):
        """heat-api's root URL; the REST API is under ``/v1/<project>``."""
        return self.servers[HEAT_API].url

    @property
    def identity(self):
        """The identity endpoint's URL (``OS_AUTH_URL``), under heat-api."""
        return self.servers[HEAT_API].url + IDENTITY_PATH + "/v3"

    @property
    def heat_api_cfn(self):
        """heat-api-cfn's root URL; the query API is at ``/v1/``."""
        return self.servers[HEAT_API_CFN].url

    def stop(self):
        from oslo_config import cfg

        for server in self.servers.values():
            server.stop()
        for group, name in self.overridden:
            cfg.CONF.clear_override(name, group=group)
        self.overridden = []
        if self.policy_file is not None:

            if cfg.CONF.oslo_policy.policy_file == str(self.policy_file):
                cfg.CONF.clear_override("policy_file", group="oslo_policy")
            # Left behind, the file would be found next to heat.conf by the
            # next serve() and taken for the operator's own.
            self.policy_file.unlink(missing_ok=True)
            self.policy_file = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def __repr__(self):
        return f"<APIServers {self.urls}>"


def serve(heat=None, *, apps=APPS, host="127.0.0.1", port=0, threads=4,
          cfn_policy=True, point_urls=True, identity=False):
    """Serve ``apps`` (paste app names) in front of the embedded engine.

    ``heat`` is the :class:`~heat_deltacloud.heat.embedded.EmbeddedHeat`
    to serve; by default the process's, started if need be.  ``port`` 0
    gives each app a free port; another port only suits a single app.
    ``cfn_policy`` applies :func:`use_cfn_policy` when heat-api-cfn is
    among ``apps``.  ``point_urls`` applies :func:`point_options_at`, so
    signed URLs, metadata and signal URLs name the served APIs.
    heat-api always serves the identity endpoint under ``/identity``
    (:attr:`APIServers.identity`); ``identity`` also points ``[deltacloud]
    identity_url`` and ``[clients_keystone] auth_uri`` at it, which lets
    templates use HEAT_SIGNAL, TOKEN_SIGNAL and POLL_SERVER_HEAT.
    """
    if heat is None:
        from heat_deltacloud.heat import embedded
        heat = embedded.start()
    if heat.engine is None:
        raise RuntimeError("the embedded Heat engine is not running")
    if port and len(apps) > 1:
        raise ValueError("a fixed port serves only one app")
    policy_file = None
    if cfn_policy and HEAT_API_CFN in apps:
        policy_file = use_cfn_policy(heat.state_dir)
    servers = []
    try:
        # Load every app before serving any, so that a configuration error
        # leaves no server behind.
        loaded = [(name, load_app(name)) for name in apps]
        for name, app in loaded:
            servers.append((name, APIServer(app, name, host=host,
                                            port=port, threads=threads)))
    except BaseException:
        APIServers(servers, policy_file).stop()
        raise
    served = APIServers(servers, policy_file)
    if point_urls:
        served.overridden = point_options_at(served.urls,
                                             identity=identity)
    return served
