"""Small helpers shared by the dashboard tests that need the Grafana runner without the full
data set of grafana_panels_test.py."""
import os

import yaml

import support

ALL = "$__all"
GRAFANA = os.path.join(support.SOURCE_DIR, "grafana")


def datasource_settings(flavour):
    with open(os.path.join(GRAFANA, "provisioning", "datasources",
                           "snapflow-%s.yaml" % flavour)) as f:
        js = yaml.safe_load(f)["datasources"][0]["jsonData"]
    return js.get("index") or js["database"], js["timeInterval"], js["timeField"]


def dashboards(flavour):
    folder = os.path.join(GRAFANA, "dashboards", flavour)
    return {name[:-5]: support.load_json(os.path.join(folder, name))
            for name in sorted(os.listdir(folder))}


def datasource_runner(flavour, url, prefix):
    """A GrafanaRunner on the provisioned data source's settings, with the index pattern
    pointed at the test's prefix; and the flavour's dashboards."""
    pattern, time_interval, time_field = datasource_settings(flavour)
    pattern = pattern.replace("[snapflow-]", "[%s-]" % prefix)
    return support.GrafanaRunner(url, pattern, time_interval, time_field), dashboards(flavour)
