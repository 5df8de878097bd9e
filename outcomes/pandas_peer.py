"""The pandas peer of ``kpis``: SPEC section 4's metrics written the way an analyst would
without this product (load the export files with pandas, groupby, merge), for the benchmark.

``kpis(folder, filters)`` reads the exports folder (``.csv`` or ``.parquet``, one file per
table) and returns the same dict as :func:`outcomes.kpis.kpis` (every key, ``detail`` with
numerators and denominators). It is meant to be a fair comparison: a straightforward
implementation, neither slowed down nor hand-tuned. It computes everything from the files on
every call (episode windows, stays, sessions, which episode a row belongs to), because an
analyst with pandas has no database holding those; the SQL side reads them from the model the
build stored. The benchmark reports the loading and the computing separately.

What it leaves out, because the demo exports do not need it (tests/test_pandas_peer.py checks
that the numbers equal the SQL's on demo data, where the build rejects nothing):

- the contract's checks and rejects, ``mapping.toml``, header folding, vocabulary aliases and
  ``MM/DD/YYYY`` dates: the demo writes canonical headers, codes and ISO dates;
- exact duplicate rows (the demo has none) and episodes of unknown clients.

It keeps every rule that changes a number on clean data: the as-of cut (rows and admissions
after it left out, later discharges unknown), stays chained over gaps of at most 14 days,
sessions made of the rows sharing a (client, session_id), the "belongs to" rule (the named
episode, else the latest-admitted episode whose window holds the date), the period cut at the
as-of date, and the thresholds of :mod:`outcomes.definitions`.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import definitions
from .contract import CODE, STATUS_ORDER, TABLES, TABLES_BY_NAME, TEXT, vocab_key
from .filters import Filters

DATE_COLUMNS = {
    "episodes": ("admit_date", "discharge_date"),
    "attendance": ("session_date",),
    "assessments": ("assessment_date",),
    "relapse_events": ("event_date",),
}
DAY = pd.Timedelta(days=1)


@dataclass
class Exports:
    """The five tables as DataFrames, dates as datetime64, each row's position in its file
    as ``line`` (the tie-break of SPEC's session rule)."""

    clients: pd.DataFrame
    episodes: pd.DataFrame
    attendance: pd.DataFrame
    assessments: pd.DataFrame
    relapse_events: pd.DataFrame
    seconds: dict = field(default_factory=dict)


def _file(folder: Path, table: str) -> Path | None:
    for ext in (".parquet", ".csv"):
        path = folder / f"{table}{ext}"
        if path.exists():
            return path
    return None


def _read(path: Path, table: str) -> pd.DataFrame:
    if path.suffix == ".parquet":
        frame = pd.read_parquet(path)
    else:
        # ids and codes stay text ("2.1" is a level, "007" an id), as the contract types them
        text = {c.name: "str" for c in TABLES_BY_NAME[table].columns if c.type in (TEXT, CODE)}
        frame = pd.read_csv(path, dtype=text)
    for column in TABLES_BY_NAME[table].names:  # optional columns the export leaves out
        if column not in frame.columns:
            frame[column] = None
    for column in DATE_COLUMNS.get(table, ()):
        frame[column] = pd.to_datetime(frame[column])
    frame["line"] = np.arange(1, len(frame) + 1)
    return frame


def load(folder: Path) -> Exports:
    """Read the exports folder (clients is optional, as in the contract)."""
    folder = Path(folder)
    frames, seconds = {}, {}
    for table in TABLES:
        started = time.perf_counter()
        path = _file(folder, table.name)
        if path is None:
            if table.required:
                raise FileNotFoundError(f"{folder}: no {table.name}.csv or {table.name}.parquet")
            frames[table.name] = pd.DataFrame({name: pd.Series(dtype="str") for name in table.names})
        else:
            frames[table.name] = _read(path, table.name)
        seconds[table.name] = time.perf_counter() - started
    return Exports(**frames, seconds=seconds)


def as_of_date(data: Exports) -> pd.Timestamp:
    """The latest admit, discharge, session, assessment or event date (SPEC section 3)."""
    return pd.Series([
        data.episodes["admit_date"].max(), data.episodes["discharge_date"].max(),
        data.attendance["session_date"].max(), data.assessments["assessment_date"].max(),
        data.relapse_events["event_date"].max(),
    ]).max()


# ---------------------------------------------------------------------------------------------
# The model: episode windows, stays, sessions and the episode each belongs to
# ---------------------------------------------------------------------------------------------


def episode_windows(episodes: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Episodes known on the as-of date with window_end, level_code/level_num and stay_id."""
    e = episodes[episodes["admit_date"] <= as_of].copy()
    known = e["discharge_date"] <= as_of
    e["discharge_date"] = e["discharge_date"].where(known)
    e["discharge_reason"] = e["discharge_reason"].where(known)
    e["is_open"] = e["discharge_date"].isna()
    e["window_end"] = e["discharge_date"].fillna(as_of)
    e["level_code"] = e["level_of_care"].str.replace("-WM", "", regex=False)
    e["level_num"] = e["level_code"].astype(float)

    # Stays: in admit order, an episode joins the stay unless every earlier episode is
    # discharged and it comes more than 14 days after the latest of those discharges.
    e = e.sort_values(["client_id", "admit_date", "episode_id"]).reset_index(drop=True)
    client = e["client_id"]
    open_so_far = e["is_open"].astype(int).groupby(client, sort=False).cummax()
    latest_so_far = e["discharge_date"].groupby(client, sort=False).cummax()
    earlier_open = open_so_far.groupby(client, sort=False).shift()  # NaN: the first episode
    earlier_latest = latest_so_far.groupby(client, sort=False).shift()
    gap = (e["admit_date"] - earlier_latest).dt.days
    starts = earlier_open.isna() | ((earlier_open == 0) & (gap > definitions.STAY_GAP_DAYS))
    e["stay_id"] = starts.cumsum()
    return e


def stays(windows: pd.DataFrame) -> pd.DataFrame:
    """One row per stay: is_ended, end_date and end_reason (of the latest discharge; the
    latest-admitted episode, then the greatest episode_id, on a tie)."""
    ordered = windows.sort_values(["stay_id", "discharge_date", "admit_date", "episode_id"])
    last = ordered.groupby("stay_id").tail(1).set_index("stay_id")
    result = windows.groupby("stay_id").agg(any_open=("is_open", "any"), end_date=("discharge_date", "max"))
    result["is_ended"] = ~result.pop("any_open")
    result["end_reason"] = last["discharge_reason"]
    result.loc[~result["is_ended"], ["end_date", "end_reason"]] = None
    return result


def sessions(attendance: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Attendance rows dated on or before the as-of date made into sessions: rows of one client
    sharing a session_id are one session, spoken for by the first row by status (attended,
    no_show, cancelled, excused), then date, then file line."""
    rows = attendance[attendance["session_date"] <= as_of]
    keyed = rows["session_id"].notna()
    repeated = keyed & rows.duplicated(["client_id", "session_id"], keep=False)
    if not repeated.any():
        return rows
    group = rows[repeated].assign(status_rank=rows.loc[repeated, "status"].map(
        {s: i for i, s in enumerate(STATUS_ORDER)}))
    picked = (group.sort_values(["client_id", "session_id", "status_rank", "session_date", "line"])
              .drop_duplicates(["client_id", "session_id"]).drop(columns="status_rank"))
    return pd.concat([rows[~repeated], picked])


def belonging(rows: pd.DataFrame, date_column: str, windows: pd.DataFrame) -> pd.Series:
    """The episode each row belongs to (index-aligned with ``rows``): the episode its
    episode_id names when that is a known episode of the same client; else the client's
    episode whose window holds the date (the latest admit_date, then the latest window end,
    then the greatest episode_id); else missing."""
    owner = windows.set_index("episode_id")["client_id"]
    named_ok = rows["episode_id"].map(owner) == rows["client_id"]
    result = rows["episode_id"].where(named_ok)
    rest = rows.loc[~named_ok.fillna(False).astype(bool), ["client_id", date_column]]
    candidates = rest.reset_index(names="row").merge(
        windows[["client_id", "episode_id", "admit_date", "window_end"]], on="client_id")
    inside = candidates[(candidates[date_column] >= candidates["admit_date"])
                        & (candidates[date_column] <= candidates["window_end"])]
    best = (inside.sort_values(["row", "admit_date", "window_end", "episode_id"])
            .drop_duplicates("row", keep="last").set_index("row")["episode_id"])
    result.loc[best.index] = best
    return result


# ---------------------------------------------------------------------------------------------
# The metrics
# ---------------------------------------------------------------------------------------------


def _between(values: pd.Series, low, high) -> pd.Series:
    return (values >= low) & (values <= high)


def _clip(frame: pd.DataFrame, p0: pd.Timestamp, p1: pd.Timestamp) -> pd.DataFrame:
    """Focus windows that overlap the period, cut to it (day_from .. day_to)."""
    overlap = frame[(frame["admit_date"] <= p1) & (frame["window_end"] >= p0)].copy()
    overlap["day_from"] = overlap["admit_date"].clip(lower=p0)
    overlap["day_to"] = overlap["window_end"].clip(upper=p1)
    return overlap


def _client_days(windows: pd.DataFrame) -> int:
    """Distinct (client, day) pairs covered by the windows (overlaps count once)."""
    if windows.empty:
        return 0
    w = windows.sort_values(["client_id", "day_from", "day_to"]).reset_index(drop=True)
    by_client = w.groupby("client_id", sort=False)
    earlier_to = by_client["day_to"].cummax().groupby(w["client_id"], sort=False).shift()
    island = (earlier_to.isna() | (w["day_from"] > earlier_to)).cumsum()
    spans = w.groupby(island).agg(first=("day_from", "min"), last=("day_to", "max"))
    return int(((spans["last"] - spans["first"]).dt.days + 1).sum())


def kpis(data: Exports | Path | str, filters: Filters, as_of: dt.date | None = None) -> dict:
    """SPEC section 4's metrics for the filters, in the layout of ``outcomes.kpis.kpis``."""
    if not isinstance(data, Exports):
        data = load(Path(data))
    as_of = pd.Timestamp(as_of) if as_of is not None else as_of_date(data)
    p0, p1 = pd.Timestamp(filters.start), min(pd.Timestamp(filters.end), as_of)

    windows = episode_windows(data.episodes, as_of)
    scope = pd.Series(True, index=windows.index)
    if filters.program is not None:
        scope &= windows["program"] == filters.program
    if filters.site is not None:
        scope &= windows["site"] == filters.site
    focus = windows[scope & windows["level_code"].isin(filters.focus)]
    stay_table = stays(windows)

    s = sessions(data.attendance, as_of)
    s = s.assign(episode_id=belonging(s, "session_date", windows))
    episode_info = windows.set_index("episode_id")
    s["stay_id"] = s["episode_id"].map(episode_info["stay_id"])
    treatment = s[(s["status"] == "attended") & (s["session_type"] != "workshop") & s["stay_id"].notna()]
    workshops = s[(s["session_type"] == "workshop") & (s["status"] == "attended")]

    result: dict = {"as_of": as_of.date().isoformat()}
    detail: dict = {}

    def rate(key, numerator, denominator, value=None):
        numerator, denominator = int(numerator), int(denominator)
        if value is None and denominator:
            value = numerator / denominator
        result[key] = float(value) if denominator else None
        detail[key] = {"numerator": numerator, "denominator": denominator}

    admitted = focus[_between(focus["admit_date"], p0, p1)]
    result["admissions"] = len(admitted)

    discharged = focus[_between(focus["discharge_date"], p0, p1)]
    result["discharges"] = len(discharged)
    rate("completion_rate", (discharged["discharge_reason"] == "completed").sum(), len(discharged))
    los = (discharged["discharge_date"] - discharged["admit_date"]).dt.days
    result["median_los_days"] = float(los.median()) if len(los) else None

    # continuation: 5 attended treatment sessions of the stay dated admit .. admit + 30
    window = definitions.CONTINUATION_DAYS
    eligible = admitted[admitted["admit_date"] + window * DAY <= as_of]
    early = eligible[["episode_id", "stay_id", "admit_date"]].merge(
        treatment[["stay_id", "session_date"]], on="stay_id")
    early = early[_between(early["session_date"], early["admit_date"], early["admit_date"] + window * DAY)]
    counts = eligible["episode_id"].map(early.groupby("episode_id").size()).fillna(0)
    rate("continuation_rate", (counts >= definitions.CONTINUATION_SESSIONS).sum(), len(eligible))

    # retention: an attended treatment session of the stay on or after day N, or completed
    last_seen = treatment.groupby("stay_id")["session_date"].max()
    with_stay = admitted.join(stay_table, on="stay_id")
    for days in filters.retention_days:
        horizon = with_stay["admit_date"] + days * DAY
        transferred_before = (with_stay["is_ended"] & (with_stay["end_reason"] == "transferred")
                              & (with_stay["end_date"] < horizon))
        keep = (horizon <= as_of) & ~transferred_before
        retained = ((with_stay["stay_id"].map(last_seen) >= horizon)
                    | (with_stay["is_ended"] & (with_stay["end_reason"] == "completed")))
        rate(f"retention_{days}d", (keep & retained).sum(), keep.sum())

    in_period = s[_between(s["session_date"], p0, p1) & s["episode_id"].isin(focus["episode_id"])]
    attended = (in_period["status"] == "attended").sum()
    rate("attendance_rate", attended, attended + (in_period["status"] == "no_show").sum())

    result["active_census_end"] = 0 if p0 > p1 else int((
        (focus["admit_date"] <= p1) & (focus["discharge_date"].isna() | (focus["discharge_date"] > p1))
    ).sum())

    later = windows[["client_id", "level_num", "admit_date"]]

    def moved(discharges: pd.DataFrame, days: int, lower: bool) -> int:
        pairs = discharges[["episode_id", "client_id", "level_num", "discharge_date"]].merge(
            later, on="client_id", suffixes=("", "_later"))
        level_ok = (pairs["level_num_later"] < pairs["level_num"]) if lower else (
            pairs["level_num_later"] > pairs["level_num"])
        in_time = _between(pairs["admit_date"], pairs["discharge_date"], pairs["discharge_date"] + days * DAY)
        return pairs.loc[level_ok & in_time, "episode_id"].nunique()

    high = windows[scope & (windows["level_num"] >= 3.0) & _between(windows["discharge_date"], p0, p1)
                   & windows["discharge_reason"].isin(["completed", "transferred"])]
    for days in definitions.STEP_DOWN_DAYS:
        eligible = high[high["discharge_date"] + days * DAY <= as_of]
        rate(f"step_down_{days}d_rate", moved(eligible, days, lower=True), len(eligible))
    days = definitions.STEP_UP_DAYS
    eligible = discharged[discharged["discharge_date"] + days * DAY <= as_of]
    rate("step_up_rate", moved(eligible, days, lower=False), len(eligible))

    # relapse: relapse days inside focus windows, per 1,000 client-days
    clipped = _clip(focus, p0, p1)
    events = data.relapse_events[data.relapse_events["event_date"] <= as_of]
    hits = events[["client_id", "event_date"]].merge(
        clipped[["episode_id", "client_id", "day_from", "day_to"]], on="client_id")
    hits = hits[_between(hits["event_date"], hits["day_from"], hits["day_to"])]
    relapse_days = len(hits[["client_id", "event_date"]].drop_duplicates())
    client_days = _client_days(clipped)
    rate("relapse_rate_per_1000_days", relapse_days, client_days,
         value=1000.0 * relapse_days / client_days if client_days else None)
    rate("relapse_episode_rate", hits["episode_id"].nunique(), len(clipped))

    # reliable improvement: baseline admit - 7 .. admit + 14, follow-up baseline + 14 .. discharge
    scores = data.assessments[data.assessments["assessment_date"] <= as_of]
    measured_phq9 = 0
    for thresholds in definitions.INSTRUMENT_THRESHOLDS:
        daily = (scores[scores["instrument"] == thresholds.instrument]
                 .groupby(["client_id", "assessment_date"], as_index=False)["score"].mean())
        pairs = discharged[["episode_id", "client_id", "admit_date", "discharge_date"]].merge(daily, on="client_id")
        base = pairs[_between(pairs["assessment_date"], pairs["admit_date"] - 7 * DAY, pairs["admit_date"] + 14 * DAY)]
        base = base.sort_values("assessment_date").drop_duplicates("episode_id")[
            ["episode_id", "assessment_date", "score"]].rename(
            columns={"assessment_date": "baseline_date", "score": "baseline"})
        follow = pairs.merge(base, on="episode_id")
        follow = follow[_between(follow["assessment_date"], follow["baseline_date"] + 14 * DAY,
                                 follow["discharge_date"])]
        follow = follow.sort_values("assessment_date").drop_duplicates("episode_id", keep="last")
        measured = len(follow)
        improved = int((follow["baseline"] - follow["score"] >= thresholds.reliable_change).sum())
        key = thresholds.instrument.replace("-", "").lower()
        rate(f"{key}_reliable_improvement_rate", improved, measured)
        if thresholds.instrument == "PHQ-9":
            measured_phq9 = measured
    rate("measurement_completion_rate", measured_phq9, len(discharged))

    # workshops held: a workshop is its session_id, else its date and topic
    held = workshops[_between(workshops["session_date"], p0, p1)]
    if filters.program is not None:  # only rows that belong to an episode of the program
        held = held[held["episode_id"].map(episode_info["program"]) == filters.program]
    if filters.site is not None:
        held = held[held["episode_id"].map(episode_info["site"]) == filters.site]
    topic = held["topic"].map({t: vocab_key(t) for t in held["topic"].dropna().unique()}).fillna("")
    key = ("id:" + held["session_id"]).fillna(
        "date:" + held["session_date"].dt.strftime("%Y-%m-%d") + "|" + topic)
    result["workshops_held"] = key.nunique()

    # workshop and family reach: a workshop attended inside the window of a 14-day episode
    eligible = _clip(focus, p0, p1)
    eligible = eligible[(eligible["window_end"] - eligible["admit_date"]).dt.days >= 13]
    visits = eligible[["episode_id", "client_id", "admit_date", "window_end"]].merge(
        workshops[["client_id", "session_date", "guests"]], on="client_id")
    visits = visits[_between(visits["session_date"], visits["admit_date"], visits["window_end"])]
    rate("workshop_reach_rate", visits["episode_id"].nunique(), len(eligible))
    rate("family_reach_rate", visits.loc[visits["guests"].fillna(0) >= 1, "episode_id"].nunique(), len(eligible))

    result["detail"] = detail
    return result
