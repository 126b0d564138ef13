"""oxdav configuration: Java properties files, context sets and the config cascade.

Public API::

    snapshot = load_config(Path("/etc/oxdav"))      # raises ConfigError
    snapshot.get("oxdav.listen.https")               # server-level value
    view = snapshot.for_scope(Scope.of(tags, context.config, user.config))
    view.get("com.openexchange.caldav.enabled")      # through the cascade
    holder = ConfigHolder(snapshot); holder.swap(new_snapshot)
"""

from oxdav.config.cascade import Scope, ScopedView
from oxdav.config.declarations import DECLARATIONS, Property
from oxdav.config.problems import ConfigError, Problem, Source
from oxdav.config.snapshot import ConfigHolder, ConfigSnapshot, load_config, restart_required

__all__ = [
    "DECLARATIONS",
    "ConfigError",
    "ConfigHolder",
    "ConfigSnapshot",
    "Problem",
    "Property",
    "Scope",
    "ScopedView",
    "Source",
    "load_config",
    "restart_required",
]
