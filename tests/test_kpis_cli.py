"""The JSON contract of `python -m outcomes kpis --json` (SPEC section 4), run as a command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import build_fixture

ROOT = Path(__file__).resolve().parent.parent

COUNT_KEYS = {"admissions", "discharges", "active_census_end", "workshops_held"}
RATE_KEYS = {
    "completion_rate", "continuation_rate", "attendance_rate", "step_down_7d_rate",
    "step_down_30d_rate", "step_up_rate", "relapse_rate_per_1000_days", "relapse_episode_rate",
    "phq9_reliable_improvement_rate", "gad7_reliable_improvement_rate",
    "measurement_completion_rate", "workshop_reach_rate", "family_reach_rate",
}


def kpis_cli(db: Path, *args: str) -> tuple[int, dict]:
    proc = subprocess.run(
        [sys.executable, "-m", "outcomes", "kpis", "--db", str(db), *args, "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.returncode, json.loads(proc.stdout)  # exactly one JSON object on stdout


@pytest.fixture
def db(tmp_path):
    return build_fixture(tmp_path, episodes=[
        {"episode_id": "E1", "client_id": "C1", "level_of_care": "2.1", "program": "North",
         "admit_date": "2024-01-01", "discharge_date": "2024-03-10",
         "discharge_reason": "completed"},
        {"episode_id": "E2", "client_id": "C2", "level_of_care": "2.1", "program": "North",
         "admit_date": "2024-01-10"},
    ], attendance=[
        {"client_id": "C1", "session_date": "2024-02-15", "session_type": "group",
         "status": "attended"},
        {"client_id": "C2", "session_date": "2024-02-24", "session_type": "group",
         "status": "attended"},
    ])


def _check_types(out: dict, rate_keys: set[str]) -> None:
    for key in COUNT_KEYS:
        assert type(out[key]) is int, key
    for key in rate_keys:
        assert out[key] is None or type(out[key]) is float, key
    assert out["median_los_days"] is None or type(out["median_los_days"]) in (int, float)
    assert set(out["detail"]) == rate_keys
    for key, nd in out["detail"].items():
        assert set(nd) == {"numerator", "denominator"}, key
        assert type(nd["numerator"]) is int and type(nd["denominator"]) is int, key


def test_kpis_json_has_exactly_the_spec_keys(db):
    """One JSON object with exactly section 4's keys + detail; counts int, rates float/null."""
    _, out = kpis_cli(db, "--start", "2024-01-01", "--end", "2024-01-31")
    retention = {"retention_30d", "retention_60d", "retention_90d"}
    assert set(out) == {"as_of", "median_los_days", "detail"} | COUNT_KEYS | RATE_KEYS | retention
    _check_types(out, RATE_KEYS | retention)
    # as-of = latest loaded date = E1's discharge 2024-03-10
    assert out["as_of"] == "2024-03-10"
    # admissions in January: E1 (01-01), E2 (01-10); census at 01-31: both open
    assert (out["admissions"], out["discharges"], out["active_census_end"]) == (2, 0, 2)
    # retention 30d: E1 +30 = 01-31 (session 02-15 on/after -> retained; also completed),
    # E2 +30 = 02-09 (session 02-24 -> retained) -> 2/2; 60d: E1 +60 = 03-01 <= 03-10,
    # stay ended completed -> retained; E2 +60 = 03-10 <= 03-10, no session >= 03-10 -> 1/2
    assert out["retention_30d"] == 1.0
    assert out["detail"]["retention_60d"] == {"numerator": 1, "denominator": 2}
    assert out["retention_60d"] == 0.5
    assert out["retention_90d"] is None


def test_kpis_unknown_program_counts_zero_rates_null(db):
    """An unknown program: exit status 0, every count 0 and every rate (and the median) null."""
    code, out = kpis_cli(db, "--start", "2024-01-01", "--end", "2024-03-31",
                         "--program", "Nowhere")
    assert code == 0
    for key in COUNT_KEYS:
        assert out[key] == 0, key
    for key in RATE_KEYS | {"retention_30d", "retention_60d", "retention_90d"}:
        assert out[key] is None, key
    assert out["median_los_days"] is None


def test_kpis_retention_days_45(db):
    """--retention-days 45 gives retention_45d (and no default N): E1 +45 = 02-15, session on
    02-15 -> retained; E2 +45 = 02-24, session on 02-24 -> retained."""
    _, out = kpis_cli(db, "--start", "2024-01-01", "--end", "2024-01-31",
                      "--retention-days", "45", "--as-of", "2024-02-29")
    assert "retention_45d" in out
    assert not {"retention_30d", "retention_60d", "retention_90d"} & set(out)
    _check_types(out, RATE_KEYS | {"retention_45d"})
    assert out["as_of"] == "2024-02-29"
    assert out["detail"]["retention_45d"] == {"numerator": 2, "denominator": 2}
    assert out["retention_45d"] == 1.0
