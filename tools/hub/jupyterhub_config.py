# JupyterHub configuration for the course (`make hub`; README, "Teaching a class").
#
# One machine, JupyterHub's local spawner: each student is a Unix user of her own (`dsc-<name>`,
# created at her first login), her server runs as that user in HUB_ROOT/home/<name> with her
# copies of the student notebooks and a snapshot of the compilation cache that `make hub` warmed
# once for everyone (tools/hub/course_hub/accounts.py says how that is shared safely).
#
# Environment (read when the hub starts):
#   HUB_ROOT      the folder tools/hub/build.sh prepared            (default /srv/ds-course)
#   HUB_DEMO=1    local demo: any user name, the password in HUB_PASSWORD, localhost only
#   HUB_PASSWORD  the demo's shared password (required with HUB_DEMO=1)
#   HUB_PORT      the port (default 8000); the hub listens on 127.0.0.1 only unless
#   HUB_BIND_URL  is set (not allowed in demo mode), e.g. http://0.0.0.0:8000 behind TLS
#   HUB_ADMINS    comma-separated hub names who may use the admin page (default: none)
#   HUB_CULL_IDLE seconds before an idle student server is stopped (default 3600; 0 = never)
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from course_hub import accounts  # noqa: E402

from jupyterhub.spawner import LocalProcessSpawner, set_user_setuid  # noqa: E402

c = get_config()  # noqa: F821 (provided by JupyterHub)

HUB_ROOT = Path(os.environ.get("HUB_ROOT", "/srv/ds-course")).resolve()
DEMO = os.environ.get("HUB_DEMO", "") not in ("", "0")
PORT = int(os.environ.get("HUB_PORT", "8000"))
COURSE = HUB_ROOT / "course"
VENV = COURSE / ".venv"
if not (VENV / "bin" / "jupyterhub-singleuser").exists():
    sys.exit(f"{HUB_ROOT} is not prepared: run `make hub` (tools/hub/build.sh) first")

# --- where the hub listens and keeps its state --------------------------------------------
if DEMO:
    if os.environ.get("HUB_BIND_URL"):
        sys.exit("HUB_BIND_URL is not allowed with HUB_DEMO=1: the demo listens on localhost only")
    c.JupyterHub.bind_url = f"http://127.0.0.1:{PORT}"
else:
    c.JupyterHub.bind_url = os.environ.get("HUB_BIND_URL", f"http://127.0.0.1:{PORT}")
c.JupyterHub.hub_ip = "127.0.0.1"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{PORT + 1}"
c.ConfigurableHTTPProxy.command = [str(HUB_ROOT / "proxy" / "node_modules" / ".bin" / "configurable-http-proxy")]
c.ConfigurableHTTPProxy.pid_file = str(HUB_ROOT / "state" / "proxy.pid")
c.JupyterHub.hub_port = PORT + 2
c.JupyterHub.db_url = f"sqlite:///{HUB_ROOT / 'state' / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(HUB_ROOT / "state" / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(HUB_ROOT / "state" / "jupyterhub.pid")
# the navigation bar links each student to her Submit page (templates/page.html)
c.JupyterHub.template_paths = [str(HERE / "templates")]

# --- who may log in -----------------------------------------------------------------------
c.Authenticator.username_pattern = accounts.USERNAME_PATTERN
c.Authenticator.admin_users = {n.strip() for n in os.environ.get("HUB_ADMINS", "").split(",") if n.strip()}
if DEMO:
    password = os.environ.get("HUB_PASSWORD", "")
    if len(password) < 8:
        sys.exit("HUB_DEMO=1 needs HUB_PASSWORD (8 characters or more): every demo user logs in with it")
    c.JupyterHub.authenticator_class = "dummy"
    c.DummyAuthenticator.password = password
    c.Authenticator.allow_all = True
else:
    # A real class plugs its identity provider in here (README, "Teaching a class"), e.g.
    #
    #   OAuth 2 / OpenID Connect (a university's SSO, GitHub, Google), package oauthenticator:
    #     c.JupyterHub.authenticator_class = "generic-oauth"
    #     c.GenericOAuthenticator.client_id = "...";  c.GenericOAuthenticator.client_secret = "..."
    #     c.GenericOAuthenticator.oauth_callback_url = "https://hub.example.edu/hub/oauth_callback"
    #     c.GenericOAuthenticator.authorize_url / token_url / userdata_url = ...
    #     c.GenericOAuthenticator.username_claim = "preferred_username"
    #     c.GenericOAuthenticator.allowed_groups = {"ds-course-2027"}
    #   LTI 1.3 from the learning platform (Canvas, Moodle), package jupyterhub-ltiauthenticator:
    #     c.JupyterHub.authenticator_class = "ltiauthenticator.lti13.authenticator.LTI13Authenticator"
    #     c.LTI13Authenticator.issuer / authorize_url / jwks_endpoint / client_id = ...
    #
    # Put those lines in HUB_ROOT/state/authenticator_config.py (root-only, it holds secrets).
    extra = HUB_ROOT / "state" / "authenticator_config.py"
    if not extra.is_file():
        sys.exit(f"no authenticator: set HUB_DEMO=1 for a local demo, or write {extra} "
                 "(see the comments in tools/hub/jupyterhub_config.py and the README)")
    load_subconfig(str(extra))  # noqa: F821 (provided by JupyterHub)


# --- each student's server ----------------------------------------------------------------
class CourseSpawner(LocalProcessSpawner):
    """LocalProcessSpawner that runs hub user `alice` as Unix user `dsc-alice`, provisioned first."""

    def make_preexec_fn(self, name):
        return set_user_setuid(accounts.system_name(name))

    def user_env(self, env):
        home = str(accounts.home_of(HUB_ROOT, self.user.name))
        env.update(USER=accounts.system_name(self.user.name), HOME=home, SHELL="/bin/bash",
                   XDG_CACHE_HOME=f"{home}/.cache",
                   COURSE_INBOUND=str(HUB_ROOT / "exchange" / "inbound" / self.user.name))
        return env

    async def move_certs(self, paths):  # internal TLS is not used on one machine
        return paths


def provision(spawner):
    info = accounts.provision(HUB_ROOT, spawner.user.name)
    spawner.log.info("provisioned %s: %s new notebooks, %s cache entries", info["user"],
                     len(info["new_notebooks"]), info["cache_entries_added"])


c.JupyterHub.spawner_class = CourseSpawner
c.Spawner.pre_spawn_hook = provision
c.Spawner.ip = "127.0.0.1"
c.Spawner.cmd = [str(VENV / "bin" / "jupyterhub-singleuser")]
c.Spawner.notebook_dir = str(HUB_ROOT / "home" / "{username}" / "course")
c.Spawner.default_url = "/lab/tree/notebooks"
c.Spawner.env_keep = ["LANG", "LC_ALL"]
c.Spawner.environment = {
    **accounts.toolchain_env(HUB_ROOT),  # the hub's toolchain, evcxr and venv; nothing under /root
    "PYTHONPATH": str(COURSE / "tools" / "hub"),
    "HUB_MAX_SUBMISSION_MB": os.environ.get("HUB_MAX_SUBMISSION_MB", "20"),
}
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120

# --- idle servers stop, so a class's forgotten kernels do not hold its memory --------------
cull = int(os.environ.get("HUB_CULL_IDLE", "3600"))
if cull > 0:
    c.JupyterHub.load_roles = [{"name": "idle-culler", "services": ["idle-culler"],
                                "scopes": ["list:users", "read:users:activity", "read:servers",
                                           "delete:servers"]}]
    c.JupyterHub.services = [{"name": "idle-culler",
                              "command": [str(VENV / "bin" / "python"), "-m", "jupyterhub_idle_culler",
                                          f"--timeout={cull}"]}]
