"""The export contract (SPEC section 2) as declared in outcomes.contract.

Expected values are written by hand from the SPEC; the SQL twins the build stores in the
database (``vocab_key``, ``normalise_level``, ``normalise_instrument`` macros) must agree with
the Python functions on every spelling.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from helpers import build_fixture
from outcomes.contract import (
    contract_markdown,
    fold_header,
    normalise_instrument,
    normalise_level,
    vocab_key,
)

# ---------------------------------------------------------------------------------------------
# vocab_key: case-insensitive, spaces, hyphens and underscores alike
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("No-Show", "no_show"),
        ("no_show", "no_show"),
        ("NO SHOW", "no_show"),
        ("no - show", "no_show"),
        ("no__show", "no_show"),
        ("  No Show  ", "no_show"),
        ("late cancel", "late_cancel"),
        ("Late-Cancel", "late_cancel"),
        ("LATE_CANCEL", "late_cancel"),
        ("late\tcancel", "late_cancel"),
        ("No\u00a0Show", "no_show"),  # a no-break space, as pasted from a spreadsheet
        ("_attended_", "attended"),
        ("Attended", "attended"),
        ("3.7 wm", "3.7_wm"),
        ("3.7-WM", "3.7_wm"),
        ("IOP", "iop"),
        ("left against advice", "left_against_advice"),
        ("", ""),
    ],
)
def test_vocab_key(raw, expected):
    assert vocab_key(raw) == expected


# ---------------------------------------------------------------------------------------------
# fold_header: case-insensitive, spaces and punctuation folded to _
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Session Date", "session_date"),
        ("session_date", "session_date"),
        ("SESSION-DATE", "session_date"),
        ("  Session  Date  ", "session_date"),
        ("Patient ID", "patient_id"),
        ("Client ID#", "client_id"),
        ("(episode id)", "episode_id"),
        ("\ufeffclient_id", "client_id"),  # a UTF-8 byte order mark read as text
        ("Level of Care", "level_of_care"),
        ("duration (minutes)", "duration_minutes"),
        ("Client.ID", "client_id"),
    ],
)
def test_fold_header(raw, expected):
    assert fold_header(raw) == expected


# ---------------------------------------------------------------------------------------------
# normalise_level: ASAM codes, optional .0, optional -WM, aliases
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2.1", "2.1"),
        ("1", "1.0"),  # a level may omit the .0
        ("1.0", "1.0"),
        ("4", "4.0"),
        ("0.5", "0.5"),
        ("3.7-WM", "3.7-WM"),
        ("3.7 wm", "3.7-WM"),
        ("3.7_WM", "3.7-WM"),
        ("3.7-wm", "3.7-WM"),
        ("1-WM", "1.0-WM"),
        ("IOP", "2.1"),
        ("iop", "2.1"),
        ("PHP", "2.5"),
        ("RES", "3.5"),
        ("Residential", "3.5"),
        ("OP", "1.0"),
        ("detox", "3.7-WM"),
        ("Detox", "3.7-WM"),
        (" 2.5 ", "2.5"),
        ("2", None),  # 2.0 is no ASAM level
        ("2.0", None),
        ("9.9", None),
        ("5", None),
        ("2.15", None),
        ("2.1.1", None),
        ("level 2", None),
        ("", None),
        ("wm", None),
    ],
)
def test_normalise_level(raw, expected):
    assert normalise_level(raw) == expected


# ---------------------------------------------------------------------------------------------
# normalise_instrument
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("PHQ-9", "PHQ-9"),
        ("phq9", "PHQ-9"),
        ("PHQ 9", "PHQ-9"),
        ("phq_9", "PHQ-9"),
        (" Phq-9 ", "PHQ-9"),
        ("GAD-7", "GAD-7"),
        ("gad7", "GAD-7"),
        ("GAD 7", "GAD-7"),
        ("AUDIT", "AUDIT"),  # an unknown instrument is kept as written
        ("  BAM  ", "BAM"),  # ... trimmed
        ("PHQ-2", "PHQ-2"),  # not PHQ-9
    ],
)
def test_normalise_instrument(raw, expected):
    assert normalise_instrument(raw) == expected


# ---------------------------------------------------------------------------------------------
# The SQL twins in a built database agree with the Python functions
# ---------------------------------------------------------------------------------------------

SPELLINGS = [
    "No-Show", "no_show", "NO SHOW", "no - show", "no__show", "  No Show  ", "late cancel",
    "Late-Cancel", "LATE_CANCEL", "late\tcancel", "_attended_", "Attended", "present", "absent",
    "3.7 wm", "3.7-WM", "3.7_wm", "3.7 - WM", "3.7WM", "1-wm", "IOP", "iop", "PHP", "RES",
    "Residential", "outpatient", "OP", "detox", "DETOX", "1", "1.0", "4", "0.5", "2", "2.0",
    "9.9", "5", "2.15", "2.1.1", " 2.1 ", "2.1\n", "level 2", "wm", "-", "", "   ",
    "step down", "AMA", "left against advice", "phq9", "PHQ 9", "PHQ-9", "gad_7", "AUDIT",
    " Audit-C ",
    # no-break spaces (pasted from a spreadsheet or a web page) are spaces too
    "No\u00a0Show", "late\u00a0cancel", "3.7\u00a0WM", "\u00a0IOP\u00a0",
]


@pytest.fixture(scope="module")
def built_db(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("twins")
    db = build_fixture(
        tmp,
        today=dt.date(2024, 6, 30),
        episodes=[{"episode_id": "E1", "client_id": "C1", "level_of_care": "2.1",
                   "admit_date": "2024-01-01"}],
    )
    con = duckdb.connect(str(db), read_only=True)
    yield con
    con.close()


def test_sql_vocab_key_agrees_with_python(built_db):
    for spelling in SPELLINGS:
        sql = built_db.execute("select vocab_key(?)", [spelling]).fetchone()[0]
        assert sql == vocab_key(spelling), repr(spelling)


def test_sql_normalise_level_agrees_with_python(built_db):
    for spelling in SPELLINGS:
        sql = built_db.execute("select normalise_level(?)", [spelling]).fetchone()[0]
        assert sql == normalise_level(spelling), repr(spelling)


def test_sql_normalise_instrument_agrees_with_python(built_db):
    # the build hands the macro trimmed text (an empty cell is NULL), as it reads every cell
    for spelling in SPELLINGS:
        if not spelling.strip():
            continue
        sql = built_db.execute("select normalise_instrument(?)", [spelling.strip()]).fetchone()[0]
        assert sql == normalise_instrument(spelling), repr(spelling)


def test_sql_twins_on_null(built_db):
    assert built_db.execute("select normalise_level(null), vocab_key(null)").fetchone() == (None, None)


# ---------------------------------------------------------------------------------------------
# contract_markdown lists every table and column of SPEC section 2
# ---------------------------------------------------------------------------------------------

SPEC_COLUMNS = {
    "clients": ["client_id", "birth_year", "gender", "race_ethnicity", "primary_substance",
                "referral_source", "payer"],
    "episodes": ["episode_id", "client_id", "level_of_care", "program", "site", "admit_date",
                 "discharge_date", "discharge_reason"],
    "attendance": ["client_id", "session_date", "session_type", "status", "episode_id",
                   "session_id", "topic", "clinician", "duration_minutes", "guests"],
    "assessments": ["client_id", "assessment_date", "instrument", "score", "episode_id"],
    "relapse_events": ["client_id", "event_date", "event_type", "substance", "episode_id"],
}


def _markdown_rows() -> list[list[str]]:
    lines = contract_markdown().splitlines()
    assert lines[0].startswith("| table | column |")
    assert set(lines[1]) <= {"|", "-"}
    return [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in lines[2:]]


def test_contract_markdown_lists_every_table_and_column():
    rows = _markdown_rows()
    # the table name is written on its first row only; carry it down
    seen: dict[str, list[str]] = {}
    current = None
    for row in rows:
        if row[0]:
            current = row[0].replace(" (optional)", "")
        seen.setdefault(current, []).append(row[1])
    assert seen == SPEC_COLUMNS


def test_contract_markdown_required_and_rules():
    rows = {(r[1], r[2], r[3]) for r in _markdown_rows()}
    table_cells = [r[0] for r in _markdown_rows() if r[0]]
    assert table_cells == ["clients (optional)", "episodes", "attendance", "assessments", "relapse_events"]
    assert ("admit_date", "date", "yes") in rows
    assert ("discharge_reason", "code", "when discharged") in rows
    assert ("guests", "int", "") in rows
    text = contract_markdown()
    for words in ("0..600", "1900..build year", "not after the build date",
                  "more than 3 is flagged, not rejected", "AMA -> dropped_out",
                  "late cancel -> cancelled", "IOP=2.1", "detox=3.7-WM",
                  "PHQ-9 integer 0..27", "GAD-7 integer 0..21"):
        assert words in text, words
