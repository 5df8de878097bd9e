"""The board summary (outcomes/report.py) and its charts (outcomes/figures/board.py): the
numbers it shows after small-cell suppression, worked out by hand on a fixture written for it,
and the board pack that ``python -m outcomes report`` writes (PDF, PNG, HTML, one PNG a chart).

The fixture (as-of date 2024-06-30, the latest date in it: O's relapse event), every episode at
2.1 in program "Adult IOP", site "North"; client ids look like CID001X so that a leak is easy
to find:

- A, 12 clients (CID001X..CID012X): admitted 2024-01-05, discharged 2024-03-15 completed;
  attended group sessions 01-05, 01-08, 01-10, 01-12, 01-15.
- D, 11 clients (CID101X..CID111X): admitted 01-08, discharged 02-20 dropped out; attended
  01-08 .. 01-12 (5).
- B, 2 clients (CID201X, CID202X): admitted 01-10, discharged 01-24 dropped out; attended
  01-10 and 01-12, no-show 01-15.
- C, 1 client (CID301X): admitted 01-20, discharged 01-31 completed; attended 01-22.
- O, 1 client (CID401X): admitted 01-15, still open; attended 01-15 .. 01-19 (5); a relapse
  (self-report) on 06-30.
- P, 3 clients (CID501X..CID503X): admitted 2023-12-04, discharged 12-20 completed; attended
  12-05 and 12-06. (The previous period of January is December 2023.)

January 2024 by hand (previous period December 2023), then as the board shows it:
- Admissions 12 + 11 + 2 + 1 + 1 = 27 -> "27"; previous: P = 3 -> "<11", so no change is
  given ("Previous period: <11").
- Active census at the close of 01-31: A 12 + D 11 + O 1 = 24 (C was discharged that day) ->
  "24"; previous 0 (P left 12-20) -> "Up 24 from 0".
- Discharges: B 2 (01-24) + C 1 (01-31) = 3. Completion 1 of 3 -> withheld (numerator,
  denominator and difference are all 1..10); median stay (14, 14, 11 -> 14) withheld too,
  resting on 3 discharges ("over <11 discharges").
- Continuation: 5 attended sessions in admit .. admit + 30 for A, D and O = 24 of 27: the
  difference 3 is small -> withheld.
- 30- and 90-day retention: retained = a session on or after day N, or the stay completed: A
  12 + C 1 = 13 of 27 (D, B dropped out early, O stopped attending 01-19) -> 48.1% (13, 27 and
  14 are not small); previous: P 3 of 3 -> withheld ("Previous period withheld").
- Step-down within 7 days: no level-3 episodes -> n/a. Step-up: 0 of 3 discharges -> withheld.
- Relapse days per 1,000 client-days: 0 relapse days in January; client-days A 27 x 12 = 324,
  D 24 x 11 = 264, B 15 x 2 = 30, C 12, O 17 -> 647 -> "0.0" ("0 relapse days in 647
  client-days"); previous: 0 in 51 (P: 17 x 3) -> "0.0", "Same as the previous period".
- Workshop reach: episodes overlapping January whose window spans 14+ days: A 12, D 11, B 2
  (01-10 .. 01-24), O 1; not C (11 days) -> 0 of 26 -> "0.0%" (zero stays zero); previous: 0
  of 3 -> withheld.
- PHQ-9 / GAD-7: no assessments -> n/a.
- Retention curve: durations A 10 (censored: completed), D 4 (lost), B 2 (lost), C 2
  (censored), O 4 (lost: open, no session for 163 days). At day 2: 27 at risk, 2 lost ->
  25/27; day 4: 24 at risk, 12 lost -> 25/54 = 46.3%; day 10: 12 at risk, all censored. Every
  point rests on 11 or more: the whole curve is drawn.
- Discharge reasons: completed 1, dropped out 2, total 3: all small -> not drawn.
- Monthly relapse rate: January, 27 clients, 0 relapse days in 647 client-days -> 0.0, shown.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import struct
import time
from pathlib import Path

import pandas as pd
import pytest

from helpers import build_fixture
from outcomes import definitions, report
from outcomes.db import open_as_of
from outcomes.figures import board as board_figures
from outcomes.filters import Filters

JANUARY = Filters(dt.date(2024, 1, 1), dt.date(2024, 1, 31))
EMPTY = Filters(dt.date(2030, 1, 1), dt.date(2030, 1, 31))  # starts after the as-of date

GROUP_A = [f"CID{i:03d}X" for i in range(1, 13)]
GROUP_D = [f"CID{i:03d}X" for i in range(101, 112)]
GROUP_B = ["CID201X", "CID202X"]
GROUP_C = ["CID301X"]
GROUP_O = ["CID401X"]
GROUP_P = ["CID501X", "CID502X", "CID503X"]
CLIENT_IDS = GROUP_A + GROUP_D + GROUP_B + GROUP_C + GROUP_O + GROUP_P
ID_PATTERN = re.compile(r"CID\d{3}X")


def _ep(cid, admit, discharge=None, reason=None):
    return {"episode_id": f"EP-{cid}", "client_id": cid, "level_of_care": "2.1", "program": "Adult IOP",
            "site": "North", "admit_date": admit, "discharge_date": discharge, "discharge_reason": reason}


def _att(cid, date, status="attended"):
    return {"client_id": cid, "session_date": date, "session_type": "group", "status": status}


def build_board_fixture(tmp_path: Path) -> Path:
    """The fixture of the module docstring."""
    episodes, attendance = [], []
    for cid in GROUP_A:
        episodes.append(_ep(cid, "2024-01-05", "2024-03-15", "completed"))
        attendance += [_att(cid, f"2024-01-{d:02d}") for d in (5, 8, 10, 12, 15)]
    for cid in GROUP_D:
        episodes.append(_ep(cid, "2024-01-08", "2024-02-20", "dropped_out"))
        attendance += [_att(cid, f"2024-01-{d:02d}") for d in range(8, 13)]
    for cid in GROUP_B:
        episodes.append(_ep(cid, "2024-01-10", "2024-01-24", "dropped_out"))
        attendance += [_att(cid, "2024-01-10"), _att(cid, "2024-01-12"), _att(cid, "2024-01-15", "no_show")]
    for cid in GROUP_C:
        episodes.append(_ep(cid, "2024-01-20", "2024-01-31", "completed"))
        attendance.append(_att(cid, "2024-01-22"))
    for cid in GROUP_O:
        episodes.append(_ep(cid, "2024-01-15"))
        attendance += [_att(cid, f"2024-01-{d:02d}") for d in range(15, 20)]
    for cid in GROUP_P:
        episodes.append(_ep(cid, "2023-12-04", "2023-12-20", "completed"))
        attendance += [_att(cid, "2023-12-05"), _att(cid, "2023-12-06")]
    relapses = [{"client_id": "CID401X", "event_date": "2024-06-30", "event_type": "self_report"}]
    return build_fixture(tmp_path, episodes=episodes, attendance=attendance, relapse_events=relapses)


@pytest.fixture(scope="module")
def board_db(tmp_path_factory):
    return build_board_fixture(tmp_path_factory.mktemp("board"))


def collect(db: Path, filters: Filters) -> report.Board:
    con = open_as_of(db, None)
    try:
        return report.collect(con, filters)
    finally:
        con.close()


def tiles(board: report.Board) -> dict[str, report.BoardMetric]:
    return {m.key: m for group in board.groups for m in group.metrics}


# ---------------------------------------------------------------------------------------------
# The scorecard
# ---------------------------------------------------------------------------------------------


def test_scorecard_shows_the_hand_computed_values_suppressed(board_db):
    assert definitions.SMALL_CELL == 11  # the threshold the expectations below were worked out for
    board = collect(board_db, JANUARY)
    assert board.as_of == dt.date(2024, 6, 30)
    t = tiles(board)
    shown = {key: (m.value, m.state) for key, m in t.items()}
    assert shown == {
        "admissions": ("27", "shown"),
        "active_census_end": ("24", "shown"),
        "continuation_rate": ("Withheld", "withheld"),  # 24 of 27: difference 3
        "retention_30d": ("48.1%", "shown"),  # 13 of 27
        "retention_90d": ("48.1%", "shown"),
        "completion_rate": ("Withheld", "withheld"),  # 1 of 3
        "median_los_days": ("Withheld", "withheld"),  # over 3 discharges
        "step_down_7d_rate": ("n/a", "none"),
        "step_up_rate": ("Withheld", "withheld"),  # 0 of 3
        "relapse_rate_per_1000_days": ("0.0", "shown"),  # 0 in 647
        "phq9_reliable_improvement_rate": ("n/a", "none"),
        "gad7_reliable_improvement_rate": ("n/a", "none"),
        "workshop_reach_rate": ("0.0%", "shown"),  # 0 of 26: zero stays zero
        "family_reach_rate": ("0.0%", "shown"),
    }
    assert [g.title for g in board.groups] == ["Access", "Retention", "Transitions", "Recovery", "Families"]


def test_scorecard_changes_bases_and_benchmarks(board_db):
    t = tiles(collect(board_db, JANUARY))
    assert t["admissions"].change == "Previous period: <11"  # 3 admissions in December
    assert t["active_census_end"].change == "Up 24 from 0"
    assert t["active_census_end"].tone == "neutral"  # a census has no better direction
    assert t["retention_30d"].change == "Previous period withheld"  # 3 of 3 in December
    assert t["retention_30d"].base == "13 of 27 admissions"
    assert t["relapse_rate_per_1000_days"].change == "Same as the previous period (0.0)"
    assert t["relapse_rate_per_1000_days"].base == "0 relapse days in 647 client-days"
    assert t["workshop_reach_rate"].base == "0 of 26 episodes"
    assert t["completion_rate"].base == "based on <11 discharges"
    assert t["median_los_days"].base == "over <11 discharges"
    # the benchmark is named with its source and year; no comparison with a withheld value
    assert t["completion_rate"].benchmark == "National 37.7% (TEDS-D 2004)"
    assert t["median_los_days"].benchmark == "National median 41 days (TEDS-D 2004)"
    assert t["step_down_7d_rate"].change == "No previous figure to compare"


def _kpis(**values):
    """A kpis result with only what a test needs (counts and rate details)."""
    detail = values.pop("detail", {})
    return {"as_of": "2024-06-30", **values, "detail": detail}


@pytest.mark.parametrize("now, before, change, tone, verdict", [
    # relapse: lower is better, so a fall is green
    ((20, 1000), (30, 1000), "Down 10.0 from 30.0", "good", "better"),
    ((30, 1000), (20, 1000), "Up 10.0 from 20.0", "bad", "worse"),
    ((30, 1000), (30, 1000), "Same as the previous period (30.0)", "neutral", None),
])
def test_direction_of_change_follows_what_is_good_for_clients(now, before, change, tone, verdict):
    """Relapse days per 1,000 client-days: 20 in 1,000 -> 20.0; 30 in 1,000 -> 30.0."""
    def values(pair):
        return _kpis(relapse_rate_per_1000_days=1000 * pair[0] / pair[1],
                     detail={"relapse_rate_per_1000_days": {"numerator": pair[0], "denominator": pair[1]}})

    groups = report.scorecard(values(now), values(before), JANUARY)
    metric = next(m for g in groups for m in g.metrics if m.key == "relapse_rate_per_1000_days")
    assert (metric.change, metric.tone, metric.verdict) == (change, tone, verdict)


def test_completion_against_the_national_benchmark():
    """150 of 400 = 37.5%, 0.2 points below TEDS-D 2004's 37.7%; previous 100 of 400 = 25.0%:
    up 12.5 points, better. Median 49 days over 400 discharges, 8 longer than 41."""
    now = _kpis(completion_rate=150 / 400, median_los_days=49.0, discharges=400,
                detail={"completion_rate": {"numerator": 150, "denominator": 400}})
    before = _kpis(completion_rate=100 / 400, median_los_days=49.0, discharges=400,
                   detail={"completion_rate": {"numerator": 100, "denominator": 400}})
    t = {m.key: m for g in report.scorecard(now, before, JANUARY) for m in g.metrics}
    assert t["completion_rate"].value == "37.5%"
    assert t["completion_rate"].benchmark == "National 37.7% (TEDS-D 2004) · 0.2 pts below"
    assert (t["completion_rate"].change, t["completion_rate"].tone) == ("Up 12.5 pts from 25.0%", "good")
    assert t["median_los_days"].benchmark == "National median 41 days (TEDS-D 2004) · 8 days longer"
    assert t["median_los_days"].change == "Same as the previous period (49 days)"


def test_scorecard_html_escapes_and_never_shows_a_small_count(board_db):
    html = report.scorecard_html(collect(board_db, JANUARY).groups)
    assert "&lt;11" in html and "<11" not in html.replace("<style>", "")
    numbers = [int(n.replace(",", "")) for n in re.findall(r'class="bd-value[^"]*">([\d,]+)<', html)]
    assert numbers == [27, 24]  # the only counts shown as numbers, both 11 or more


# ---------------------------------------------------------------------------------------------
# The charts, with suppression, on hand-made series
# ---------------------------------------------------------------------------------------------


def test_fixture_charts(board_db):
    board = collect(board_db, JANUARY)
    curve, reasons, relapse = board.charts
    assert curve.figure is not None and curve.note is None  # every point rests on 11+
    line = next(t for t in curve.figure.data if t.mode == "lines" and t.showlegend is False
                and t.line.width == 2.5)
    assert [round(v, 4) for v in line.y] == [1.0, round(25 / 27, 4), round(25 / 54, 4), round(25 / 54, 4)]
    assert reasons.figure is None and "Too few discharges" in reasons.message
    assert relapse.figure is not None
    bars = [t for t in relapse.figure.data if t.type == "bar"][0]
    assert list(bars.y) == [0.0] and list(bars.x) == ["Jan<br>2024"]


def test_retention_curve_stops_where_fewer_than_11_are_at_risk():
    """30 admissions lost on days 0, 1, ..., 29 (one a day): on day t, 30 - t are at risk, so
    the curve is drawn to day 19 (11 at risk) and no further."""
    rows = pd.DataFrame({"duration_days": range(30), "lost": [True] * 30})
    chart = board_figures.retention_curve(rows, "the period")
    curve = [t for t in chart.figure.data if t.mode == "lines" and t.line.width == 2.5][0]
    assert max(curve.x) == 19
    assert chart.note.startswith("The curve stops at day 19")
    assert all(getattr(t, "customdata", None) is None for t in chart.figure.data)  # no counts on hover
    assert list(chart.data.columns) == ["days_since_admission", "still_in_care", "lower_95", "upper_95"]
    assert chart.data["days_since_admission"].max() == 19


def test_retention_curve_needs_11_admissions():
    rows = pd.DataFrame({"duration_days": range(10), "lost": [True] * 10})
    chart = board_figures.retention_curve(rows, "the period")
    assert chart.figure is None and chart.message.startswith("Fewer than 11 admissions")


def test_discharge_reasons_combine_small_reasons():
    """completed 15, transferred 2, dropped out 4, terminated 3, incarcerated 1, other 1 (26):
    the five small reasons add up to 11 and none can be worked out (each is 1..7 given the
    others), so they are one grey bar of 11 (42.3%) beside completed 15 (57.7%)."""
    reasons = pd.DataFrame({
        "discharge_reason": ["completed", "dropped_out", "incarcerated", "other", "terminated", "transferred"],
        "discharges": [15, 4, 1, 1, 3, 2],
    })
    chart = board_figures.discharge_reasons(reasons, "the period")
    bar = [t for t in chart.figure.data if t.type == "bar"][0]
    assert list(bar.y) == ["Completed", "Combined (withheld)"]
    assert [round(x, 3) for x in bar.x] == [round(15 / 26, 3), round(11 / 26, 3)]
    texts = " ".join(str(t.text) for t in chart.figure.data if t.text is not None)
    assert "(15)" in texts and "(11)" in texts
    assert not re.search(r"\((?:[1-9]|10)\)", texts)  # no count of 1..10 anywhere
    assert chart.note.startswith("Grey bar: transferred, dropped out, terminated, incarcerated, other together")
    assert chart.data["discharges"].tolist() == [15, 11]


def test_discharge_reasons_lone_small_reason_takes_the_next_smallest():
    """completed 40, transferred 20, deceased 3: 3 alone would be 63 - 40 - 20, so the next
    smallest (transferred 20) goes with it: bars completed 40 and combined 23."""
    reasons = pd.DataFrame({"discharge_reason": ["completed", "transferred", "deceased"],
                            "discharges": [40, 20, 3]})
    chart = board_figures.discharge_reasons(reasons, "the period")
    bar = [t for t in chart.figure.data if t.type == "bar"][0]
    assert list(bar.y) == ["Completed", "Combined (withheld)"]
    assert chart.data["discharges"].tolist() == [40, 23]
    assert "transferred, deceased together" in chart.note


def test_relapse_months_resting_on_few_clients_are_left_out():
    """Three months: 15 relapse days in 600 client-days among 30 clients -> 25.0, shown; 8
    clients -> left out; 5 relapse days (1..10) in 900 client-days -> withheld, left out."""
    months = pd.DataFrame({
        "month_start": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"]),
        "days_from": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"]),
        "days_to": pd.to_datetime(["2024-01-31", "2024-02-29", "2024-03-31"]),
        "relapse_days": [15, 12, 5], "client_days": [600, 240, 900],
        "rate_per_1000_days": [25.0, 50.0, 5.0 / 0.9],
    })
    clients = pd.DataFrame({"month_start": months["month_start"], "clients": [30, 8, 40]})
    chart = board_figures.relapse_by_month(months, clients, overall=32 / 1.74, overall_withheld=False,
                                           period="the period")
    bar = [t for t in chart.figure.data if t.type == "bar"][0]
    assert bar.y[0] == 25.0 and all(v is None or v != v for v in bar.y[1:])
    assert list(bar.x) == ["Jan<br>2024", "Feb", "Mar"]  # no counts under the months
    assert all(getattr(t, "customdata", None) is None for t in chart.figure.data)
    assert chart.note.startswith("* 2 month(s) left out")
    # the CSV behind the chart: rates only (with the period's totals on the scorecard, the shown
    # months' relapse days would give a lone withheld month's away), small client counts blank
    assert list(chart.data.columns) == ["month_start", "days_from", "days_to", "clients",
                                        "rate_per_1000_days", "withheld"]
    assert chart.data["rate_per_1000_days"].isna().tolist() == [False, True, True]
    assert chart.data["clients"].isna().tolist() == [False, True, False]
    assert chart.data["withheld"].tolist() == [False, True, True]


def test_empty_period_has_zeros_and_messages(board_db):
    board = collect(board_db, EMPTY)
    t = tiles(board)
    assert t["admissions"].value == "0" and t["active_census_end"].value == "0"
    assert all(t[k].value == "n/a" for k in t if k not in ("admissions", "active_census_end"))
    assert [c.figure for c in board.charts] == [None, None, None]
    assert all(c.message for c in board.charts)


# ---------------------------------------------------------------------------------------------
# The board pack: python -m outcomes report
# ---------------------------------------------------------------------------------------------


def _chromium_or_skip():
    from outcomes import browser

    if not Path(browser.CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (scripts/ensure-chromium installs it)")


@pytest.fixture(scope="module")
def pack(board_db, tmp_path_factory):
    """The report command, run once on the fixture for January 2024."""
    _chromium_or_skip()
    from outcomes.cli import main

    out = tmp_path_factory.mktemp("pack")
    started = time.perf_counter()
    status = main(["report", "--db", str(board_db), "--start", "2024-01-01", "--end", "2024-01-31",
                   "--out", str(out)])
    seconds = time.perf_counter() - started
    assert status == 0
    print(f"report took {seconds:.1f} s")
    return out


def _png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, at = [], 8
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        chunks.append((kind, data[at + 8:at + 8 + length]))
        at += 12 + length
    return chunks


def test_report_writes_the_files(pack):
    names = sorted(p.name for p in pack.iterdir())
    # the discharge reasons chart is not drawn in January (3 discharges): no PNG for it
    assert names == ["board.html", "board.pdf", "board.png", "relapse_rate_by_month.png", "retention_curve.png"]
    for name in names:
        assert (pack / name).stat().st_size > 5_000, name


def test_report_pdf_holds_the_suppressed_figures(pack):
    from pypdf import PdfReader

    reader = PdfReader(str(pack / "board.pdf"))
    assert 1 <= len(reader.pages) <= 2
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)  # landscape
    first = reader.pages[0].extract_text()
    flat = re.sub(r"-\s+", "-", " ".join(first.split()))  # "TEDS-" at a line end, "D 2004" on the next
    for expected in ("01 Jan 2024 – 31 Jan 2024", "Data as of", "30 June 2024", "All programs · all sites",
                     "27", "24", "48.1%", "Withheld", "<11", "Previous period: <11", "0 relapse days in 647 client-days",
                     "0 of 26 episodes", "Up 24 from 0", "National 37.7% (TEDS-D 2004)",
                     "Too few discharges", "Small numbers are suppressed"):
        assert expected in flat, expected
    # no count of 1..10 shown as a number in a tile: the figures under the values are "<11"
    assert "1 of 3" not in flat and "0 of 3" not in flat and "3 of 3" not in flat


def test_report_output_identifies_nobody(pack):
    from pypdf import PdfReader

    reader = PdfReader(str(pack / "board.pdf"))
    text = "\n".join(page.extract_text() for page in reader.pages)
    metadata = " ".join(str(v) for v in (reader.metadata or {}).values())
    html = (pack / "board.html").read_text(encoding="utf-8")
    assert not ID_PATTERN.search(text) and not ID_PATTERN.search(metadata)
    assert not ID_PATTERN.search(html)
    for png in pack.glob("*.png"):
        data = png.read_bytes()
        text_chunks = b" ".join(body for kind, body in _png_chunks(data) if kind in (b"tEXt", b"iTXt", b"zTXt"))
        assert not ID_PATTERN.search(text_chunks.decode("latin-1")), png.name
        assert not ID_PATTERN.search(data.decode("latin-1")), png.name
    for cid in CLIENT_IDS:
        assert cid not in html and cid not in text


def test_report_pngs_use_the_project_template(pack):
    """White backgrounds (charts.TEMPLATE), never the near-black of an unstyled export."""
    from PIL import Image

    for png in pack.glob("*.png"):
        image = Image.open(io.BytesIO(png.read_bytes())).convert("RGB")
        width, height = image.size
        assert width >= 900, png.name
        corners = [image.getpixel((x, y)) for x in (2, width - 3) for y in (2, height - 3)]
        assert all(min(pixel) > 240 for pixel in corners), (png.name, corners)
        grey = image.convert("L").resize((64, 64))
        mean = sum(grey.tobytes()) / (64 * 64)
        assert mean > 200, (png.name, mean)  # mostly white paper


def test_report_for_an_empty_period(board_db, tmp_path):
    _chromium_or_skip()
    from pypdf import PdfReader

    from outcomes.cli import main

    status = main(["report", "--db", str(board_db), "--start", "2030-01-01", "--end", "2030-01-31",
                   "--out", str(tmp_path)])
    assert status == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["board.html", "board.pdf", "board.png"]
    text = " ".join(PdfReader(str(tmp_path / "board.pdf")).pages[0].extract_text().split())
    assert "No admissions to the focus levels" in text and "n/a" in text


def test_report_refuses_bad_input(board_db, tmp_path, capsys):
    from outcomes.cli import main

    assert main(["report", "--db", str(tmp_path / "missing.duckdb"), "--out", str(tmp_path)]) == 2
    assert main(["report", "--db", str(board_db), "--start", "2024-02-01", "--end", "2024-01-01",
                 "--out", str(tmp_path)]) == 2
    assert main(["report", "--db", str(board_db), "--start", "2024-02-01", "--out", str(tmp_path)]) == 2
    assert not any(tmp_path.glob("board.*"))
