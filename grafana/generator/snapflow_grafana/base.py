"""The dashboard frame every snapflow dashboard shares: uid per flavour, tags, variables, time."""
from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.models.dashboard import DashboardLinkType

from . import common


def dashboard(flavour, key, title, description, *, host_required=False):
    kind = common.FLAVOURS[flavour]["title"]
    d = (db.Dashboard("snapflow: %s (%s)" % (title, kind))
         .uid("snapflow-%s-%s" % (key, flavour[:2]))
         .description(description)
         .tags(["snapflow", flavour])
         .editable()
         .timezone("utc")
         .time("now-15m", "now")
         .refresh("")
         .link(db.DashboardLink("snapflow dashboards").type(DashboardLinkType.DASHBOARDS)
               .tags(["snapflow", flavour]).as_dropdown(True).include_vars(True).keep_time(True)))
    for v in common.variables(flavour, host_required=host_required):
        d = d.with_variable(v)
    return d


def add(d, grid, panel, w, h):
    return d.with_panel(grid.place(panel, w, h))
