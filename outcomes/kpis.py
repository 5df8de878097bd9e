"""The metrics of SPEC section 4 for one period: ``kpis(con, filters)``.

Each metric is a query under ``queries/metrics``; this module runs them and lays the result out
as the ``kpis`` command prints it: every key at the top level (rates as fractions, null when
the denominator is 0; counts as integers) and ``detail`` with the numerator and denominator of
each rate.
"""

from __future__ import annotations

import json
import math

import duckdb
import pandas as pd

from .filters import Filters
from .runner import run

# The queries the headline metrics come from (pages name them too).
KPI_QUERIES = (
    "as_of", "admissions", "discharge_outcomes", "continuation_rate", "retention_rate", "attendance_rate",
    "active_census", "step_down_rate", "step_up_rate", "relapse_rate", "relapse_episode_rate",
    "reliable_improvement", "workshops_held", "workshop_reach",
)


def _count(value) -> int:
    return 0 if value is None or (isinstance(value, float) and math.isnan(value)) else int(value)


def _number(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def kpis(con: duckdb.DuckDBPyConnection, filters: Filters, runner=run) -> dict:
    """Every section-4 key for the filters. ``runner(con, name, params)`` runs one named
    query (the pages pass a cached one)."""
    params = filters.params()

    def one(name):
        return runner(con, name, params)

    result: dict = {"as_of": pd.Timestamp(one("as_of").iloc[0]["as_of"]).date().isoformat()}
    detail: dict = {}

    def rate(key, numerator, denominator, value=None):
        numerator, denominator = _count(numerator), _count(denominator)
        if value is None:
            value = numerator / denominator if denominator else None
        result[key] = _number(value) if denominator else None
        detail[key] = {"numerator": numerator, "denominator": denominator}

    result["admissions"] = _count(one("admissions").iloc[0]["admissions"])
    discharges = one("discharge_outcomes").iloc[0]
    result["discharges"] = _count(discharges["discharges"])
    rate("completion_rate", discharges["completed"], discharges["discharges"])
    result["median_los_days"] = _number(discharges["median_los_days"])
    continuation = one("continuation_rate").iloc[0]
    rate("continuation_rate", continuation["continued"], continuation["eligible"])
    for row in one("retention_rate").itertuples():
        rate(f"retention_{int(row.days)}d", row.retained, row.eligible)
    attendance = one("attendance_rate").iloc[0]
    rate("attendance_rate", attendance["attended"],
         _count(attendance["attended"]) + _count(attendance["no_show"]))
    result["active_census_end"] = _count(one("active_census").iloc[0]["active_census_end"])
    for row in one("step_down_rate").itertuples():
        rate(f"step_down_{int(row.days)}d_rate", row.stepped_down, row.eligible)
    step_up = one("step_up_rate").iloc[0]
    rate("step_up_rate", step_up["stepped_up"], step_up["eligible"])
    relapse = one("relapse_rate").iloc[0]
    rate("relapse_rate_per_1000_days", relapse["relapse_days"], relapse["client_days"],
         value=_number(relapse["rate_per_1000_days"]))
    episodes = one("relapse_episode_rate").iloc[0]
    rate("relapse_episode_rate", episodes["with_relapse"], episodes["episodes"])
    improvement = one("reliable_improvement").set_index("instrument")
    for instrument, key in (("PHQ-9", "phq9"), ("GAD-7", "gad7")):
        row = improvement.loc[instrument]
        rate(f"{key}_reliable_improvement_rate", row["improved"], row["measured"])
    phq9 = improvement.loc["PHQ-9"]
    rate("measurement_completion_rate", phq9["measured"], phq9["discharges"])
    result["workshops_held"] = _count(one("workshops_held").iloc[0]["workshops_held"])
    reach = one("workshop_reach").iloc[0]
    rate("workshop_reach_rate", reach["reached"], reach["eligible"])
    rate("family_reach_rate", reach["family_reached"], reach["eligible"])
    result["detail"] = detail
    return result


def to_json(values: dict) -> str:
    return json.dumps(values, indent=2)


def to_table(values: dict, filters: Filters) -> str:
    """The readable form of ``kpis`` (without --json)."""
    from .definitions import metric

    lines = [
        f"Period {filters.start} .. {filters.end}; as-of {values['as_of']}; focus levels "
        f"{', '.join(filters.focus)}"
        + (f"; program {filters.program}" if filters.program else "")
        + (f"; site {filters.site}" if filters.site else ""),
        "",
    ]
    for key, value in values.items():
        if key in ("as_of", "detail"):
            continue
        label = metric(key).label
        if key in values["detail"]:
            d = values["detail"][key]
            if value is None:
                shown = "n/a"
            elif key == "relapse_rate_per_1000_days":
                shown = f"{value:.2f}"
            else:
                shown = f"{value:.1%}"
            lines.append(f"{label:<40} {shown:>9}   ({d['numerator']:,} / {d['denominator']:,})")
        elif key == "median_los_days":
            lines.append(f"{label:<40} {'n/a' if value is None else f'{value:g} days':>9}")
        else:
            lines.append(f"{label:<40} {value:>9,}")
    return "\n".join(lines)
