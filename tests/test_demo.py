"""The demo generator (outcomes.demo): deterministic, valid against the export contract, and
clinically plausible enough to drive every chart of the dashboard."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from outcomes import demo

START = dt.date(2024, 5, 1)
LAST_DAY = dt.date(2026, 10, 31)  # the day before START + 30 months

VOCABULARIES = {
    ("clients", "gender"): demo.GENDERS,
    ("clients", "race_ethnicity"): demo.RACES,
    ("clients", "primary_substance"): demo.SUBSTANCES,
    ("clients", "referral_source"): demo.REFERRALS,
    ("clients", "payer"): demo.PAYERS,
    ("episodes", "level_of_care"): ("3.7-WM", "3.5", "2.5", "2.1", "1.0"),
    ("episodes", "program"): ("Adult IOP", "Young Adult", "Dual Diagnosis"),
    ("episodes", "site"): ("Northside", "Riverside"),
    ("attendance", "session_type"): ("group", "individual", "family", "workshop", "medication",
                                     "other"),
    ("attendance", "status"): ("attended", "no_show", "cancelled", "excused"),
    ("attendance", "clinician"): demo.CLINICIANS,
    ("assessments", "instrument"): ("PHQ-9", "GAD-7", "BAM"),
    ("relapse_events", "event_type"): ("positive_screen", "self_report", "collateral_report",
                                       "overdose", "other"),
    ("relapse_events", "substance"): demo.SUBSTANCES,
}
REASONS = ("completed", "transferred", "dropped_out", "terminated", "incarcerated", "deceased",
           "other")
DATE_COLUMNS = {
    "episodes": ("admit_date", "discharge_date"),
    "attendance": ("session_date",),
    "assessments": ("assessment_date",),
    "relapse_events": ("event_date",),
}


def read_csv(out, table: str) -> pd.DataFrame:
    """A CSV export as the text it holds (empty cells stay empty strings)."""
    return pd.read_csv(out / f"{table}.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def demo_csv(tmp_path_factory):
    """3,000 clients over the default two years ('auto' writes CSV below 10,000 clients)."""
    out = tmp_path_factory.mktemp("demo_csv")
    counts = demo.generate(out, clients=3000, seed=7)
    return counts, {table: read_csv(out, table) for table in demo.TABLE_NAMES}


# -- determinism and formats ------------------------------------------------------------------


def test_same_seed_gives_byte_identical_files_and_another_seed_differs(tmp_path, monkeypatch):
    monkeypatch.setattr(demo, "CHUNK_CLIENTS", 120)  # three chunks: ids run on across them
    for fmt in ("csv", "parquet"):
        runs = {}
        for name, seed in (("a", 3), ("b", 3), ("c", 4)):
            out = tmp_path / f"{fmt}-{name}"
            demo.generate(out, clients=300, seed=seed, fmt=fmt)
            runs[name] = {t: (out / f"{t}.{fmt}").read_bytes() for t in demo.TABLE_NAMES}
        assert runs["a"] == runs["b"], fmt
        for table in ("episodes", "attendance", "assessments", "relapse_events"):
            assert runs["a"][table] != runs["c"][table], (fmt, table)


def test_parquet_types_row_groups_and_counts(tmp_path, monkeypatch):
    monkeypatch.setattr(demo, "CHUNK_CLIENTS", 100)
    counts = demo.generate(tmp_path, clients=250, seed=1, fmt="parquet")
    expected = {pa.string(): "text", pa.date32(): "date", pa.int32(): "int",
                pa.float64(): "number"}
    for table in demo.TABLE_NAMES:
        file = pq.ParquetFile(tmp_path / f"{table}.parquet")
        assert file.schema_arrow == demo.SCHEMAS[table]
        assert all(f.type in expected for f in file.schema_arrow)
        assert file.metadata.num_rows == counts[table]
        if counts[table]:
            assert file.metadata.num_row_groups <= 3  # one per chunk of 100 clients
    ids = pq.read_table(tmp_path / "clients.parquet").column("client_id").to_pylist()
    assert ids == [f"C{i:06d}" for i in range(1, 251)]
    assert pq.read_table(tmp_path / "attendance.parquet").schema.field("session_date").type == \
        pa.date32()


def test_csv_header_nulls_and_iso_dates(tmp_path):
    counts = demo.generate(tmp_path, clients=50, seed=2, fmt="csv")
    lines = (tmp_path / "attendance.csv").read_text().splitlines()
    assert lines[0] == ("client_id,episode_id,session_id,session_date,session_type,status,"
                        "topic,clinician,duration_minutes,guests")
    assert len(lines) == counts["attendance"] + 1
    assert re.fullmatch(r"C\d{6},(E\d{7})?,[^,]*,\d{4}-\d{2}-\d{2},\w+,\w+,[^,]*,[^,]+,\d+,\d*",
                        lines[1])
    assert read_csv(tmp_path, "episodes").columns.tolist() == demo.SCHEMAS["episodes"].names


def test_auto_format_and_stale_files_of_the_other_format(tmp_path):
    (tmp_path / "attendance.parquet").write_bytes(b"old")
    demo.generate(tmp_path, clients=20, seed=1)  # auto: CSV under 10,000 clients
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{t}.csv" for t in demo.TABLE_NAMES)


def test_progress_reports_at_most_every_five_percent(tmp_path, monkeypatch):
    monkeypatch.setattr(demo, "CHUNK_CLIENTS", 10)
    messages = []
    demo.generate(tmp_path, clients=500, seed=1, progress=messages.append)
    assert 1 <= len(messages) <= 21
    assert messages[-1] == "generated 500 / 500 clients"


def test_window_is_never_in_the_future(tmp_path):
    today = dt.date.today()
    demo.generate(tmp_path, clients=40, seed=1, start=today - dt.timedelta(days=60), months=6)
    episodes = read_csv(tmp_path, "episodes")
    attendance = read_csv(tmp_path, "attendance")
    assert max(episodes.admit_date.max(), attendance.session_date.max()) <= today.isoformat()


def test_no_clients_gives_header_only_files_and_one_client_works(tmp_path):
    counts = demo.generate(tmp_path / "none", clients=0)
    assert counts == dict.fromkeys(demo.TABLE_NAMES, 0)
    for table in demo.TABLE_NAMES:
        text = (tmp_path / "none" / f"{table}.csv").read_text()
        assert text == ",".join(demo.SCHEMAS[table].names) + "\n"
    counts = demo.generate(tmp_path / "one", clients=1, seed=5, fmt="parquet")
    assert counts["clients"] == 1 and counts["episodes"] >= 1


def test_bad_arguments():
    with pytest.raises(ValueError):
        demo.generate("unused", clients=10, fmt="xlsx")
    with pytest.raises(ValueError):
        demo.generate("unused", clients=10, months=0)


# -- valid values -----------------------------------------------------------------------------


def test_row_counts_returned(demo_csv):
    counts, tables = demo_csv
    assert counts == {t: len(df) for t, df in tables.items()}
    assert counts["clients"] == 3000


def test_every_value_in_its_vocabulary(demo_csv):
    _, t = demo_csv
    for (table, column), values in VOCABULARIES.items():
        assert set(t[table][column]) <= set(values), (table, column)
    episodes = t["episodes"]
    closed = episodes.discharge_date != ""
    assert set(episodes.discharge_reason[closed]) <= set(REASONS)
    assert (episodes.discharge_reason[~closed] == "").all()
    assert 0 < (~closed).sum() < 0.2 * len(episodes)  # some episodes still open at the end
    birth = t["clients"].birth_year.astype(int)
    assert birth.between(1950, 2006).all() and birth.between(1975, 2000).mean() > 0.6


def test_dates_in_the_window_and_discharge_not_before_admit(demo_csv):
    _, t = demo_csv
    for table, columns in DATE_COLUMNS.items():
        for column in columns:
            values = t[table][column]
            values = values[values != ""]
            assert values.str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
            assert values.min() >= START.isoformat() and values.max() <= LAST_DAY.isoformat(), (
                table, column)
    episodes = t["episodes"]
    closed = episodes[episodes.discharge_date != ""]
    assert (closed.discharge_date >= closed.admit_date).all()
    first_admit = episodes.groupby("client_id").admit_date.min()
    assert first_admit.max() <= (LAST_DAY - dt.timedelta(days=20)).isoformat()


def test_ids_unique_and_references_hold(demo_csv):
    _, t = demo_csv
    clients, episodes = t["clients"], t["episodes"]
    assert clients.client_id.is_unique and clients.client_id.str.fullmatch(r"C\d{6,}").all()
    assert episodes.episode_id.is_unique and episodes.episode_id.str.fullmatch(r"E\d{7,}").all()
    assert set(episodes.client_id) <= set(clients.client_id)
    owner = dict(zip(episodes.episode_id, episodes.client_id))
    for table, share in (("attendance", 0.92), ("assessments", 0.90), ("relapse_events", 0.85)):
        df = t[table]
        assert set(df.client_id) <= set(clients.client_id)
        named = df[df.episode_id != ""]
        assert (named.episode_id.map(owner) == named.client_id).all(), table
        assert abs(len(named) / len(df) - share) < 0.03, table


def test_a_client_keeps_one_program(demo_csv):
    _, t = demo_csv
    assert (t["episodes"].groupby("client_id").program.nunique() == 1).all()


def test_sessions_ids_durations_and_days_in_care(demo_csv):
    _, t = demo_csv
    att = t["attendance"]
    patterns = {
        "group": r"G-[NR]-\d{8}-(am|pm)", "individual": r"I-\d{8}", "family": r"F-\d{8}",
        "medication": r"M-\d{8}", "other": r"O-\d{8}", "workshop": r"WS-[NR]-\d{8}",
    }
    with_id = att[att.session_id != ""]
    for kind, pattern in patterns.items():
        ids = with_id.session_id[with_id.session_type == kind]
        assert len(ids) and ids.str.fullmatch(pattern).all(), kind
    shared = with_id[with_id.session_type.isin(["group", "workshop"])]
    stamp = shared.session_id.str.extract(r"-(\d{8})")[0]
    assert (stamp == shared.session_date.str.replace("-", "")).all()
    assert not with_id.duplicated(["client_id", "session_id"]).any()
    assert att.session_id[att.session_type == "workshop"].ne("").all()
    blank = (att.session_id[att.session_type != "workshop"] == "").mean()
    assert 0.02 < blank < 0.04
    # Durations by type and level of care.
    level = att.episode_id.map(dict(zip(t["episodes"].episode_id, t["episodes"].level_of_care)))
    minutes = att.duration_minutes.astype(int)
    group = att.session_type == "group"
    for lvl, expected in (("2.1", 180), ("2.5", 360), ("3.5", 90), ("1.0", 60)):
        assert set(minutes[group & (level == lvl)]) == {expected}, lvl
    for kind, expected in (("individual", 50), ("family", 60), ("medication", 20),
                           ("workshop", 120)):
        assert set(minutes[att.session_type == kind]) == {expected}, kind
    # Rows that name an episode fall inside it.
    ep = t["episodes"].set_index("episode_id")
    named = att[att.episode_id != ""]
    admit = named.episode_id.map(ep.admit_date)
    end = named.episode_id.map(ep.discharge_date.replace("", LAST_DAY.isoformat()))
    assert ((named.session_date >= admit) & (named.session_date <= end)).all()


def test_workshops_topics_guests_and_cadence(demo_csv):
    _, t = demo_csv
    att = t["attendance"]
    ws = att[att.session_type == "workshop"]
    assert set(ws.topic) == set(demo.TOPICS)
    assert (att.topic[att.session_type != "workshop"] == "").all()
    assert (att.guests[att.session_type != "workshop"] == "").all()
    guests = ws.guests.astype(int)
    assert (guests >= 0).all() and guests.between(0, 3).mean() > 0.99
    assert 0 < (guests == 4).sum() < 0.01 * len(ws)
    assert (guests[ws.status == "attended"] <= 2).mean() > 0.8
    for site in "NR":
        held = ws[ws.session_id.str.startswith(f"WS-{site}-")].drop_duplicates("session_id")
        held = held.sort_values("session_date")
        days = pd.to_datetime(held.session_date)
        assert (days.dt.day_of_week == 5).all()  # Saturdays
        gaps = days.diff().dt.days.dropna()
        assert (gaps % 14 == 0).all() and (gaps > 21).any()
        # Topics rotate in curriculum order (a workshop nobody came to would skip one).
        index = held.topic.map(demo.TOPICS.index)
        assert ((index.diff().dropna() % 4) == 1).mean() > 0.9


def test_scores_in_range(demo_csv):
    _, t = demo_csv
    a = t["assessments"]
    score = a.score.astype(float)
    phq, gad, bam = (a.instrument == name for name in ("PHQ-9", "GAD-7", "BAM"))
    assert score[phq].between(0, 27).all() and (score[phq] % 1 == 0).all()
    assert score[gad].between(0, 21).all() and (score[gad] % 1 == 0).all()
    assert score[bam].between(0, 100).all() and (score[bam] * 10 % 1 < 1e-6).all()
    assert 0.25 < a.client_id[bam].nunique() / len(t["clients"]) < 0.42


# -- clinical plausibility --------------------------------------------------------------------


def test_iop_discharge_reasons_near_teds(demo_csv):
    _, t = demo_csv
    episodes = t["episodes"]
    iop = episodes[(episodes.level_of_care == "2.1") & (episodes.discharge_date != "")]
    shares = iop.discharge_reason.value_counts(normalize=True)
    assert 0.28 <= shares["completed"] <= 0.48
    assert 0.15 <= shares["dropped_out"] <= 0.32
    assert 0.10 <= shares["transferred"] <= 0.26
    assert shares.get("deceased", 0) < 0.01


def test_pathways(demo_csv):
    _, t = demo_csv
    episodes = t["episodes"].sort_values(["client_id", "admit_date"])
    first = episodes.groupby("client_id").level_of_care.first().value_counts(normalize=True)
    for level, share in (("3.7-WM", 0.10), ("3.5", 0.30), ("2.5", 0.20), ("2.1", 0.40)):
        assert abs(first[level] - share) < 0.04, level
    # Most residential completers step down within a week.
    admit = pd.to_datetime(episodes.admit_date)
    nxt = episodes.assign(admit=admit).groupby("client_id").admit.shift(-1)
    nxt_level = episodes.groupby("client_id").level_of_care.shift(-1)
    gap = (nxt - pd.to_datetime(episodes.discharge_date.replace("", None))).dt.days
    res_done = (episodes.level_of_care == "3.5") & (episodes.discharge_reason == "completed")
    stepped = res_done & nxt_level.isin(["2.5", "2.1"]) & gap.between(0, 7)
    assert 0.55 < stepped.sum() / res_done.sum() < 0.9


def test_drop_outs_return_more_often_than_completers(demo_csv):
    """A stay ends where the client's next admission is more than 14 days after the discharge
    (or there is none). Of stays ended at least a year before the last discharge in the data,
    the share followed by another admission: drop-outs come back more than completers."""
    _, t = demo_csv
    e = t["episodes"].sort_values(["client_id", "admit_date"]).copy()
    e["admit"] = pd.to_datetime(e.admit_date)
    e["discharge"] = pd.to_datetime(e.discharge_date.replace("", None))
    e["next_admit"] = e.groupby("client_id").admit.shift(-1)
    gap = (e.next_admit - e.discharge).dt.days
    ends = e[e.discharge.notna() & (gap.isna() | (gap > 14))]
    ends = ends[ends.discharge <= e.discharge.max() - pd.Timedelta(days=365)]
    returned = ends.next_admit.notna().groupby(ends.discharge_reason).mean()
    assert returned["dropped_out"] > returned["completed"] + 0.04
    assert 0.15 < returned["dropped_out"] < 0.45


def test_attendance_show_rate_and_volume(demo_csv):
    _, t = demo_csv
    status = t["attendance"].status.value_counts()
    show_rate = status["attended"] / (status["attended"] + status["no_show"])
    assert 0.78 <= show_rate <= 0.9
    assert 70 <= len(t["attendance"]) / len(t["clients"]) <= 130
    assert 0.03 < status["cancelled"] / status.sum() < 0.05


def test_scores_improve_for_clients_who_stay(demo_csv):
    _, t = demo_csv
    a = t["assessments"]
    phq = a[a.instrument == "PHQ-9"].assign(score=lambda d: d.score.astype(float))
    baseline = phq.groupby("client_id").score.first()
    assert 13 < baseline.mean() < 17
    ends = t["episodes"].sort_values("admit_date").groupby("client_id").discharge_reason.last()
    change = phq.groupby("client_id").score.last() - baseline
    assert change[ends[ends == "completed"].index].mean() < -2
    assert change[ends[ends == "dropped_out"].index].mean() > -1


def test_relapses_follow_missed_sessions(demo_csv):
    _, t = demo_csv
    att = t["attendance"]
    att = att[att.status.isin(["attended", "no_show"]) & (att.session_type != "workshop")]
    events = t["relapse_events"].drop_duplicates(["client_id", "event_date"])
    assert events.client_id.nunique() > 0.3 * len(t["clients"])
    pairs = att[["client_id", "session_date", "status"]].merge(events[["client_id", "event_date"]])
    days = (pd.to_datetime(pairs.event_date) - pd.to_datetime(pairs.session_date)).dt.days
    before = pairs[days.between(1, 14)]
    assert (before.status == "attended").mean() < (att.status == "attended").mean() - 0.03
