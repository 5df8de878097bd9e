"""Every threshold, benchmark and metric definition of the product, in one place.

The SQL reads the thresholds from the table ``instrument_thresholds`` that the build writes
from :data:`INSTRUMENT_THRESHOLDS`; pages and the board read labels, formats, benchmarks and
captions from :data:`METRICS` and :data:`BENCHMARKS`. Change a number here and everything that
shows or computes it follows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# ---------------------------------------------------------------------------------------------
# Assessment thresholds: NHS Talking Therapies (IAPT) reliable change, response and remission
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Thresholds:
    instrument: str
    reliable_change: float  # a fall of at least this much is reliable improvement
    response_fall: float  # response: a fall of at least this share of the baseline
    remission_below: float | None  # remission: a follow-up score below this
    caseness: float  # clinical caseness cut-off (IAPT): at or above is a "case"
    bands: tuple[tuple[str, float, float], ...]  # severity bands (label, lowest, highest)


INSTRUMENT_THRESHOLDS = (
    Thresholds(
        "PHQ-9", reliable_change=6, response_fall=0.5, remission_below=5, caseness=10,
        bands=(("none", 0, 4), ("mild", 5, 9), ("moderate", 10, 14),
               ("moderately severe", 15, 19), ("severe", 20, 27)),
    ),
    Thresholds(
        "GAD-7", reliable_change=4, response_fall=0.5, remission_below=None, caseness=8,
        bands=(("none", 0, 4), ("mild", 5, 9), ("moderate", 10, 14), ("severe", 15, 21)),
    ),
)

THRESHOLD_SOURCE = "NHS Talking Therapies (IAPT) manual"

# Days that define windows, so captions and SQL parameters agree.
CONTINUATION_DAYS = 30
CONTINUATION_SESSIONS = 5
DEFAULT_RETENTION_DAYS = (30, 60, 90)
STEP_DOWN_DAYS = (7, 30)
STEP_UP_DAYS = 14
STAY_GAP_DAYS = 14
KM_LOST_AFTER_DAYS = 30  # an open stay with no attended session for longer counts as lost
WORKSHOP_PLAN_DAYS = 14
WORKSHOP_GAP_FLAG_DAYS = 21
WORKSHOP_GUEST_LIMIT = 3
SMALL_CELL = 11  # counts below this (1..10) are suppressed on the board

# ---------------------------------------------------------------------------------------------
# National benchmarks (SPEC section 4)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Benchmark:
    value: float
    label: str
    source: str


TEDS = "TEDS-D 2004, IOP discharges (national)"
BENCHMARKS = {
    "completion_rate": Benchmark(0.377, "37.7% completed", TEDS),
    "transferred_share": Benchmark(0.179, "17.9% transferred", TEDS),
    "dropped_out_share": Benchmark(0.232, "23.2% dropped out", TEDS),
    "median_los_days": Benchmark(41, "median stay 41 days", TEDS),
}

# ---------------------------------------------------------------------------------------------
# The metrics of SPEC section 4: label, format, which way is good, definition in words
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    kind: str  # "count", "rate", "days", "per1000"
    higher_is_better: bool | None
    definition: str


def _metric(key, label, kind, higher_is_better, definition) -> Metric:
    return Metric(key, label, kind, higher_is_better, definition)


METRICS: dict[str, Metric] = {m.key: m for m in (
    _metric("admissions", "Admissions", "count", None,
            "Focus episodes with admit_date in the period."),
    _metric("discharges", "Discharges", "count", None,
            "Focus episodes with discharge_date in the period."),
    _metric("completion_rate", "Completion", "rate", True,
            "Of focus episodes discharged in the period, the share discharged with reason "
            "completed."),
    _metric("median_los_days", "Median length of stay", "days", None,
            "Median of discharge_date - admit_date (days) over focus episodes discharged in "
            "the period."),
    _metric("continuation_rate", "Continuation (NIATx)", "rate", True,
            f"Of focus admissions in the period with admit_date + {CONTINUATION_DAYS} on or "
            f"before the as-of date, the share with at least {CONTINUATION_SESSIONS} attended "
            f"treatment sessions (not workshops) of their stay dated admit_date .. admit_date + "
            f"{CONTINUATION_DAYS}."),
    _metric("retention", "Retention", "rate", True,
            "Of focus admissions in the period with admit_date + N on or before the as-of "
            "date (leaving out stays that ended transferred before day N), the share with an "
            "attended treatment session of their stay on or after admit_date + N, or whose "
            "stay ended completed."),
    _metric("attendance_rate", "Show rate", "rate", True,
            "Attended / (attended + no-show) over sessions of any type dated in the period "
            "that belong to focus episodes; cancelled and excused count in neither."),
    _metric("active_census_end", "Active census", "count", None,
            "Focus episodes admitted on or before the period's last day and still open at "
            "its close."),
    _metric("step_down_7d_rate", "Step-down within 7 days", "rate", True,
            "Of level 3+ episodes discharged completed or transferred in the period (with 7 "
            "days of follow-up known), the share whose client started a lower level 0..7 days "
            "after discharge."),
    _metric("step_down_30d_rate", "Step-down within 30 days", "rate", True,
            "Of level 3+ episodes discharged completed or transferred in the period (with 30 "
            "days of follow-up known), the share whose client started a lower level 0..30 "
            "days after discharge."),
    _metric("step_up_rate", "Step-up within 14 days", "rate", False,
            "Of focus episodes discharged in the period (with 14 days of follow-up known), "
            "the share whose client started a higher level 0..14 days after discharge."),
    _metric("relapse_rate_per_1000_days", "Relapse rate per 1,000 days", "per1000", False,
            "1,000 x distinct client relapse days / client-days, both counted in the period "
            "inside focus episode windows."),
    _metric("relapse_episode_rate", "Episodes with a relapse", "rate", False,
            "Of focus episodes whose window overlaps the period, the share with a relapse day "
            "inside both the window and the period."),
    _metric("phq9_reliable_improvement_rate", "PHQ-9 reliable improvement", "rate", True,
            "Of focus episodes discharged in the period with a PHQ-9 baseline (earliest score "
            "admit - 7 .. admit + 14) and follow-up (latest score baseline + 14 .. discharge), "
            "the share whose score fell by 6 or more (NHS Talking Therapies)."),
    _metric("gad7_reliable_improvement_rate", "GAD-7 reliable improvement", "rate", True,
            "As for PHQ-9, with GAD-7 and a fall of 4 or more (NHS Talking Therapies)."),
    _metric("measurement_completion_rate", "Measurement completion", "rate", True,
            "Of focus episodes discharged in the period, the share with a PHQ-9 baseline and "
            "follow-up."),
    _metric("workshops_held", "Workshops held", "count", None,
            "Distinct family workshops with an attended row dated in the period."),
    _metric("workshop_reach_rate", "Workshop reach", "rate", True,
            "Of focus episodes overlapping the period whose window spans 14+ days, the share "
            "whose client attended a workshop inside the window."),
    _metric("family_reach_rate", "Family reach", "rate", True,
            "As workshop reach, counting only workshops the client attended with at least one "
            "guest."),
)}


def metric(key: str) -> Metric:
    """The definition of a kpis key (``retention_60d`` -> the retention metric for N = 60)."""
    if key in METRICS:
        return METRICS[key]
    if key.startswith("retention_") and key.endswith("d"):
        days = key[len("retention_"):-1]
        base = METRICS["retention"]
        return Metric(key, f"{days}-day retention", base.kind, base.higher_is_better,
                      base.definition.replace("N", days))
    raise KeyError(key)


# ---------------------------------------------------------------------------------------------
# Relapse, assessment and family-workshop pages (issue 5): windows, orders and page metrics
# ---------------------------------------------------------------------------------------------

# The four curriculum topics of the Interpersonal Development Workshops, in teaching order.
# Export topics match them case-insensitively with spaces, hyphens and underscores alike.
WORKSHOP_TOPICS = (
    "Neuroscience of addiction",
    "Enabling and healthy boundaries",
    "Talking about avoided topics",
    "Healthy communication and listening",
)
FAMILY_EARLY_DAYS = 30  # "brought a loved one in the first 30 days" (admit_date .. + 30)
FAMILY_RETENTION_DAYS = 60  # compared on 60-day retention (the retention_60d rule)

EARLY_WARNING_DAYS = 14  # show rate in the 14 days before a relapse (event_date - 14 .. - 1)
# A relapse day with events of several types is shown as the first type in this order (the
# most serious or most objective evidence first), with that event's substance.
RELAPSE_TYPE_ORDER = ("overdose", "positive_screen", "collateral_report", "self_report", "other")
RELAPSE_TYPE_LABELS = {
    "overdose": "Overdose", "positive_screen": "Positive screen",
    "collateral_report": "Collateral report", "self_report": "Self-report", "other": "Other",
}
RELAPSE_MAX_WEEK = 16  # relapse by week since admission: weeks 0..15, then "16 and later"
TRAJECTORY_MAX_WEEK = 16  # assessment trajectories: weeks 0..16 since admission
LOS_BANDS_DAYS = (0, 30, 60, 90)  # change by length of stay: 0-29, 30-59, 60-89, 90+ days

# Student's t, 97.5% quantile, for 1..30 degrees of freedom (the twin of the SQL macro t975 in
# queries/model/79_ci95.sql; a test keeps them equal). 95% intervals of a mean use it.
T975 = (12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
        2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
        2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423)


def t975(df: int) -> float | None:
    """Student's t 97.5% quantile with ``df`` degrees of freedom: the table up to 30, then the
    Cornish-Fisher expansion around z = 1.959964 (within 0.0002 of the exact value)."""
    if df < 1:
        return None
    if df <= len(T975):
        return T975[df - 1]
    z = 1.959964
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


def thresholds(instrument: str) -> Thresholds:
    """The thresholds of one instrument (``PHQ-9`` or ``GAD-7``)."""
    return next(t for t in INSTRUMENT_THRESHOLDS if t.instrument == instrument)


def threshold_words(instrument: str) -> str:
    """The thresholds in words, for captions: reliable change, response, remission."""
    t = thresholds(instrument)
    words = (f"{instrument}: reliable change {t.reliable_change:g} points, response a fall of "
             f"{t.response_fall:.0%} or more of the baseline")
    if t.remission_below is not None:
        words += f", remission a follow-up below {t.remission_below:g}"
    return words + f" ({THRESHOLD_SOURCE})"


def _instrument_metrics(instrument: str, key: str) -> tuple[Metric, ...]:
    t = thresholds(instrument)
    measured = (f"Of focus episodes discharged in the period with a {instrument} baseline "
                "(earliest score admit - 7 .. admit + 14) and follow-up (latest score baseline "
                "+ 14 .. discharge)")
    metrics = (
        _metric(f"{key}_reliable_deterioration_rate", f"{instrument} reliable deterioration",
                "rate", False, f"{measured}, the share whose score rose by {t.reliable_change:g} "
                f"or more ({THRESHOLD_SOURCE})."),
        _metric(f"{key}_response_rate", f"{instrument} response", "rate", True,
                f"{measured}, the share whose score fell by {t.response_fall:.0%} or more of a "
                "baseline above 0."),
        _metric(f"{key}_measurement_completion_rate", f"{instrument} measured", "rate", True,
                f"Of focus episodes discharged in the period, the share with a {instrument} "
                "baseline and follow-up."),
    )
    if t.remission_below is not None:
        metrics += (_metric(f"{key}_remission_rate", f"{instrument} remission", "rate", True,
                            f"{measured}, the share whose follow-up is below "
                            f"{t.remission_below:g}."),)
    return metrics


# Metrics the pages show beside the kpis keys (not printed by `kpis`); same shape as METRICS.
# kind "ratio" is a number with one decimal (e.g. clients per workshop).
PAGE_METRICS: dict[str, Metric] = {m.key: m for m in (
    _metric("relapse_step_up_rate", "Relapse followed by a step-up", "rate", None,
            f"Of relapse days in the period inside a focus episode window (with "
            f"{STEP_UP_DAYS} days of follow-up known), the share after which the client "
            f"started a higher level of care 0..{STEP_UP_DAYS} days later."),
    _metric("median_days_to_first_relapse", "Median days to first relapse", "days", None,
            "Of focus admissions in the period with a relapse event inside their episode "
            "window, the median of first relapse date - admit_date (day 0 = admit day)."),
    *_instrument_metrics("PHQ-9", "phq9"),
    *_instrument_metrics("GAD-7", "gad7"),
    _metric("clients_per_workshop", "Clients per workshop", "ratio", None,
            "Attended client rows at workshops dated in the period / workshops held."),
    _metric("guests_per_workshop", "Guests per workshop", "ratio", True,
            "Loved ones who came with those clients / workshops held."),
)}


def page_metric(key: str) -> Metric:
    """A kpis key's definition, or a page metric's."""
    return PAGE_METRICS[key] if key in PAGE_METRICS else metric(key)


# ---------------------------------------------------------------------------------------------
# How a metric's value is written (pages, tiles and the board pack alike)
# ---------------------------------------------------------------------------------------------


def is_missing(value) -> bool:
    """None or NaN: a rate with nothing to count."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def format_value(kind: str, value) -> str:
    """A metric's value as shown: rates as percentages, per-1,000 rates with one decimal,
    days with their unit, counts with thousands separators; "n/a" when missing."""
    if is_missing(value):
        return "n/a"
    if kind == "rate":
        return f"{value:.1%}"
    if kind == "per1000":
        return f"{value:.1f}"
    if kind == "days":
        return f"{value:g} days"
    return f"{int(value):,}"
