"""Panel shapes used by the dashboards: time series with the per-window PCAP link, tables whose
rows link to their flow's packets, stats. Layout is a 24-column grid, filled left to right."""
from grafana_foundation_sdk.builders import (common as cb, piechart, stat, table,
                                             timeseries)
from grafana_foundation_sdk.models import common as cm
from grafana_foundation_sdk.models.dashboard import DataTransformerConfig, DynamicConfigValue

from . import common, links, queries

HIDE_SERIES = DynamicConfigValue(id_val="custom.hideFrom",
                                 value={"viz": True, "legend": True, "tooltip": True})


class Grid:
    """Places panels left to right, wrapping at 24 columns."""

    def __init__(self):
        self.x = self.y = self.row_h = 0

    def place(self, panel, w, h):
        if self.x + w > 24:
            self.x, self.y, self.row_h = 0, self.y + self.row_h, 0
        panel.grid_pos(_pos(self.x, self.y, w, h))
        self.x += w
        self.row_h = max(self.row_h, h)
        return panel

    def newline(self):
        if self.x:
            self.x, self.y, self.row_h = 0, self.y + self.row_h, 0
        return self.y


def _pos(x, y, w, h):
    from grafana_foundation_sdk.models.dashboard import GridPos
    return GridPos(x=x, y=y, w=w, h=h)


def time_series(title, description, unit, targets, window_query, flavour, *, min_interval=None,
                stack=False):
    """A time series whose points link to their window's packets; `window_query` (Lucene) is
    the panel's documents, used for query W (see queries.window_end)."""
    p = (timeseries.Panel().title(title).description(description).unit(unit)
         .interval(min_interval or common.MIN_INTERVAL).max_data_points(common.MAX_DATA_POINTS)
         .fill_opacity(10).line_width(1).show_points(cm.VisibilityMode.NEVER)
         .legend(cb.VizLegendOptions().show_legend(True).display_mode(cm.LegendDisplayMode.LIST)
                 .placement(cm.LegendPlacement.BOTTOM).calcs(["max", "mean"]))
         .tooltip(cb.VizTooltipOptions().mode(cm.TooltipDisplayMode.MULTI).sort(cm.SortOrder.DESCENDING))
         .data_links([links.window_link()])
         .override_by_name(links.WINDOW_END_FIELD, [HIDE_SERIES,
                                                   DynamicConfigValue(id_val="unit", value="none"),
                                                   DynamicConfigValue(id_val="decimals", value=0)]))
    if stack:
        p = p.stacking(cb.StackingConfig().mode(cm.StackingMode.NORMAL))
    for t in targets:
        p = p.with_target(t)
    p = p.with_target(queries.window_end(flavour, window_query))
    # One frame holding every series and the window end, so a data link on any series can read
    # the window end of the same row.
    return p.with_transformation(DataTransformerConfig(
        id_val="joinByField", options={"byField": "Time", "mode": "outer"}))


def plain_time_series(title, description, unit, targets, *, no_value=None, min_interval=None):
    """A time series without PCAP links (counts of things that are not packets in the ring)."""
    p = (timeseries.Panel().title(title).description(description).unit(unit)
         .interval(min_interval or common.MIN_INTERVAL).max_data_points(common.MAX_DATA_POINTS)
         .fill_opacity(10).show_points(cm.VisibilityMode.NEVER))
    if no_value:
        p = p.no_value(no_value)
    for t in targets:
        p = p.with_target(t)
    return p


def data_table(title, description, targets, row_link=None, units=None, sort_by=None):
    p = table.Panel().title(title).description(description)
    if row_link is not None:
        p = p.data_links([row_link])
    for name, unit in (units or {}).items():
        p = p.override_by_name(name, [DynamicConfigValue(id_val="unit", value=unit)])
    if sort_by:
        p = p.sort_by([cb.TableSortByFieldState().display_name(sort_by).desc(True)])
    for t in targets:
        p = p.with_target(t)
    return p


def stat_panel(title, description, unit, target, calc, *, min_interval=None, no_value=None):
    p = (stat.Panel().title(title).description(description).unit(unit)
         .interval(min_interval or common.MIN_INTERVAL).max_data_points(common.MAX_DATA_POINTS)
         .graph_mode(cm.BigValueGraphMode.NONE)
         .reduce_options(cb.ReduceDataOptions().calcs([calc]).values(False))
         .with_target(target))
    if no_value:
        p = p.no_value(no_value)
    return p


def pie(title, description, unit, target):
    return (piechart.Panel().title(title).description(description).unit(unit)
            .reduce_options(cb.ReduceDataOptions().calcs(["sum"]).values(True))
            .pie_type("donut").with_target(target))


# Display names the data source gives aggregated columns (Elasticsearch and OpenSearch alike).
SUM_BYTES = "Sum network.bytes"
SUM_PACKETS = "Sum network.packets"
TABLE_UNITS = {SUM_BYTES: "decbytes", SUM_PACKETS: "short"}
