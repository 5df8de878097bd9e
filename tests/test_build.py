"""The build (outcomes.build) against the export contract of SPEC section 2.

Every test writes its export files by hand, builds, and compares what the database holds with
values written by hand: the reject rows (table, physical line, column, raw value, reason), the
rows that loaded, the summary. Line numbers are physical lines of the file (the header is
line 1); in a workbook they are spreadsheet rows; in Parquet (no header line) row numbers
from 1.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from helpers import make_exports, write_table
from outcomes.build import BuildError, build

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2024, 6, 30)  # the build date of every in-process build

# One valid episode, so that a build has something to load.
EPISODE = {"episode_id": "E1", "client_id": "C1", "level_of_care": "2.1", "admit_date": "2024-01-01"}

NOT_A_DATE = "is not a date (YYYY-MM-DD or MM/DD/YYYY)"
NOT_A_LEVEL = "level_of_care is not an ASAM level (e.g. 2.1, 3.7-WM) or OP/IOP/PHP/RES/detox"
NOT_A_STATUS = "status is not one of attended, no_show, cancelled, excused"


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def exports(tmp_path: Path, **tables) -> Path:
    """An exports folder: the given tables (rows as dicts), one valid episode by default,
    header-only files for the other required tables."""
    tables.setdefault("episodes", [EPISODE])
    return make_exports(tmp_path / "exports", **tables)


def write_csv(folder: Path, table: str, text: str | bytes) -> Path:
    """Write a file exactly as given (str as UTF-8 with \\n line ends)."""
    path = folder / f"{table}.csv"
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def build_db(folder: Path, tmp_path: Path, **kwargs):
    """Build in-process with the fixed build date; returns (result, read-only connection)."""
    db = tmp_path / "fixture.duckdb"
    result = build(folder, db, today=kwargs.pop("today", TODAY), **kwargs)
    con = duckdb.connect(str(db), read_only=True)
    return result, con


def rejects(con, table: str | None = None) -> list[tuple]:
    sql = ("select table_name, source_file, line, column_name, raw_value, reason from rejects"
           + (" where table_name = ?" if table else "") + " order by table_name, line, column_name")
    return con.execute(sql, [table] if table else []).fetchall()


def lines(con, table: str) -> list[int]:
    return [r[0] for r in con.execute(f"select line from {table} order by line").fetchall()]


def summary_row(result, table: str) -> dict:
    row = [r for r in result.summary if r.table == table]
    assert len(row) == 1, result.summary
    return row[0]._asdict()


def run_cli(folder: Path, db: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "outcomes", "build", "--exports", str(folder), "--db", str(db)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


ATTENDANCE_HEADER = "client_id,session_date,session_type,status\n"


# ---------------------------------------------------------------------------------------------
# One bad-input test per rule of the contract
# ---------------------------------------------------------------------------------------------


def test_bad_dates_are_rejected(tmp_path):
    folder = exports(tmp_path)
    write_csv(folder, "attendance", ATTENDANCE_HEADER
              + "C1,2024-01-02,group,attended\n"
              + "C1,2024-13-01,group,attended\n"      # no month 13
              + "C1,31/01/2024,group,attended\n"      # DD/MM is not MM/DD
              + "C1,2024-02-30,group,attended\n"      # no 30 February
              + "C1,yesterday,group,attended\n"
              + "C1,2024-01-05,group,attended\n")
    _, con = build_db(folder, tmp_path)
    assert rejects(con) == [
        ("attendance", "attendance.csv", 3, "session_date", "2024-13-01", "session_date " + NOT_A_DATE),
        ("attendance", "attendance.csv", 4, "session_date", "31/01/2024", "session_date " + NOT_A_DATE),
        ("attendance", "attendance.csv", 5, "session_date", "2024-02-30", "session_date " + NOT_A_DATE),
        ("attendance", "attendance.csv", 6, "session_date", "yesterday", "session_date " + NOT_A_DATE),
    ]
    assert lines(con, "attendance") == [2, 7]


def test_future_dates_are_rejected(tmp_path):
    folder = exports(tmp_path)
    write_csv(folder, "episodes",
              "episode_id,client_id,level_of_care,admit_date,discharge_date,discharge_reason\n"
              "E1,C1,2.1,2024-01-01,,\n"
              "E2,C2,2.1,2999-01-01,,\n"
              "E3,C3,2.1,2024-01-01,2024-07-01,completed\n"   # the day after the build date
              "E4,C4,2.1,2024-06-30,,\n")                     # the build date itself is fine
    write_csv(folder, "attendance", ATTENDANCE_HEADER
              + "C1,2999-01-01,group,attended\n"
              + "C1,2024-06-30,group,attended\n"
              + "C1,2024-07-01,group,attended\n")
    _, con = build_db(folder, tmp_path)
    future = "is in the future (after the build date)"
    assert rejects(con) == [
        ("attendance", "attendance.csv", 2, "session_date", "2999-01-01", "session_date " + future),
        ("attendance", "attendance.csv", 4, "session_date", "2024-07-01", "session_date " + future),
        ("episodes", "episodes.csv", 3, "admit_date", "2999-01-01", "admit_date " + future),
        ("episodes", "episodes.csv", 4, "discharge_date", "2024-07-01", "discharge_date " + future),
    ]
    assert lines(con, "episodes") == [2, 5]
    assert lines(con, "attendance") == [3]


def test_unknown_level_is_rejected(tmp_path):
    folder = exports(tmp_path)
    write_csv(folder, "episodes",
              "episode_id,client_id,level_of_care,admit_date\n"
              "E1,C1,2.1,2024-01-01\n"
              "E2,C2,9.9,2024-01-01\n"
              "E3,C3,2,2024-01-01\n"
              "E4,C4,IOP,2024-01-01\n")
    _, con = build_db(folder, tmp_path)
    assert rejects(con) == [
        ("episodes", "episodes.csv", 3, "level_of_care", "9.9", NOT_A_LEVEL),
        ("episodes", "episodes.csv", 4, "level_of_care", "2", NOT_A_LEVEL),
    ]
    assert con.execute("select line, level_of_care from episodes order by line").fetchall() == [
        (2, "2.1"), (5, "2.1")]


def test_scores_out_of_range_are_rejected(tmp_path):
    folder = exports(tmp_path)
    write_csv(folder, "assessments",
              "client_id,assessment_date,instrument,score\n"
              "C1,2024-01-02,PHQ-9,27\n"
              "C1,2024-01-02,PHQ-9,28\n"
              "C1,2024-01-02,GAD-7,21\n"
              "C1,2024-01-02,GAD-7,22\n"
              "C1,2024-01-02,PHQ-9,12.5\n"
              "C1,2024-01-02,phq9,28\n"        # the name is normalised before the range applies
              "C1,2024-01-02,PHQ-9,-1\n"
              "C1,2024-01-02,AUDIT,35\n"       # other instruments have no range
              "C1,2024-01-02,PHQ-9,many\n"
              "C1,2024-01-02,PHQ 9,0\n")
    _, con = build_db(folder, tmp_path)
    phq, gad = ("PHQ-9 score must be a whole number from 0 to 27",
                "GAD-7 score must be a whole number from 0 to 21")
    assert rejects(con) == [
        ("assessments", "assessments.csv", 3, "score", "28", phq),
        ("assessments", "assessments.csv", 5, "score", "22", gad),
        ("assessments", "assessments.csv", 6, "score", "12.5", phq),
        ("assessments", "assessments.csv", 7, "score", "28", phq),
        ("assessments", "assessments.csv", 8, "score", "-1", phq),
        ("assessments", "assessments.csv", 10, "score", "many", "score is not a number"),
    ]
    assert con.execute("select line, instrument, score from assessments order by line").fetchall() == [
        (2, "PHQ-9", 27.0), (4, "GAD-7", 21.0), (9, "AUDIT", 35.0), (11, "PHQ-9", 0.0)]


def test_unknown_status_and_session_type_are_rejected(tmp_path):
    folder = exports(tmp_path)
    write_csv(folder, "attendance", ATTENDANCE_HEADER
              + "C1,2024-01-02,group,attended\n"
              + "C1,2024-01-03,group,maybe\n"
              + "C1,2024-01-04,yoga,attended\n"
              + "C1,2024-01-05,yoga,maybe\n"          # one row, two broken rules
              + "C1,2024-01-06,family,excused\n")
    result, con = build_db(folder, tmp_path)
    session_type = "session_type is not one of group, individual, family, workshop, medication, other"
    assert rejects(con) == [
        ("attendance", "attendance.csv", 3, "status", "maybe", NOT_A_STATUS),
        ("attendance", "attendance.csv", 4, "session_type", "yoga", session_type),
        ("attendance", "attendance.csv", 5, "session_type", "yoga", session_type),
        ("attendance", "attendance.csv", 5, "status", "maybe", NOT_A_STATUS),
    ]
    assert lines(con, "attendance") == [2, 6]
    # the summary counts rejected rows (3), the reasons count broken rules
    assert summary_row(result, "attendance") == {
        "table": "attendance", "file": "attendance.csv", "rows_read": 5, "duplicates": 0,
        "rejected": 3, "loaded": 2}
    reasons = {(r.column, r.reason): r.rows for r in result.reasons}
    assert reasons == {("status", NOT_A_STATUS): 2, ("session_type", session_type): 2}


def test_unknown_event_type_is_rejected(tmp_path):
    folder = exports(tmp_path)
    write_csv(folder, "relapse_events",
              "client_id,event_date,event_type,substance\n"
              "C1,2024-02-01,positive_screen,opioids\n"
              "C1,2024-02-02,slip,alcohol\n"
              "C1,2024-02-03,Self Report,alcohol\n")
    _, con = build_db(folder, tmp_path)
    assert rejects(con) == [
        ("relapse_events", "relapse_events.csv", 3, "event_type", "slip",
         "event_type is not one of positive_screen, self_report, collateral_report, overdose, other"),
    ]
    assert con.execute("select line, event_type from relapse_events order by line").fetchall() == [
        (2, "positive_screen"), (4, "self_report")]


def test_guests_negative_rejected_more_than_three_loads(tmp_path):
    folder = exports(tmp_path)
    write_csv(folder, "attendance", "client_id,session_date,session_type,status,guests\n"
              "C1,2024-01-02,workshop,attended,3\n"
              "C1,2024-01-16,workshop,attended,-1\n"
              "C1,2024-01-30,workshop,attended,4\n"     # breaks the program rule: flagged, loads
              "C1,2024-02-13,workshop,attended,1.5\n"
              "C1,2024-02-27,workshop,attended,\n")
    _, con = build_db(folder, tmp_path)
    assert rejects(con) == [
        ("attendance", "attendance.csv", 3, "guests", "-1", "guests must be 0 or more"),
        ("attendance", "attendance.csv", 5, "guests", "1.5", "guests is not a whole number"),
    ]
    assert con.execute("select line, guests from attendance order by line").fetchall() == [
        (2, 3), (4, 4), (6, None)]


def test_duration_above_600_is_rejected(tmp_path):
    folder = exports(tmp_path)
    write_csv(folder, "attendance", "client_id,session_date,session_type,status,duration_minutes\n"
              "C1,2024-01-02,group,attended,180\n"
              "C1,2024-01-03,group,attended,601\n"
              "C1,2024-01-04,group,attended,600\n"
              "C1,2024-01-05,group,attended,0\n"
              "C1,2024-01-06,group,attended,-5\n")
    _, con = build_db(folder, tmp_path)
    rule = "duration_minutes must be from 0 to 600"
    assert rejects(con) == [
        ("attendance", "attendance.csv", 3, "duration_minutes", "601", rule),
        ("attendance", "attendance.csv", 6, "duration_minutes", "-5", rule),
    ]
    assert con.execute("select line, duration_minutes from attendance order by line").fetchall() == [
        (2, 180), (4, 600), (5, 0)]


def test_birth_year_out_of_range_is_rejected(tmp_path):
    folder = exports(tmp_path, episodes=[
        {**EPISODE, "episode_id": "E1", "client_id": "C1"},
        {**EPISODE, "episode_id": "E2", "client_id": "C2"},
    ])
    write_csv(folder, "clients", "client_id,birth_year,gender\n"
              "C1,1980,F\n"
              "C2,1899,M\n"
              "C3,1900,F\n"
              "C4,2024,F\n"       # the build year is allowed
              "C5,2025,F\n"
              "C6,nineteen,F\n")
    _, con = build_db(folder, tmp_path)
    rule = "birth_year must be from 1900 to 2024"
    assert rejects(con, "clients") == [
        ("clients", "clients.csv", 3, "birth_year", "1899", rule),
        ("clients", "clients.csv", 6, "birth_year", "2025", rule),
        ("clients", "clients.csv", 7, "birth_year", "nineteen", "birth_year is not a whole number"),
    ]
    assert lines(con, "clients") == [2, 4, 5]
    # C2 was rejected, so C2's episode has no loaded client
    assert rejects(con, "episodes") == [
        ("episodes", "episodes.csv", 3, "client_id", "C2", "client_id is not among the loaded clients")]


def test_missing_required_value_is_rejected(tmp_path):
    folder = exports(tmp_path)
    write_csv(folder, "attendance", ATTENDANCE_HEADER
              + "C1,2024-01-02,group,attended\n"
              + ",2024-01-03,group,attended\n"
              + "   ,2024-01-04,group,attended\n"     # blank is empty too
              + "C1,,group,attended\n"
              + "C1,2024-01-06,group,attended\n")
    _, con = build_db(folder, tmp_path)
    assert rejects(con) == [
        ("attendance", "attendance.csv", 3, "client_id", None, "client_id is required but empty"),
        ("attendance", "attendance.csv", 4, "client_id", None, "client_id is required but empty"),
        ("attendance", "attendance.csv", 5, "session_date", None, "session_date is required but empty"),
    ]
    assert lines(con, "attendance") == [2, 6]


def test_discharge_before_admit_is_rejected(tmp_path):
    folder = exports(tmp_path)
    write_csv(folder, "episodes",
              "episode_id,client_id,level_of_care,admit_date,discharge_date,discharge_reason\n"
              "E1,C1,2.1,2024-01-05,2024-01-04,completed\n"
              "E2,C2,2.1,2024-01-05,2024-01-05,completed\n")   # the same day is fine
    _, con = build_db(folder, tmp_path)
    assert rejects(con) == [
        ("episodes", "episodes.csv", 2, "discharge_date", "2024-01-04", "discharge_date is before admit_date")]
    assert lines(con, "episodes") == [3]


def test_discharge_without_reason_is_rejected(tmp_path):
    folder = exports(tmp_path)
    write_csv(folder, "episodes",
              "episode_id,client_id,level_of_care,admit_date,discharge_date,discharge_reason\n"
              "E1,C1,2.1,2024-01-05,2024-02-01,\n"
              "E2,C2,2.1,2024-01-05,2024-02-01,completed\n"
              "E3,C3,2.1,2024-01-05,,\n"                       # open: no reason needed
              "E4,C4,2.1,2024-01-05,2024-02-01,graduated\n")
    _, con = build_db(folder, tmp_path)
    assert rejects(con) == [
        ("episodes", "episodes.csv", 2, "discharge_reason", None,
         "discharge_reason is required when discharge_date is given"),
        ("episodes", "episodes.csv", 5, "discharge_reason", "graduated",
         "discharge_reason is not one of completed, transferred, dropped_out, terminated, "
         "incarcerated, deceased, other"),
    ]
    assert lines(con, "episodes") == [3, 4]


def test_repeated_episode_id_first_loads(tmp_path):
    folder = exports(tmp_path)
    write_csv(folder, "episodes",
              "episode_id,client_id,level_of_care,admit_date\n"
              "E1,C1,2.1,2024-01-01\n"
              "E2,C2,2.1,2024-01-01\n"
              "E1,C1,2.5,2024-02-01\n")
    _, con = build_db(folder, tmp_path)
    assert rejects(con) == [
        ("episodes", "episodes.csv", 4, "episode_id", "E1", "episode_id repeats an earlier row of episodes")]
    assert con.execute("select line, episode_id, level_of_care, admit_date from episodes order by line").fetchall() == [
        (2, "E1", "2.1", dt.date(2024, 1, 1)), (3, "E2", "2.1", dt.date(2024, 1, 1))]


def test_episode_of_unknown_client_is_rejected(tmp_path):
    folder = exports(tmp_path, episodes=[
        {**EPISODE, "episode_id": "E1", "client_id": "C1"},
        {**EPISODE, "episode_id": "E2", "client_id": "C9"},
    ], clients=[{"client_id": "C1"}])
    _, con = build_db(folder, tmp_path)
    assert rejects(con) == [
        ("episodes", "episodes.csv", 3, "client_id", "C9", "client_id is not among the loaded clients")]
    assert lines(con, "episodes") == [2]


def test_without_clients_file_any_client_loads(tmp_path):
    folder = exports(tmp_path, episodes=[{**EPISODE, "client_id": "C9"}])
    _, con = build_db(folder, tmp_path)
    assert rejects(con) == []
    assert lines(con, "episodes") == [2]
    assert con.execute("select count(*) from clients").fetchone()[0] == 0  # exists, empty


def test_repeated_client_id_in_clients_first_loads(tmp_path):
    folder = exports(tmp_path)
    write_csv(folder, "clients", "client_id,birth_year,gender\n"
              "C1,1980,F\n"
              "C2,1990,M\n"
              "C1,1981,F\n")
    _, con = build_db(folder, tmp_path)
    assert rejects(con) == [
        ("clients", "clients.csv", 4, "client_id", "C1", "client_id repeats an earlier row of clients")]
    assert con.execute("select line, client_id, birth_year from clients order by line").fetchall() == [
        (2, "C1", 1980), (3, "C2", 1990)]


# ---------------------------------------------------------------------------------------------
# Aliases and formats
# ---------------------------------------------------------------------------------------------


def test_vocabulary_aliases(tmp_path):
    folder = exports(tmp_path)
    write_csv(folder, "episodes",
              "episode_id,client_id,level_of_care,admit_date,discharge_date,discharge_reason\n"
              "E1,C1,IOP,2024-01-01,2024-01-10,AMA\n"
              "E2,C1,PHP,2024-01-01,2024-01-10,step down\n"
              "E3,C1,RES,2024-01-01,2024-01-10,Left Against Advice\n"
              "E4,C1,detox,2024-01-01,2024-01-10,administrative\n"
              "E5,C1,1,2024-01-01,2024-01-10,Step-Up\n"
              "E6,C1,3.7 wm,2024-01-01,2024-01-10,COMPLETED\n"
              "E7,C1,Residential,2024-01-01,,\n")
    write_csv(folder, "attendance", ATTENDANCE_HEADER
              + "C1,2024-01-02,Group,present\n"
              + "C1,2024-01-03,INDIVIDUAL,absent\n"
              + "C1,2024-01-04,family,late cancel\n"
              + "C1,2024-01-05,Workshop,No-Show\n"
              + "C1,2024-01-06,medication,Canceled\n"
              + "C1,2024-01-07,other,LATE_CANCEL\n")
    _, con = build_db(folder, tmp_path)
    assert rejects(con) == []
    assert con.execute("select episode_id, level_of_care, discharge_reason from episodes order by line").fetchall() == [
        ("E1", "2.1", "dropped_out"),
        ("E2", "2.5", "transferred"),
        ("E3", "3.5", "dropped_out"),
        ("E4", "3.7-WM", "terminated"),
        ("E5", "1.0", "transferred"),
        ("E6", "3.7-WM", "completed"),
        ("E7", "3.5", None),
    ]
    assert con.execute("select session_type, status from attendance order by line").fetchall() == [
        ("group", "attended"), ("individual", "no_show"), ("family", "cancelled"),
        ("workshop", "no_show"), ("medication", "cancelled"), ("other", "cancelled")]


def test_date_formats(tmp_path):
    folder = exports(tmp_path)
    write_csv(folder, "attendance", ATTENDANCE_HEADER
              + "C1,01/15/2024,group,attended\n"
              + "C1,1/5/2024,group,attended\n"
              + "C1,2024-01-16 10:30:00,group,attended\n"
              + "C1,2024-01-17T08:00:00,group,attended\n"
              + "C1,01/18/2024 09:15,group,attended\n"
              + "C1,2024-1-9,group,attended\n")
    _, con = build_db(folder, tmp_path)
    assert rejects(con) == []
    assert [r[0] for r in con.execute("select session_date from attendance order by line").fetchall()] == [
        dt.date(2024, 1, 15), dt.date(2024, 1, 5), dt.date(2024, 1, 16), dt.date(2024, 1, 17),
        dt.date(2024, 1, 18), dt.date(2024, 1, 9)]


def test_headers_with_spaces_and_case(tmp_path):
    folder = exports(tmp_path)
    write_csv(folder, "attendance",
              "Client ID,Session Date,SESSION-TYPE, Status ,Duration (minutes),Notes\n"
              "C1,2024-01-02,group,attended,90,free text\n")
    result, con = build_db(folder, tmp_path)
    assert con.execute(
        "select line, client_id, session_date, session_type, status, duration_minutes from attendance"
    ).fetchall() == [(2, "C1", dt.date(2024, 1, 2), "group", "attended", 90)]
    assert "columns not in the contract, ignored: Notes" in result.report()
    assert con.execute("select columns_ignored from source_files where table_name = 'attendance'"
                       ).fetchone()[0] == "Notes"


def test_mapping_toml_renames_ehr_headers(tmp_path):
    folder = exports(tmp_path)
    (folder / "mapping.toml").write_text(
        '"Patient ID" = "client_id"\n'
        '\n'
        '[attendance]\n'
        '"Appt Date" = "session_date"\n'
        '"Visit Type" = "session_type"\n'
        '"Attendance" = "status"\n'
        '"ID" = "client_id"\n', encoding="utf-8")
    write_csv(folder, "episodes", "Episode ID,Patient ID,Level Of Care,Admit Date\n"
              "E1,C1,2.1,2024-01-01\n")
    write_csv(folder, "attendance", "Patient ID,Appt Date,Visit Type,Attendance\n"
              "C1,2024-01-02,group,present\n")
    # the [attendance] section applies to attendance only: here "ID" is some other column
    write_csv(folder, "assessments", "client_id,assessment_date,instrument,score,ID\n"
              "C1,2024-01-03,PHQ-9,12,A-77\n")
    _, con = build_db(folder, tmp_path)
    assert rejects(con) == []
    assert con.execute("select episode_id, client_id from episodes").fetchall() == [("E1", "C1")]
    assert con.execute("select client_id, session_date, session_type, status from attendance").fetchall() == [
        ("C1", dt.date(2024, 1, 2), "group", "attended")]
    assert con.execute("select client_id, score from assessments").fetchall() == [("C1", 12.0)]
    used = dict(con.execute("select table_name, columns_used from source_files").fetchall())
    assert "Patient ID -> client_id" in used["attendance"]
    assert "Appt Date -> session_date" in used["attendance"]


def test_xlsx_dates_serials_and_spreadsheet_rows(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    folder = exports(tmp_path)
    (folder / "attendance.csv").unlink()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "attendance"
    sheet.append(["Client ID", "Session Date", "Session Type", "Status", "Duration Minutes"])
    sheet.append(["C1", dt.datetime(2024, 1, 2, 9, 30), "group", "attended", 90])   # row 2
    sheet.append(["C1", 45306, "group", "attended", 90.0])                           # row 3: serial = 2024-01-15
    sheet.append([None, None, None, None, None])                                     # row 4: blank
    sheet.append(["C1", dt.date(2024, 1, 16), "group", "maybe", None])                # row 5: bad status
    sheet.append(["C1", "01/17/2024", "individual", "present", 50])                  # row 6: a text date
    sheet.append(["C1", 45292, "group", "attended", 601])                            # row 7: 2024-01-01, too long
    book.save(folder / "attendance.xlsx")
    _, con = build_db(folder, tmp_path)
    assert rejects(con) == [
        ("attendance", "attendance.xlsx", 5, "status", "maybe", NOT_A_STATUS),
        ("attendance", "attendance.xlsx", 7, "duration_minutes", "601", "duration_minutes must be from 0 to 600"),
    ]
    assert con.execute("select line, session_date, status, duration_minutes from attendance order by line").fetchall() == [
        (2, dt.date(2024, 1, 2), "attended", 90),
        (3, dt.date(2024, 1, 15), "attended", 90),
        (6, dt.date(2024, 1, 17), "attended", 50),
    ]


def test_xlsx_workbook_with_several_sheets(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    folder = exports(tmp_path)
    (folder / "episodes.csv").unlink()
    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "Read me"
    notes.append(["Exported from the EHR"])
    sheet = book.create_sheet("Episodes")
    sheet.append(["episode_id", "client_id", "level_of_care", "admit_date", "discharge_date", "discharge_reason"])
    sheet.append(["E1", "C1", "IOP", dt.datetime(2024, 1, 1), dt.datetime(2024, 2, 1), "completed"])
    sheet.append(["E2", "C2", 2.1, 45300, None, None])                  # a number level, a serial date
    book.create_sheet("Sheet3").append(["nothing"])
    book.save(folder / "episodes.xlsx")
    result, con = build_db(folder, tmp_path)
    assert rejects(con) == []
    assert con.execute("select line, episode_id, level_of_care, admit_date, discharge_date from episodes order by line").fetchall() == [
        (2, "E1", "2.1", dt.date(2024, 1, 1), dt.date(2024, 2, 1)),
        (3, "E2", "2.1", dt.date(2024, 1, 9), None),
    ]
    assert "read the sheet 'Episodes' of 3 sheets" in result.report()
    assert con.execute("select read_as from source_files where table_name = 'episodes'").fetchone()[0] == \
        "xlsx (sheet Episodes)"


def test_parquet_input(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    folder = exports(tmp_path)
    for name in ("episodes", "attendance"):
        (folder / f"{name}.csv").unlink()
    pq.write_table(pa.table({
        "episode_id": ["E1", "E2"],
        "client_id": ["C1", "C2"],
        "level_of_care": ["2.1", "3.7-WM"],
        "admit_date": pa.array([dt.date(2024, 1, 1), dt.date(2024, 2, 1)], pa.date32()),
        "discharge_date": pa.array([dt.date(2024, 3, 1), None], pa.date32()),
        "discharge_reason": ["completed", None],
    }), folder / "episodes.parquet")
    pq.write_table(pa.table({
        "Client ID": ["C1", "C1", "C1", "C1"],
        "session_date": pa.array([dt.date(2024, 1, 2), dt.date(2024, 1, 3), dt.date(2999, 1, 1),
                                  dt.date(2024, 1, 5)], pa.date32()),
        "session_type": ["group", "workshop", "group", "group"],
        "status": ["attended", "present", "attended", "attended"],
        "duration_minutes": pa.array([180, 120, 60, 601], pa.int64()),
        "guests": pa.array([None, 2, None, None], pa.int32()),
    }), folder / "attendance.parquet")
    _, con = build_db(folder, tmp_path)
    assert rejects(con) == [
        ("attendance", "attendance.parquet", 3, "session_date", "2999-01-01",
         "session_date is in the future (after the build date)"),
        ("attendance", "attendance.parquet", 4, "duration_minutes", "601", "duration_minutes must be from 0 to 600"),
    ]
    assert con.execute("select line, session_date, status, duration_minutes, guests from attendance order by line").fetchall() == [
        (1, dt.date(2024, 1, 2), "attended", 180, None),
        (2, dt.date(2024, 1, 3), "attended", 120, 2),
    ]
    assert con.execute("select episode_id, level_of_care, admit_date, discharge_date from episodes order by line").fetchall() == [
        ("E1", "2.1", dt.date(2024, 1, 1), dt.date(2024, 3, 1)),
        ("E2", "3.7-WM", dt.date(2024, 2, 1), None),
    ]


# ---------------------------------------------------------------------------------------------
# Duplicates
# ---------------------------------------------------------------------------------------------


def test_exact_duplicates_load_once_and_are_counted(tmp_path):
    folder = exports(tmp_path)
    write_csv(folder, "episodes",
              "episode_id,client_id,level_of_care,admit_date\n"
              "E1,C1,2.1,2024-01-01\n"
              "E1,C1,2.1,2024-01-01\n"      # exact duplicate: loads once, not rejected
              "E1,C1,2.1,2024-01-02\n")     # same id, other values: rejected
    write_csv(folder, "attendance", ATTENDANCE_HEADER
              + "C1,2024-01-02,group,attended\n"
              + "C1,2024-01-03,group,attended\n"
              + "C1,2024-01-02,group,attended\n"
              + "C1,2024-01-02,group,attended\n")
    result, con = build_db(folder, tmp_path)
    assert con.execute(
        "select table_name, source_file, line, duplicate_of_line from duplicate_rows order by table_name, line"
    ).fetchall() == [
        ("attendance", "attendance.csv", 4, 2),
        ("attendance", "attendance.csv", 5, 2),
        ("episodes", "episodes.csv", 3, 2),
    ]
    assert rejects(con) == [
        ("episodes", "episodes.csv", 4, "episode_id", "E1", "episode_id repeats an earlier row of episodes")]
    assert lines(con, "episodes") == [2]
    assert lines(con, "attendance") == [2, 3]
    assert summary_row(result, "attendance") == {
        "table": "attendance", "file": "attendance.csv", "rows_read": 4, "duplicates": 2,
        "rejected": 0, "loaded": 2}
    assert summary_row(result, "episodes") == {
        "table": "episodes", "file": "episodes.csv", "rows_read": 3, "duplicates": 1,
        "rejected": 1, "loaded": 1}


def test_parquet_duplicates_broken_rows_and_repeated_sessions(tmp_path):
    # The Parquet path with every kind of row, written by hand (Parquet rows are numbered
    # from 1; session ids are typed text, one with spaces around it):
    #   row 1  C1 S1 2024-01-02 attended      loads; first row of C1's S1
    #   row 2  C1 S1 2024-01-02 attended      identical to row 1: a duplicate
    #   row 3  C1 " S1 " 2024-01-03 no_show   not a duplicate; the same session as row 1
    #   row 4  C1 S2 "maybe"                   unknown status: rejected
    #   row 5  C1 S2 "maybe"                   identical to row 4: a duplicate, not a reject
    #   row 6  C1 (no id) 2024-01-04          loads; a session of its own
    # Loaded 1, 3, 6; duplicates 2 (of 1) and 5 (of 4); one reject (row 4, status).
    # Sessions: C1's S1 (row 1 speaks: attended first; 2 rows that disagree) and row 6.
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    folder = exports(tmp_path)
    (folder / "attendance.csv").unlink()
    pq.write_table(pa.table({
        "client_id": ["C1"] * 6,
        "session_id": ["S1", "S1", " S1 ", "S2", "S2", None],
        "session_date": pa.array([dt.date(2024, 1, 2), dt.date(2024, 1, 2), dt.date(2024, 1, 3),
                                  dt.date(2024, 1, 3), dt.date(2024, 1, 3), dt.date(2024, 1, 4)],
                                 pa.date32()),
        "session_type": ["group"] * 6,
        "status": ["attended", "attended", "no_show", "maybe", "maybe", "attended"],
    }), folder / "attendance.parquet")
    result, con = build_db(folder, tmp_path)
    assert lines(con, "attendance") == [1, 3, 6]
    assert con.execute("select line, duplicate_of_line from duplicate_rows order by line").fetchall() == [
        (2, 1), (5, 4)]
    assert [r[2:4] for r in rejects(con, "attendance")] == [(4, "status")]
    assert con.execute("""
        select session_id, line, status, rows_in_session, disagrees
        from session_rows order by session_id nulls last""").fetchall() == [
        ("S1", 1, "attended", 2, True),
        (None, 6, "attended", 1, False),
    ]
    assert summary_row(result, "attendance") == {
        "table": "attendance", "file": "attendance.parquet", "rows_read": 6, "duplicates": 2,
        "rejected": 1, "loaded": 3}


def test_files_are_listed_in_the_contracts_order(tmp_path):
    # The summary, source_files and the Data page's load summary list the files in the order
    # they load (clients, episodes, attendance, assessments, relapse_events), whatever order
    # the joins behind them happen to produce.
    from outcomes import config

    folder = exports(tmp_path, clients=[{"client_id": "C1"}])
    result, con = build_db(folder, tmp_path)
    order = ["clients", "episodes", "attendance", "assessments", "relapse_events"]
    assert [row.table for row in result.summary] == order
    con.close()
    # store source_files backwards, so only an explicit order can list them right
    con = duckdb.connect(str(tmp_path / "fixture.duckdb"))
    con.execute("create or replace table source_files as select * from source_files order by table_name desc")
    assert con.execute("select table_name from source_files").fetchall()[0] == ("relapse_events",)
    for name in ("source_files", "load_summary"):
        sql = (config.ROOT / "queries" / "quality" / f"{name}.sql").read_text()
        assert [r[0] for r in con.execute(sql).fetchall()] == order, name


def test_broken_row_among_duplicates_is_still_rejected(tmp_path):
    # The build looks for broken rows only when fewer rows loaded than were read, counted
    # before duplicates leave. Lines 2 and 3 are one row read twice (one duplicate); line 4
    # has an unknown status. Rows read 3, loaded 2 then 1: the broken row must still be found
    # and rejected (a count taken after the duplicate left would miss it: 3 - 1 duplicate =
    # 2 checked rows, 1 kept), and only line 2 loads.
    folder = exports(tmp_path)
    write_csv(folder, "episodes", "episode_id,client_id,level_of_care,admit_date\nE1,C1,2.1,2024-01-01\n")
    write_csv(folder, "attendance", ATTENDANCE_HEADER
              + "C1,2024-01-02,group,attended\n"
              + "C1,2024-01-02,group,attended\n"
              + "C1,2024-01-03,group,maybe\n")
    result, con = build_db(folder, tmp_path)
    assert [r[2:4] for r in rejects(con, "attendance")] == [(4, "status")]
    assert lines(con, "attendance") == [2]
    assert summary_row(result, "attendance") == {
        "table": "attendance", "file": "attendance.csv", "rows_read": 3, "duplicates": 1,
        "rejected": 1, "loaded": 1}


def repeated_sessions_exports(tmp_path: Path) -> Path:
    """Exports whose attendance has a session repeated only after trimming, an exact duplicate,
    another client's session of the same id and a row without a session id (lines 2-7; the
    two tests below work out what each line becomes)."""
    folder = exports(tmp_path)
    write_csv(folder, "episodes", "episode_id,client_id,level_of_care,admit_date\n"
              "E1,C1,2.1,2024-01-01\nE2,C2,2.1,2024-01-01\n")
    write_csv(folder, "attendance", "client_id,session_id,session_date,session_type,status\n"
              + "C1,S1,2024-01-02,group,attended\n"
              + " C1 , S1 ,2024-01-02,group,no_show\n"
              + "C1,S2,2024-01-03,group,attended\n"
              + "C1,S2,2024-01-03,group,attended\n"
              + "C2,S1,2024-01-02,group,attended\n"
              + "C1,,2024-01-04,group,attended\n")
    return folder


def test_duplicates_and_repeated_sessions_are_found_by_their_session_key(tmp_path):
    # Attendance rows with a session_id are hashed by their loaded (client_id, session_id) in
    # the duplicate pass, which also keeps the keys that repeat for the model. By hand:
    #   line 2  C1 S1 attended             first row of C1's session S1
    #   line 3  " C1 ", " S1 " no_show     other raw text (not a duplicate of line 2), but the
    #                                      same loaded key: the same session
    #   line 4  C1 S2 attended             C1's session S2
    #   line 5  C1 S2 attended             identical to line 4: a duplicate, loads once
    #   line 6  C2 S1 attended             another client's S1: a session of its own
    #   line 7  C1 (no id) attended        no session id: a session of its own
    # Loaded: lines 2, 3, 4, 6, 7. Sessions: C1's S1 (line 2 speaks for it: attended comes
    # before no_show; 2 rows that disagree on status), C1's S2 (1 row left), line 7, C2's S1.
    # Keys that repeat among the loaded rows (duplicates included, before they leave): (C1, S1)
    # only after trimming, (C1, S2) by the duplicate.
    result, con = build_db(repeated_sessions_exports(tmp_path), tmp_path)
    assert con.execute("select line, duplicate_of_line from duplicate_rows").fetchall() == [(5, 4)]
    assert lines(con, "attendance") == [2, 3, 4, 6, 7]
    assert con.execute("""
        select client_id, session_id, line, status, rows_in_session, disagrees
        from session_rows order by client_id, session_id nulls last""").fetchall() == [
        ("C1", "S1", 2, "attended", 2, True),
        ("C1", "S2", 4, "attended", 1, False),
        ("C1", None, 7, "attended", 1, False),
        ("C2", "S1", 6, "attended", 1, False),
    ]
    repeated = ("select count(*) from attendance_repeated_keys "
                "where key_hash = session_key_hash($client, $session)")
    assert con.execute(repeated, {"client": "C1", "session": "S1"}).fetchone()[0] == 1
    assert con.execute(repeated, {"client": "C1", "session": "S2"}).fetchone()[0] == 1
    assert con.execute(repeated, {"client": "C2", "session": "S1"}).fetchone()[0] == 0
    assert summary_row(result, "attendance")["duplicates"] == 1


def test_an_earlier_as_of_date_groups_sessions_in_an_old_database_too(tmp_path):
    # A database built before attendance_repeated_keys existed has no such table: open_as_of
    # finds the repeated keys in the loaded rows instead. The fixture of the test above, seen
    # on 2024-01-03 (line 7, dated 01-04, is not known yet), by hand:
    #   C1's S1: lines 2 and 3, line 2 speaks (attended before no_show), 2 rows that disagree
    #   C1's S2: line 4 (line 5 was its duplicate and did not load)
    #   C2's S1: line 6
    # The same in the database as built and in a copy without the table.
    from outcomes.db import open_as_of

    _result, con = build_db(repeated_sessions_exports(tmp_path), tmp_path)
    con.close()
    built = tmp_path / "fixture.duckdb"
    old = tmp_path / "old.duckdb"
    shutil.copy(built, old)
    with duckdb.connect(str(old)) as edit:
        edit.execute("drop table attendance_repeated_keys")
    expected = [
        ("C1", "S1", 2, "attended", 2, True),
        ("C1", "S2", 4, "attended", 1, False),
        ("C2", "S1", 6, "attended", 1, False),
    ]
    for path in (built, old):
        seen = open_as_of(path, dt.date(2024, 1, 3))
        try:
            assert seen.execute("""
                select client_id, session_id, line, status, rows_in_session, disagrees
                from session_rows order by client_id, session_id""").fetchall() == expected, path.name
        finally:
            seen.close()


# ---------------------------------------------------------------------------------------------
# Builds that cannot go on: exit status 2 and one message naming the file and the column
# ---------------------------------------------------------------------------------------------

CLIENT = "ZZCLIENT123"  # never appears in a message or in the summary


def _episodes_csv(client=CLIENT):
    return ("episode_id,client_id,level_of_care,admit_date\n"
            f"EP-77,{client},2.1,2024-01-01\n")


def _no_client_in(process: subprocess.CompletedProcess) -> None:
    assert CLIENT not in process.stdout
    assert CLIENT not in process.stderr


def test_missing_required_column_exits_2(tmp_path):
    folder = exports(tmp_path)
    write_csv(folder, "episodes", _episodes_csv())
    write_csv(folder, "attendance", f"client_id,session_date,session_type\n{CLIENT},2024-01-02,group\n")
    process = run_cli(folder, tmp_path / "out.duckdb")
    assert process.returncode == 2, process.stderr
    assert "attendance.csv" in process.stderr
    assert "'status'" in process.stderr
    assert "missing" in process.stderr
    _no_client_in(process)
    assert not (tmp_path / "out.duckdb").exists()


def test_missing_required_file_exits_2(tmp_path):
    folder = exports(tmp_path)
    write_csv(folder, "episodes", _episodes_csv())
    (folder / "assessments.csv").unlink()
    process = run_cli(folder, tmp_path / "out.duckdb")
    assert process.returncode == 2, process.stderr
    assert "assessments.csv" in process.stderr
    assert "missing" in process.stderr
    _no_client_in(process)


def test_empty_file_exits_2(tmp_path):
    folder = exports(tmp_path)
    write_csv(folder, "episodes", _episodes_csv())
    write_csv(folder, "relapse_events", b"")
    process = run_cli(folder, tmp_path / "out.duckdb")
    assert process.returncode == 2, process.stderr
    assert "relapse_events.csv" in process.stderr
    assert "empty" in process.stderr
    _no_client_in(process)


def test_file_without_header_row_exits_2(tmp_path):
    folder = exports(tmp_path)
    write_csv(folder, "episodes", _episodes_csv())
    write_csv(folder, "attendance", f"{CLIENT},2024-01-02,group,attended\n{CLIENT},2024-01-03,group,attended\n")
    process = run_cli(folder, tmp_path / "out.duckdb")
    assert process.returncode == 2, process.stderr
    assert "attendance.csv" in process.stderr
    assert "header" in process.stderr
    _no_client_in(process)


def test_unreadable_workbook_exits_2(tmp_path):
    folder = exports(tmp_path)
    write_csv(folder, "episodes", _episodes_csv())
    (folder / "attendance.csv").unlink()
    (folder / "attendance.xlsx").write_bytes(b"this is not a workbook")
    process = run_cli(folder, tmp_path / "out.duckdb")
    assert process.returncode == 2, process.stderr
    assert "attendance.xlsx" in process.stderr
    assert "Traceback" not in process.stderr
    _no_client_in(process)


def test_no_valid_episodes_exits_2(tmp_path):
    folder = exports(tmp_path)
    write_csv(folder, "episodes", "episode_id,client_id,level_of_care,admit_date\n"
              f"EP-77,{CLIENT},9.9,2024-01-01\n"
              f"EP-78,{CLIENT},2.1,someday\n")
    process = run_cli(folder, tmp_path / "out.duckdb")
    assert process.returncode == 2, process.stderr
    assert "episodes.csv" in process.stderr
    assert "no valid episodes" in process.stderr
    _no_client_in(process)
    assert not (tmp_path / "out.duckdb").exists()


def test_header_only_relapse_events_builds_empty(tmp_path):
    folder = exports(tmp_path)
    write_csv(folder, "episodes", _episodes_csv())
    write_csv(folder, "relapse_events", "client_id,event_date,event_type\n")
    db = tmp_path / "out.duckdb"
    process = run_cli(folder, db)
    assert process.returncode == 0, process.stderr
    relapse_line = next(line for line in process.stdout.splitlines() if line.startswith("relapse_events.csv"))
    assert relapse_line.split()[1:] == ["0", "0", "0", "0", "(empty)"]
    episodes_line = next(line for line in process.stdout.splitlines() if line.startswith("episodes.csv"))
    assert "(empty)" not in episodes_line
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("select count(*) from relapse_events").fetchone()[0] == 0
    assert con.execute("select count(*) from relapses").fetchone()[0] == 0
    _no_client_in(process)


def test_two_files_for_one_table_exit_2(tmp_path):
    folder = exports(tmp_path)
    write_csv(folder, "episodes", _episodes_csv())
    shutil.copy(folder / "attendance.csv", folder / "attendance.xlsx")
    process = run_cli(folder, tmp_path / "out.duckdb")
    assert process.returncode == 2, process.stderr
    assert "attendance.csv" in process.stderr and "attendance.xlsx" in process.stderr
    assert "one file per table" in process.stderr


def test_header_naming_a_column_twice_fails(tmp_path):
    folder = exports(tmp_path)
    write_csv(folder, "attendance", "client_id,Client ID,session_date,session_type,status\n"
              "C1,C1,2024-01-02,group,attended\n")
    with pytest.raises(BuildError, match=r"attendance\.csv: columns 'client_id' and 'Client ID' both mean 'client_id'"):
        build(folder, tmp_path / "out.duckdb", today=TODAY)
    assert not (tmp_path / "out.duckdb").exists()


def test_invalid_mapping_toml_exits_2(tmp_path):
    folder = exports(tmp_path)
    write_csv(folder, "episodes", _episodes_csv())
    (folder / "mapping.toml").write_text('"Patient ID" = client_id\n', encoding="utf-8")
    process = run_cli(folder, tmp_path / "out.duckdb")
    assert process.returncode == 2, process.stderr
    assert "mapping.toml" in process.stderr
    assert "Traceback" not in process.stderr


def test_missing_exports_folder_exits_2(tmp_path):
    process = run_cli(tmp_path / "nowhere", tmp_path / "out.duckdb")
    assert process.returncode == 2, process.stderr
    assert "nowhere" in process.stderr


def test_header_only_file_without_newline_is_an_empty_table(tmp_path):
    folder = exports(tmp_path)
    write_csv(folder, "relapse_events", "client_id,event_date,event_type")
    result, con = build_db(folder, tmp_path)
    assert con.execute("select count(*) from relapse_events").fetchone()[0] == 0
    assert summary_row(result, "relapse_events")["rows_read"] == 0
    relapse_line = next(line for line in result.report().splitlines() if line.startswith("relapse_events.csv"))
    assert relapse_line.endswith("(empty)")
    assert con.execute("select data_type from information_schema.columns "
                       "where table_name = 'relapse_events' and column_name = 'line'").fetchone()[0] == "BIGINT"


def test_summary_and_progress_never_name_a_client(tmp_path):
    folder = exports(tmp_path)
    write_csv(folder, "episodes", _episodes_csv())
    write_csv(folder, "attendance", ATTENDANCE_HEADER
              + f"{CLIENT},2024-01-02,group,attended\n"
              + f"{CLIENT},2024-01-03,group,maybe\n"
              + f"{CLIENT},2024-01-03,group,attended,extra\n"
              + f"{CLIENT},2999-01-03,group,attended\n")
    write_csv(folder, "assessments", "client_id,assessment_date,instrument,score\n"
              f"{CLIENT},2024-01-02,PHQ-9,30\n")
    process = run_cli(folder, tmp_path / "out.duckdb")
    assert process.returncode == 0, process.stderr
    assert "Rejected rows by reason" in process.stdout
    _no_client_in(process)


# ---------------------------------------------------------------------------------------------
# A build never damages the database the dashboard reads
# ---------------------------------------------------------------------------------------------


def _good_db(tmp_path: Path) -> Path:
    folder = exports(tmp_path / "good")
    db = tmp_path / "live" / "outcomes.duckdb"
    build(folder, db, today=TODAY)
    return db


def _assert_untouched(db: Path, digest: str) -> None:
    assert sha256(db) == digest
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("select episode_id from episodes").fetchall() == [("E1",)]
    con.close()
    assert sorted(p.name for p in db.parent.iterdir()) == [db.name]  # no temp file left


def test_failed_build_leaves_previous_database_unchanged(tmp_path):
    db = _good_db(tmp_path)
    digest = sha256(db)
    folder = exports(tmp_path / "bad")
    write_csv(folder, "attendance", "client_id,session_date\nC1,2024-01-02\n")
    process = run_cli(folder, db)
    assert process.returncode == 2
    assert "unchanged" in process.stderr
    _assert_untouched(db, digest)


def test_build_failing_in_the_model_leaves_previous_database_unchanged(tmp_path):
    db = _good_db(tmp_path)
    digest = sha256(db)
    queries = tmp_path / "queries"
    shutil.copytree(ROOT / "queries", queries)
    (queries / "model" / "99_broken.sql").write_text(
        "-- name: broken\n-- title: t\n-- description: d\n-- params:\n-- columns: x\n"
        "-- materialize: table\n\nselect no_such_column from episodes\n", encoding="utf-8")
    with pytest.raises(BuildError, match="model could not be built"):
        build(exports(tmp_path / "other"), db, today=TODAY, queries=queries)
    _assert_untouched(db, digest)


def test_interrupted_build_leaves_previous_database_unchanged(tmp_path):
    db = _good_db(tmp_path)
    digest = sha256(db)

    def interrupt(message: str) -> None:
        if message.startswith("model:"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build(exports(tmp_path / "other"), db, today=TODAY, progress=interrupt)
    _assert_untouched(db, digest)


def test_stale_temp_file_of_a_killed_build_is_removed(tmp_path):
    db = _good_db(tmp_path)
    stale = db.parent / f".{db.name}.tmp-999999999-deadbeef"   # no such process
    stale.write_bytes(b"half a database")
    build(exports(tmp_path / "again"), db, today=TODAY)
    assert sorted(p.name for p in db.parent.iterdir()) == [db.name]


# ---------------------------------------------------------------------------------------------
# Malformed CSV, encodings, line ends
# ---------------------------------------------------------------------------------------------


def test_malformed_lines_rejected_with_physical_line_numbers(tmp_path):
    folder = exports(tmp_path)
    write_csv(folder, "attendance", ATTENDANCE_HEADER       # line 1
              + "C1,2024-01-02,group,attended\n"             # line 2
              + "\n"                                         # line 3: blank
              + "C1,2024-01-03,group,attended,extra\n"       # line 4: too many values
              + "C1\n"                                       # line 5: too few values (3 missing)
              + "C1,2024-01-05,group,maybe\n"                # line 6: a bad status
              + "C1,2024-01-06,group,attended\n")            # line 7
    result, con = build_db(folder, tmp_path)
    assert rejects(con) == [
        ("attendance", "attendance.csv", 4, "(whole line)", "C1,2024-01-03,group,attended,extra",
         "the line has more values than the header's 4 columns"),
        ("attendance", "attendance.csv", 5, "(whole line)", "C1",     # one reject row, not three
         "the line has fewer values than the header's 4 columns"),
        ("attendance", "attendance.csv", 6, "status", "maybe", NOT_A_STATUS),
    ]
    assert lines(con, "attendance") == [2, 7]
    # read = duplicates + rejected + loaded (the blank line is no row)
    assert summary_row(result, "attendance") == {
        "table": "attendance", "file": "attendance.csv", "rows_read": 5, "duplicates": 0,
        "rejected": 3, "loaded": 2}


def test_line_numbers_after_a_value_spanning_lines(tmp_path):
    folder = exports(tmp_path)
    write_csv(folder, "attendance", "client_id,session_date,session_type,status,topic\n"   # line 1
              + 'C1,2024-01-02,workshop,attended,"boundaries,\nand enabling"\n'              # lines 2-3
              + "C1,2024-01-03,group,maybe,\n"                                               # line 4
              + "\n\n"                                                                       # lines 5-6
              + "C1,2024-01-04,group,attended,x,y\n"                                         # line 7: too many
              + "C1,2024-01-05,group,attended,,\n"                                           # line 8: a trailing comma is tolerated
              + "\n")                                                                        # line 9
    _, con = build_db(folder, tmp_path)
    assert rejects(con) == [
        ("attendance", "attendance.csv", 4, "status", "maybe", NOT_A_STATUS),
        ("attendance", "attendance.csv", 7, "(whole line)", "C1,2024-01-04,group,attended,x,y",
         "the line has more values than the header's 5 columns"),
    ]
    assert con.execute("select line, topic from attendance order by line").fetchall() == [
        (2, "boundaries,\nand enabling"), (8, None)]


def test_latin1_file_loads_with_a_note(tmp_path):
    folder = exports(tmp_path)
    write_csv(folder, "attendance", "client_id,session_date,session_type,status,clinician\n"
              "C1,2024-01-02,group,attended,Ren\xe9e\n"
              "C1,2024-01-03,group,attended,Zo\xeb\n".encode("latin-1"))
    result, con = build_db(folder, tmp_path)
    assert rejects(con) == []
    assert con.execute("select line, clinician from attendance order by line").fetchall() == [
        (2, "Ren\u00e9e"), (3, "Zo\u00eb")]
    assert "Latin-1" in con.execute("select notes from source_files where table_name = 'attendance'").fetchone()[0]
    assert "attendance.csv: not valid UTF-8; read as Latin-1" in result.report()


def test_bom_and_crlf_load(tmp_path):
    folder = exports(tmp_path)
    write_csv(folder, "attendance", b"\xef\xbb\xbfclient_id,session_date,session_type,status\r\n"
              b"C1,2024-01-02,group,attended\r\n"
              b"C1,2024-01-03,group,present\r\n")
    _, con = build_db(folder, tmp_path)
    assert rejects(con) == []
    assert con.execute("select line, client_id, session_date, status from attendance order by line").fetchall() == [
        (2, "C1", dt.date(2024, 1, 2), "attended"), (3, "C1", dt.date(2024, 1, 3), "attended")]


def test_semicolon_separated_file_loads_with_line_numbers(tmp_path):
    # European spreadsheets save CSV with semicolons. The header line tells the delimiter; a
    # comma inside a value is then plain text. Line 3 has one value too few (malformed, kept
    # in rejects with its physical line); line 4 has an unknown status (a rule break).
    folder = exports(tmp_path)
    write_csv(folder, "attendance", "client_id;session_date;session_type;status;clinician\n"
              "C1;2024-01-02;group;attended;Smith, J\n"
              "C1;2024-01-03;group\n"
              "C1;2024-01-04;group;maybe;Lee\n"
              "C1;2024-01-05;individual;no_show;\n")
    result, con = build_db(folder, tmp_path)
    assert con.execute("select line, clinician, status from attendance order by line").fetchall() == [
        (2, "Smith, J", "attended"), (5, None, "no_show")]
    assert [r[2:4] for r in rejects(con, "attendance")] == [(3, "(whole line)"), (4, "status")]
    assert "attendance.csv: semicolon-separated values" in result.report()


def test_utf16_tab_separated_file_loads(tmp_path):
    # Excel's "Unicode Text" export: UTF-16 little-endian with a byte-order mark, tabs between
    # values, CRLF line ends. It is read through a UTF-8 copy that keeps the line numbers:
    # line 3 (an unknown session type) is rejected as line 3, and no copy is left behind.
    folder = exports(tmp_path)
    text = ("client_id\tsession_date\tsession_type\tstatus\tclinician\r\n"
            "C1\t2024-01-02\tgroup\tattended\tRen\u00e9e\r\n"
            "C1\t2024-01-03\tyoga\tattended\tZo\u00eb\r\n"
            "C1\t01/04/2024\tindividual\tattended\t\u674e\r\n")
    write_csv(folder, "attendance", b"\xff\xfe" + text.encode("utf-16-le"))
    result, con = build_db(folder, tmp_path)
    assert con.execute("select line, session_date, clinician from attendance order by line").fetchall() == [
        (2, dt.date(2024, 1, 2), "Ren\u00e9e"), (4, dt.date(2024, 1, 4), "\u674e")]
    assert [r[2:5] for r in rejects(con, "attendance")] == [(3, "session_type", "yoga")]
    report = result.report()
    assert "attendance.csv: UTF-16 text: read through a UTF-8 copy" in report
    assert "attendance.csv: tab-separated values" in report
    assert not [p for p in tmp_path.rglob(".*") if p.suffix == ".csv"]


@pytest.mark.parametrize(("line", "expected"), [
    ("a,b,c", ","),
    ("a;b;c", ";"),
    ("a\tb\tc", "\t"),
    ("a|b|c", "|"),
    ('"name; with semicolons",b,c', ","),   # delimiters inside quotes do not count
    ("client_id", ","),                      # one column: nothing to tell, a comma
    ("a;b,c;d", ";"),                        # more semicolons than commas
])
def test_delimiter_is_told_by_the_header_line(line, expected):
    from outcomes.build import _delimiter

    assert _delimiter(line) == expected


# ---------------------------------------------------------------------------------------------
# The as-of date
# ---------------------------------------------------------------------------------------------


def test_as_of_is_the_latest_loaded_date(tmp_path):
    folder = exports(tmp_path)
    write_csv(folder, "episodes",
              "episode_id,client_id,level_of_care,admit_date,discharge_date,discharge_reason\n"
              "E1,C1,2.1,2024-01-01,2024-03-01,completed\n"
              "E2,C1,9.9,2024-04-20,,\n")                       # rejected: its date does not count
    write_csv(folder, "attendance", ATTENDANCE_HEADER
              + "C1,2024-03-10,group,attended\n"
              + "C1,2024-05-01,group,maybe\n"                   # rejected
              + "C1,2999-01-01,group,attended\n")               # rejected (future)
    write_csv(folder, "assessments", "client_id,assessment_date,instrument,score\n"
              "C1,2024-03-05,PHQ-9,10\n"
              "C1,2024-04-01,PHQ-9,99\n")                       # rejected
    result, con = build_db(folder, tmp_path)
    assert result.as_of == dt.date(2024, 3, 10)
    assert con.execute("select as_of from build_info").fetchone()[0] == dt.date(2024, 3, 10)
    assert con.execute("select as_of from model_as_of").fetchone()[0] == dt.date(2024, 3, 10)
    assert con.execute("select build_date from build_info").fetchone()[0] == TODAY


def test_as_of_counts_relapse_and_discharge_dates(tmp_path):
    folder = exports(tmp_path, episodes=[{**EPISODE, "discharge_date": "2024-02-01",
                                          "discharge_reason": "completed"}])
    _, con = build_db(folder, tmp_path)
    assert con.execute("select as_of from build_info").fetchone()[0] == dt.date(2024, 2, 1)
    write_table(folder, "relapse_events", [
        {"client_id": "C1", "event_date": "2024-02-11", "event_type": "self_report"}])
    _, con2 = build_db(folder, tmp_path / "second")
    assert con2.execute("select as_of from build_info").fetchone()[0] == dt.date(2024, 2, 11)
