"""A seeded generator of realistic demo EHR exports (the five tables of SPEC section 2).

``generate(out, clients=2000, seed=42)`` writes ``clients``, ``episodes``, ``attendance``,
``assessments`` and ``relapse_events`` into a folder, as CSV or Parquet, byte-identical for the
same arguments. The same code makes the dashboard's demo (2,000 clients, a few seconds) and the
benchmark data (100,000 clients, about 10 million attendance rows, streamed in chunks).

The simulation model
--------------------
Time is a window of ``months`` calendar months from ``start``; every date lies in it (day 0 is
``start``, the last day is the day before ``start + months``), and never after today.

*Clients.* Each client gets demographics (birth year mostly 1975-2000, gender, race/ethnicity,
primary substance with alcohol and opioids most common, referral source, payer), one program
(Young Adult for the under-26s mostly, else Adult IOP or Dual Diagnosis), a home site, and
private behaviour parameters: a show probability (Beta, mostly 0.75-0.95), a relapse risk, a
wish to bring family to workshops, a fixed IOP track (e.g. Mon/Wed/Thu, morning or evening),
fixed weekdays for individual sessions, urine screens and medication visits, and whether they
take medication for addiction (MAT) or have family in therapy.

*Episodes (pathways).* A client's first admission falls between ``start`` and three weeks
before the end, with mild seasonality and fewer weekend admissions. The first level is detox
3.7-WM (10%, 3-7 days, then residential), residential 3.5 (30%, 21-35 days), PHP 2.5 (20%,
10-25 days) or IOP 2.1 (40%, 6-14 weeks for completers). Every episode draws its discharge
reason and length from level-specific tables; completers and transfers step down
(residential -> PHP or IOP, PHP -> IOP, IOP -> OP 1.0) after a gap of 0-3 days usually,
sometimes 4-10, sometimes 15-40 (a new stay); about 15% of residential completers never step
down. IOP discharge reasons follow TEDS 2004 (completed ~38%, transferred ~18%, dropped out
~23%, the rest terminated, other, incarcerated, very rarely deceased); part of the IOP
transfers are step-ups to PHP or residential, three in four 0-14 days after a relapse (the
relapse event is written), the others after a crisis with no event recorded. After a stay ends some clients return for a new stay 15 days to a year later
(median about three months): 30% of drop-outs, 25% after a termination, 10% of completers. An
episode still running on the last day is left open (no discharge date or reason).

*Attendance.* Sessions fall only on days inside an episode (an episode admitted on the day the
previous one ended starts its sessions the next day). Every episode after detox opens with an
intake (an individual session). Detox: two groups (90 min) and a medication visit a day.
Residential: a morning and an afternoon group every day (90 min), the nightly recovery meeting
("other", 60 min), individual sessions twice a week and daily medication for MAT clients. PHP:
a 360-minute group every weekday, individual sessions twice a week, weekly medication. IOP:
180-minute groups on the client's 3-5 track days (morning or evening), a weekly individual
session (50 min), weekly medication for MAT clients (20 min) and weekly case management for
some ("other", 30 min). IOP and PHP: a weekly observed urine screen ("other", 15 min). Family
sessions (60 min) about monthly for clients whose family takes part. OP: one session a week,
an evening group (60 min) or an individual session, and monthly medication. Each row's status
is cancelled (4%), excused (3%), else attended with the client's show probability (higher in
residential care) or no_show; before a drop-out (milder, a termination) no-shows rise over the
client's last 2-3 weeks, and a drop-out comes to nothing over the last 5-21 days (at most half
the episode) before the discharge is recorded. Every other Saturday each site holds an Interpersonal Development
Workshop, the four curriculum topics rotating in order; the dates over Christmas and New Year
are skipped (a gap over 21 days). Each client in PHP or IOP on a workshop date comes with their
own probability (35% on average), mostly attended with 0-3 guests (four, breaking the program
rule, in about 1 of 300 rows). Group session ids are shared by site, date and morning/evening
(``G-N-20250103-am``), workshop ids by site and date (``WS-N-20250104``); other sessions get
unique numbered ids (``I-00000001``, ``F-``, ``M-``, ``O-``); ~3% of non-workshop rows have no
session id and ~8% of rows no episode id (the dashboard matches those by date). A client never
has two rows with one session id.

*Relapse events.* An attended urine screen is positive with the client's relapse proneness;
self-reports, collateral reports, rare overdoses and other events happen on any day in care
with a small hazard. Both are several times likelier after no-shows in the 14 days before and
in the three weeks before a drop-out. The substance is mostly the primary one. Most step-ups
are preceded by a relapse, and some returns by a report between stays (no episode id); ~85% of
events carry the episode id.

*Assessments.* PHQ-9 and GAD-7 at intake (admit - 3 .. admit + 3 of a stay's first episode,
mostly on the admit day) and every 14 +- 3 days while in an episode; a stay that ends completed
or transferred (or is still open) improves by about 0.95 PHQ-9 points a week from a baseline of
N(15, 5) (GAD-7 N(12, 4), ~0.7 a week), one that ends otherwise stays flat or worsens; scores
have noise and are clipped to their ranges. A third of clients also get a monthly Brief
Addiction Monitor (BAM) score 0..100 with one decimal, a non-standard instrument.

How it runs
-----------
Clients are simulated in chunks of :data:`CHUNK_CLIENTS`. Within a chunk a plain Python loop
per client draws the episode pathway (a handful of episodes), and everything per session, per
assessment and per event is vectorised with numpy over the chunk's expanded episode-days. Each
chunk is written as one row group (Parquet) or appended (CSV) through pyarrow, so memory stays
flat at any size. Each chunk has its own random streams derived from ``(seed, chunk number)``,
which keeps the output deterministic.
"""

from __future__ import annotations

import calendar
import datetime as dt
import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

# ---------------------------------------------------------------------------------------------
# Vocabularies and the output schema
# ---------------------------------------------------------------------------------------------

TABLE_NAMES = ("clients", "episodes", "attendance", "assessments", "relapse_events")

SCHEMAS: dict[str, pa.Schema] = {
    "clients": pa.schema([
        ("client_id", pa.string()), ("birth_year", pa.int32()), ("gender", pa.string()),
        ("race_ethnicity", pa.string()), ("primary_substance", pa.string()),
        ("referral_source", pa.string()), ("payer", pa.string()),
    ]),
    "episodes": pa.schema([
        ("episode_id", pa.string()), ("client_id", pa.string()), ("level_of_care", pa.string()),
        ("program", pa.string()), ("site", pa.string()), ("admit_date", pa.date32()),
        ("discharge_date", pa.date32()), ("discharge_reason", pa.string()),
    ]),
    "attendance": pa.schema([
        ("client_id", pa.string()), ("episode_id", pa.string()), ("session_id", pa.string()),
        ("session_date", pa.date32()), ("session_type", pa.string()), ("status", pa.string()),
        ("topic", pa.string()), ("clinician", pa.string()), ("duration_minutes", pa.int32()),
        ("guests", pa.int32()),
    ]),
    "assessments": pa.schema([
        ("client_id", pa.string()), ("episode_id", pa.string()),
        ("assessment_date", pa.date32()), ("instrument", pa.string()), ("score", pa.float64()),
    ]),
    "relapse_events": pa.schema([
        ("client_id", pa.string()), ("episode_id", pa.string()), ("event_date", pa.date32()),
        ("event_type", pa.string()), ("substance", pa.string()),
    ]),
}

# Levels of care, most intensive first; the index is the code used throughout this module.
LEVELS = ("3.7-WM", "3.5", "2.5", "2.1", "1.0")
DETOX, RES, PHP, IOP, OP = range(5)

REASONS = ("completed", "transferred", "dropped_out", "terminated", "incarcerated", "deceased",
           "other")
COMPLETED, TRANSFERRED, DROPPED_OUT, TERMINATED, INCARCERATED, DECEASED, OTHER = range(7)

SESSION_TYPES = ("group", "individual", "family", "workshop", "medication", "other")
GROUP, INDIVIDUAL, FAMILY, WORKSHOP, MEDICATION, OTHER_SESSION = range(6)
# Prefix of the numbered (unique) session ids, by session type; None = shared or no id.
UNIQUE_ID_PREFIX = (None, "I-", "F-", None, "M-", "O-")

STATUSES = ("attended", "no_show", "cancelled", "excused")
ATTENDED, NO_SHOW, CANCELLED, EXCUSED = range(4)

EVENT_TYPES = ("positive_screen", "self_report", "collateral_report", "overdose", "other")
POSITIVE_SCREEN, SELF_REPORT, COLLATERAL_REPORT, OVERDOSE, OTHER_EVENT = range(5)

TOPICS = (
    "Neuroscience of addiction",
    "Enabling and healthy boundaries",
    "Talking about avoided topics",
    "Healthy communication and listening",
)

SITES = ("Northside", "Riverside")
PROGRAMS = ("Adult IOP", "Young Adult", "Dual Diagnosis")
GENDERS = ("Female", "Male", "Non-binary")
RACES = ("White", "Black or African American", "Hispanic or Latino", "Asian",
         "American Indian or Alaska Native", "Two or more races", "Unknown")
SUBSTANCES = ("Alcohol", "Opioids", "Stimulants", "Cannabis", "Benzodiazepines")
REFERRALS = ("Self", "Family", "Court", "Primary care", "Hospital", "Employer")
PAYERS = ("Medicaid", "Commercial", "Medicare", "Self-pay")
INSTRUMENTS = ("PHQ-9", "GAD-7", "BAM")
PHQ9, GAD7, BAM = range(3)

# Made-up staff (never client data). Counselors run groups and individual sessions at their
# site; family therapists run family sessions and their site's workshops.
COUNSELORS = (
    ("Dr. A. Rivera", "J. Chen", "M. Okafor", "S. Patel"),
    ("R. Nguyen", "K. Lindqvist", "T. Brooks", "Dr. L. Moreno"),
)
FAMILY_THERAPISTS = ("E. Kowalski", "D. Haddad")
PRESCRIBERS = ("Dr. H. Adeyemi", "P. Singh", "Dr. C. Marsh")
CASE_MANAGERS = ("B. Ortiz", "G. Webb")
RECOVERY_COACHES = ("A. Foster", "N. Ramos")
NURSES = ("L. Park", "J. Diaz")
CLINICIANS = (tuple(n for site in COUNSELORS for n in site) + FAMILY_THERAPISTS + PRESCRIBERS
              + CASE_MANAGERS + RECOVERY_COACHES + NURSES)
_CLIN = {name: i for i, name in enumerate(CLINICIANS)}
_COUNSELOR_CODES = np.array([[_CLIN[n] for n in site] for site in COUNSELORS])
_FAMILY_CODES = np.array([_CLIN[n] for n in FAMILY_THERAPISTS])
_PRESCRIBER_CODES = np.array([_CLIN[n] for n in PRESCRIBERS])
_CASE_MANAGER_CODES = np.array([_CLIN[n] for n in CASE_MANAGERS])
_COACH_CODES = np.array([_CLIN[n] for n in RECOVERY_COACHES])
_NURSE_CODES = np.array([_CLIN[n] for n in NURSES])

# IOP tracks: weekdays (0 = Monday) a client attends group, and how often each track is used.
IOP_TRACKS = ((0, 2, 3), (0, 2, 4), (1, 3, 4), (0, 1, 3, 4), (0, 1, 2, 3), (0, 1, 2, 3, 4))
IOP_TRACK_P = (0.10, 0.08, 0.07, 0.16, 0.14, 0.45)
_TRACK_MASKS = np.array([sum(1 << d for d in t) for t in IOP_TRACKS])

GROUP_MINUTES = {DETOX: 90, RES: 90, PHP: 360, IOP: 180, OP: 60}
MINUTES = {INDIVIDUAL: 50, FAMILY: 60, MEDICATION: 20, OTHER_SESSION: 30, WORKSHOP: 120}
RECOVERY_MEETING_MINUTES = 60  # residential: the nightly community / mutual-help meeting
SCREEN_MINUTES = 15  # IOP and PHP: the weekly observed urine drug screen

WORKSHOP_WEEKDAY = 5  # Saturday
WORKSHOP_EVERY_DAYS = 14

CHUNK_CLIENTS = 5_000
CSV_CLIENT_LIMIT = 10_000  # fmt="auto": csv below this many clients, Parquet from it on

# Order of a client's sessions within a day (morning group first, workshop last).
(_AM_GROUP, _MEDICATION, _SCREEN, _INDIVIDUAL, _FAMILY, _OTHER, _PM_GROUP, _EVENING,
 _WORKSHOP) = range(9)


# ---------------------------------------------------------------------------------------------
# The calendar of the window and the workshop plan
# ---------------------------------------------------------------------------------------------


def _add_months(day: dt.date, months: int) -> dt.date:
    year, month0 = divmod(day.month - 1 + months, 12)
    year += day.year
    return dt.date(year, month0 + 1, min(day.day, calendar.monthrange(year, month0 + 1)[1]))


@dataclass(frozen=True)
class _Calendar:
    """Days of the window as integers 0 .. n_days - 1, with what the generator needs of them."""

    start: dt.date
    n_days: int

    @property
    def epoch_offset(self) -> int:
        """Days from 1970-01-01 to ``start``: day + offset is a date32 value."""
        return (self.start - dt.date(1970, 1, 1)).days

    @property
    def first_weekday(self) -> int:
        return self.start.weekday()

    def date(self, day: int) -> dt.date:
        return self.start + dt.timedelta(days=day)

    def weekdays(self, days: np.ndarray) -> np.ndarray:
        return (days + self.first_weekday) % 7


@dataclass(frozen=True)
class _Workshops:
    """The workshops held: for each (site, day) the workshop's running number at its site
    (which sets the topic) or -1."""

    ordinal: np.ndarray  # shape (len(SITES), n_days), int32

    @classmethod
    def plan(cls, cal: _Calendar) -> _Workshops:
        ordinal = np.full((len(SITES), cal.n_days), -1, dtype=np.int32)
        first_saturday = (WORKSHOP_WEEKDAY - cal.first_weekday) % 7
        for site in range(len(SITES)):
            held = 0
            # The sites alternate Saturdays.
            for day in range(first_saturday + 7 * site, cal.n_days, WORKSHOP_EVERY_DAYS):
                date = cal.date(day)
                holiday = (date.month, date.day) >= (12, 21) or (date.month, date.day) <= (1, 3)
                if not holiday:
                    ordinal[site, day] = held
                    held += 1
        return cls(ordinal)


def _session_id_labels(cal: _Calendar) -> pa.Array:
    """Shared session ids, indexed by :func:`_group_key` and :func:`_workshop_key`."""
    stamps = [cal.date(d).strftime("%Y%m%d") for d in range(cal.n_days)]
    labels = [f"G-{site[0]}-{stamp}-{slot}" for site in SITES for stamp in stamps
              for slot in ("am", "pm")]
    labels += [f"WS-{site[0]}-{stamp}" for site in SITES for stamp in stamps]
    return pa.array(labels, pa.string())


def _group_key(n_days: int, site, day, pm):
    return (site * n_days + day) * 2 + pm


def _workshop_key(n_days: int, site, day):
    return 2 * len(SITES) * n_days + site * n_days + day


# ---------------------------------------------------------------------------------------------
# Clients
# ---------------------------------------------------------------------------------------------


def _choice(rng: np.random.Generator, n: int, p) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


def _draw_clients(rng: np.random.Generator, n: int, cal: _Calendar) -> dict[str, np.ndarray]:
    """Demographics and the private behaviour parameters of ``n`` clients."""
    latest_birth = min(2006, cal.start.year - 18)
    birth = np.clip(np.rint(rng.normal(1988, 10, n)), 1950, latest_birth).astype(np.int32)
    age = cal.start.year - birth
    young = age <= 25
    program = np.where(
        young,
        np.where(rng.random(n) < 0.85, 1, 2),
        np.where(rng.random(n) < 0.70, 0, 2),
    )
    substance = _choice(rng, n, (0.38, 0.30, 0.16, 0.11, 0.05))
    older = birth <= 1960
    payer = np.where(
        older, _choice(rng, n, (0.25, 0.10, 0.60, 0.05)), _choice(rng, n, (0.52, 0.36, 0.04, 0.08))
    )
    mat_p = np.array([0.35, 0.70, 0.15, 0.10, 0.30])[substance]
    site = (rng.random(n) < 0.45).astype(np.int64)
    return {
        "birth_year": birth,
        "gender": _choice(rng, n, (0.38, 0.60, 0.02)),
        "race": _choice(rng, n, (0.58, 0.14, 0.17, 0.03, 0.02, 0.04, 0.02)),
        "substance": substance,
        "referral": _choice(rng, n, (0.30, 0.15, 0.20, 0.12, 0.15, 0.08)),
        "payer": payer,
        "program": program,
        "site": site,
        "show_p": np.clip(rng.beta(18, 3.5, n), 0.40, 0.99),
        "risk": rng.beta(2, 20, n),  # relapse proneness (scales every relapse hazard)
        "workshop_p": rng.beta(2, 3.7, n),  # chance of coming to a given workshop
        "ramp_days": rng.integers(14, 22, n),  # no-shows rise over these days before a drop-out
        "track": _TRACK_MASKS[_choice(rng, n, IOP_TRACK_P)],
        "evening": rng.random(n) < 0.4,  # IOP track in the evening ("pm" group)
        "individual_wd": rng.integers(0, 5, n),
        "screen_wd": rng.integers(0, 5, n),
        "medication_wd": rng.integers(0, 5, n),
        "family_wd": rng.integers(0, 6, n),
        "family_week": rng.integers(0, 4, n),
        "mat": rng.random(n) < mat_p,
        "family_therapy": rng.random(n) < 0.55,
        "case_managed": rng.random(n) < 0.20,
        "case_wd": rng.integers(0, 5, n),
        "counselor": rng.integers(0, _COUNSELOR_CODES.shape[1], n),
        "prescriber": rng.integers(0, len(PRESCRIBERS), n),
        # a drop-out is discharged only after this many days without coming (at most half the
        # episode): the program keeps the episode open while it tries to reach the client
        "discharge_lag": rng.integers(5, 22, n),
    }


def _first_admit_weights(cal: _Calendar) -> np.ndarray:
    """Probability of each day for a first admission: flat with a mild January peak and
    fewer weekend admissions, up to three weeks before the end."""
    last = max(1, cal.n_days - 21)
    days = np.arange(last)
    doy = np.array([cal.date(int(d)).timetuple().tm_yday for d in days])
    weights = 1 + 0.10 * np.cos(2 * np.pi * (doy - 20) / 365.25)
    weights *= np.where(cal.weekdays(days) >= 5, 0.35, 1.0)
    return weights / weights.sum()


# ---------------------------------------------------------------------------------------------
# Episodes: the pathway of each client, one Python loop iteration per client
# ---------------------------------------------------------------------------------------------

# (reason, probability) of an IOP discharge, near TEDS 2004 for IOP.
IOP_REASON_P = ((COMPLETED, 0.41), (TRANSFERRED, 0.19), (DROPPED_OUT, 0.22), (TERMINATED, 0.085),
                (INCARCERATED, 0.03), (OTHER, 0.063), (DECEASED, 0.002))
# Chance of a first return after a stay ends, by how it ended (a second return: a third of
# it): drop-outs and terminations come back most, completers least.
RETURN_P = {COMPLETED: 0.10, TRANSFERRED: 0.08, DROPPED_OUT: 0.30, TERMINATED: 0.25,
            INCARCERATED: 0.20, OTHER: 0.12, DECEASED: 0.0}
SECOND_RETURN_SHARE = 1 / 3
STEP_UP_RELAPSE_P = 0.75  # share of step-ups with a relapse event written 0-5 days before


def _return_gap(r: random.Random) -> int:
    """Days from the end of a stay to a return: more than 14 (a new stay), skewed to the first
    months (median about three months), at most a year."""
    return min(365, 15 + int(r.gammavariate(1.5, 50.0)))


def _pick(r: random.Random, table) -> int:
    u = r.random()
    for value, p in table:
        u -= p
        if u < 0:
            return value
    return table[-1][0]


def _step_down_gap(r: random.Random) -> int:
    """Days from a discharge to the next, lower level: mostly 0-3, sometimes 4-10, sometimes
    15-40 (which starts a new stay)."""
    u = r.random()
    if u < 0.70:
        return r.randint(0, 3)
    if u < 0.88:
        return r.randint(4, 10)
    return r.randint(15, 40)


def _plan_episode(r: random.Random, level: int, step_ups_left: int):
    """Length, discharge reason and what follows one episode at ``level``.

    Returns ``(los_days, reason, next_level, gap_days, relapse_days_before_discharge)`` with
    ``next_level`` -1 when the stay ends here and the relapse offset -1 when no relapse leads
    to a step-up."""
    nxt, gap, relapse = -1, 0, -1
    if level == DETOX:
        u = r.random()
        if u < 0.85:
            reason = COMPLETED if u < 0.80 else TRANSFERRED
            los, nxt = r.randint(3, 7), RES
            gap = 0 if r.random() < 0.85 else r.randint(1, 2)
        else:
            reason, los = DROPPED_OUT, r.randint(1, 4)
    elif level == RES:
        reason = _pick(r, ((COMPLETED, 0.62), (TRANSFERRED, 0.14), (DROPPED_OUT, 0.17),
                           (TERMINATED, 0.04), (OTHER, 0.03)))
        los = {COMPLETED: (21, 35), TRANSFERRED: (14, 35), DROPPED_OUT: (2, 20),
               TERMINATED: (5, 25), OTHER: (3, 30)}[reason]
        los = r.randint(*los)
        if reason in (COMPLETED, TRANSFERRED) and r.random() < 0.85:
            nxt = PHP if r.random() < 0.4 else IOP
            gap = _step_down_gap(r)
    elif level == PHP:
        reason = _pick(r, ((COMPLETED, 0.62), (TRANSFERRED, 0.12), (DROPPED_OUT, 0.16),
                           (TERMINATED, 0.04), (OTHER, 0.06)))
        los = {COMPLETED: (10, 25), TRANSFERRED: (7, 25), DROPPED_OUT: (3, 15),
               TERMINATED: (5, 20), OTHER: (3, 20)}[reason]
        los = r.randint(*los)
        if reason == COMPLETED and r.random() < 0.9:
            nxt = IOP
            gap = r.randint(0, 3) if r.random() < 0.85 else r.randint(4, 10)
        elif reason == TRANSFERRED:
            u = r.random()
            if u < 0.6:
                nxt, gap = IOP, r.randint(0, 3)
            elif u < 0.85 and step_ups_left:
                nxt, gap = RES, r.randint(0, 5)
                relapse = r.randint(0, min(5, los))
    elif level == IOP:
        reason = _pick(r, IOP_REASON_P)
        if reason == COMPLETED:
            los = r.randint(42, 98)
            if r.random() < 0.6:
                nxt, gap = OP, r.randint(0, 7)
        elif reason == TRANSFERRED:
            u = r.random()
            if u < 0.45:  # step down to outpatient
                los, nxt, gap = r.randint(35, 90), OP, r.randint(0, 7)
            elif u < 0.80 and step_ups_left:  # step up after a relapse
                los = r.randint(7, 56)
                nxt = PHP if r.random() < 0.6 else RES
                gap = r.randint(0, 7)
                relapse = r.randint(0, min(5, los))
            else:  # referred to another provider
                los = r.randint(14, 70)
        elif reason == DROPPED_OUT:
            # A third never really start (gone within two weeks); the rest leave later.
            los = r.randint(2, 14) if r.random() < 0.35 else min(100, 10 + int(
                r.gammavariate(2.0, 14.0)))
        else:
            los = r.randint(*{TERMINATED: (10, 70), INCARCERATED: (7, 70), OTHER: (7, 60),
                              DECEASED: (5, 60)}[reason])
    else:  # OP
        reason = _pick(r, ((COMPLETED, 0.45), (DROPPED_OUT, 0.30), (TRANSFERRED, 0.08),
                           (TERMINATED, 0.07), (OTHER, 0.10)))
        los = r.randint(*{COMPLETED: (56, 140), DROPPED_OUT: (14, 70), TRANSFERRED: (28, 100),
                          TERMINATED: (14, 80), OTHER: (14, 100)}[reason])
    return los, reason, nxt, gap, relapse


@dataclass
class _Episodes:
    """A chunk's episodes, ordered by client then admit date (numpy arrays of equal length)."""

    client: np.ndarray  # local client index
    level: np.ndarray
    site: np.ndarray
    admit: np.ndarray
    planned_end: np.ndarray  # the discharge day as planned, possibly after the window
    is_open: np.ndarray  # still running on the last day: no discharge date
    reason: np.ndarray
    stay: np.ndarray  # chunk-wide stay number (a gap over 14 days starts a new stay)
    session_start: np.ndarray  # first day with sessions (after a same-day hand-over)


def _simulate_pathways(r: random.Random, first_day, first_level, home_site, last_day: int):
    """Episode pathways of a chunk's clients and the relapse events that drive a step-up or
    precede a return (client, day, episode index or -1, event type)."""
    ep_client, ep_level, ep_site, ep_admit, ep_end, ep_reason, ep_stay = ([] for _ in range(7))
    ev_client, ev_day, ev_episode, ev_type = [], [], [], []
    stay_no = -1
    for c, (day, level, site) in enumerate(zip(first_day, first_level, home_site)):
        stay_no += 1
        step_ups_left, returns, prev_end = 1, 0, None
        while day <= last_day:
            los, reason, nxt, gap, relapse = _plan_episode(r, level, step_ups_left)
            if prev_end is not None and day - prev_end > 14:
                stay_no += 1
            end = day + los
            ep_client.append(c)
            ep_level.append(level)
            ep_site.append(site)
            ep_admit.append(day)
            ep_end.append(end)
            ep_reason.append(reason)
            ep_stay.append(stay_no)
            if end > last_day:
                break
            if relapse >= 0:  # a step-up: most follow a recorded relapse, some a crisis without one
                step_ups_left -= 1
                if r.random() < STEP_UP_RELAPSE_P:
                    ev_client.append(c)
                    ev_day.append(end - relapse)
                    ev_episode.append(len(ep_client) - 1)
                    u = r.random()
                    ev_type.append(
                        POSITIVE_SCREEN if u < 0.5 else SELF_REPORT if u < 0.97 else OVERDOSE)
            prev_end = end
            if nxt >= 0:
                day, level = end + gap, nxt
                continue
            # The stay is over: a return weeks or months later, for some.
            chance = RETURN_P[reason] * (SECOND_RETURN_SHARE if returns else 1.0)
            if returns >= 2 or r.random() >= chance:
                break
            returns += 1
            day = end + _return_gap(r)
            level = _pick(r, ((IOP, 0.5), (RES, 0.25), (PHP, 0.15), (DETOX, 0.10)))
            step_ups_left = 1
            if r.random() < 0.10:
                site = 1 - site
            if day <= last_day and r.random() < 0.35:
                ev_client.append(c)
                ev_day.append(day - r.randint(1, 30))
                ev_episode.append(-1)
                u = r.random()
                ev_type.append(
                    COLLATERAL_REPORT if u < 0.5 else SELF_REPORT if u < 0.98 else OVERDOSE)

    def arr(values):
        return np.asarray(values, dtype=np.int64)

    client, admit, end = arr(ep_client), arr(ep_admit), arr(ep_end)
    # No sessions on a hand-over day twice: an episode admitted the day the previous one of the
    # same client was discharged starts its sessions the next day.
    handover = np.zeros(len(client), dtype=bool)
    handover[1:] = (client[1:] == client[:-1]) & (admit[1:] == end[:-1])
    episodes = _Episodes(
        client=client, level=arr(ep_level), site=arr(ep_site), admit=admit, planned_end=end,
        is_open=end > last_day, reason=arr(ep_reason), stay=arr(ep_stay),
        session_start=admit + handover,
    )
    seeded = (arr(ev_client), arr(ev_day), arr(ev_episode), arr(ev_type))
    return episodes, seeded


# ---------------------------------------------------------------------------------------------
# A chunk: clients -> episodes -> episode-days -> sessions, events, assessments
# ---------------------------------------------------------------------------------------------


@dataclass
class _EpisodeDays:
    """Every (episode, day) in care inside the window, expanded for vectorised work."""

    episode: np.ndarray
    day: np.ndarray
    weekday: np.ndarray
    since_admit: np.ndarray

    @classmethod
    def expand(cls, episodes: _Episodes, cal: _Calendar) -> _EpisodeDays:
        last = np.minimum(episodes.planned_end, cal.n_days - 1)
        length = np.maximum(last - episodes.session_start + 1, 0)
        episode = np.repeat(np.arange(len(length)), length)
        first_row = np.cumsum(length) - length
        day = episodes.session_start[episode] + np.arange(len(episode)) - first_row[episode]
        return cls(episode, day, cal.weekdays(day), day - episodes.admit[episode])


@dataclass
class _Sessions:
    """A chunk's attendance rows as parallel arrays."""

    row_day: np.ndarray  # index into the _EpisodeDays
    kind: np.ndarray  # session type
    order: np.ndarray  # order within the client's day
    minutes: np.ndarray
    pm: np.ndarray  # group slot: 0 morning, 1 evening (groups only)
    clinician: np.ndarray


def _schedule_sessions(ed: _EpisodeDays, episodes: _Episodes, cl: dict, rng) -> _Sessions:
    """The treatment sessions (not workshops) each level of care schedules on its days."""
    client = episodes.client[ed.episode]
    level = episodes.level[ed.episode]
    site = episodes.site[ed.episode]
    wd, week = ed.weekday, ed.since_admit // 7
    weekday = wd < 5
    parts: list[tuple] = []

    def add(mask, kind, order, minutes, pm, clinician):
        idx = np.flatnonzero(mask)

        def at(value):  # a scalar for every row, or a per-episode-day array
            return np.full(len(idx), value) if np.ndim(value) == 0 else value[idx]

        parts.append((idx, at(kind), at(order), at(minutes), at(pm), at(clinician)))

    group_rota = _COUNSELOR_CODES[site, (wd * 2) % _COUNSELOR_CODES.shape[1]]
    group_rota_pm = _COUNSELOR_CODES[site, (wd * 2 + 1) % _COUNSELOR_CODES.shape[1]]
    counselor = _COUNSELOR_CODES[site, cl["counselor"][client]]
    prescriber = _PRESCRIBER_CODES[cl["prescriber"][client]]
    family_therapist = _FAMILY_CODES[site]
    case_manager = _CASE_MANAGER_CODES[site]
    mat, fam = cl["mat"][client], cl["family_therapy"][client]
    individual_day = wd == cl["individual_wd"][client]
    medication_day = mat & (wd == cl["medication_wd"][client])
    family_day = fam & (wd == cl["family_wd"][client]) & (week % 4 == cl["family_week"][client])

    detox, res, php, iop, op = (level == k for k in range(5))
    # Every episode after detox opens with an intake (an individual session) on its first day.
    intake = ~detox & (ed.day == episodes.session_start[ed.episode])
    individual_day = individual_day & ~intake
    add(intake, INDIVIDUAL, _INDIVIDUAL, MINUTES[INDIVIDUAL], 0, counselor)

    # Detox: two groups and a medication visit a day.
    add(detox, GROUP, _AM_GROUP, GROUP_MINUTES[DETOX], 0, group_rota)
    add(detox, GROUP, _PM_GROUP, GROUP_MINUTES[DETOX], 1, group_rota_pm)
    add(detox, MEDICATION, _MEDICATION, MINUTES[MEDICATION], 0, prescriber)
    # Residential: two groups and the evening recovery meeting every day.
    add(res, GROUP, _AM_GROUP, GROUP_MINUTES[RES], 0, group_rota)
    add(res, GROUP, _PM_GROUP, GROUP_MINUTES[RES], 1, group_rota_pm)
    add(res, OTHER_SESSION, _EVENING, RECOVERY_MEETING_MINUTES, 0, _COACH_CODES[site])
    # PHP: a full-day group every weekday.
    add(php & weekday, GROUP, _AM_GROUP, GROUP_MINUTES[PHP], 0, group_rota)
    # Residential and PHP: individual sessions twice a week; medication (MAT) dosed daily on
    # the unit, seen weekly in PHP.
    twice_weekly = individual_day | ((wd == (cl["individual_wd"][client] + 3) % 5) & ~intake)
    add((res | php) & twice_weekly, INDIVIDUAL, _INDIVIDUAL, MINUTES[INDIVIDUAL], 0, counselor)
    add((res & mat) | (php & medication_day), MEDICATION, _MEDICATION, MINUTES[MEDICATION], 0,
        prescriber)
    # IOP: groups on the client's track days, morning or evening; weekly individual,
    # medication and (for some) case-management contacts.
    evening = cl["evening"][client]
    track_day = ((cl["track"][client] >> wd) & 1).astype(bool) & weekday
    add(iop & track_day, GROUP, np.where(evening, _PM_GROUP, _AM_GROUP), GROUP_MINUTES[IOP],
        evening.astype(np.int64), np.where(evening, group_rota_pm, group_rota))
    add(iop & individual_day, INDIVIDUAL, _INDIVIDUAL, MINUTES[INDIVIDUAL], 0, counselor)
    add(iop & medication_day, MEDICATION, _MEDICATION, MINUTES[MEDICATION], 0, prescriber)
    case_day = cl["case_managed"][client] & (wd == cl["case_wd"][client])
    add(iop & case_day, OTHER_SESSION, _OTHER, MINUTES[OTHER_SESSION], 0, case_manager)
    # IOP and PHP: a weekly urine drug screen (an "other" visit; positives are relapse events).
    add((php | iop) & (wd == cl["screen_wd"][client]), OTHER_SESSION, _SCREEN, SCREEN_MINUTES, 0,
        _NURSE_CODES[site])
    # Family sessions about monthly, for clients whose family takes part.
    add((res | php | iop) & family_day, FAMILY, _FAMILY, MINUTES[FAMILY], 0, family_therapist)
    # OP: one session a week, a group (evening) or an individual session; monthly medication.
    op_day = op & individual_day
    op_group = rng.random(len(wd)) < 0.6
    add(op_day & op_group, GROUP, _PM_GROUP, GROUP_MINUTES[OP], 1, group_rota_pm)
    add(op_day & ~op_group, INDIVIDUAL, _INDIVIDUAL, MINUTES[INDIVIDUAL], 0, counselor)
    add(op & medication_day & (week % 4 == 0), MEDICATION, _MEDICATION, MINUTES[MEDICATION], 0,
        prescriber)

    cols = [np.concatenate([p[i] for p in parts]) for i in range(6)]
    return _Sessions(*(c.astype(np.int64) for c in cols))


def _draw_status(rng, ed: _EpisodeDays, episodes: _Episodes, cl: dict, row_day) -> np.ndarray:
    """attended / no_show / cancelled / excused of treatment sessions."""
    ep = ed.episode[row_day]
    client = episodes.client[ep]
    level = episodes.level[ep]
    p = cl["show_p"][client]
    # People living on the unit rarely miss a group; PHP a little less than IOP.
    p = np.where(level <= RES, 1 - (1 - p) * 0.3, np.where(level == PHP, 1 - (1 - p) * 0.8, p))
    p = np.where(level == OP, p - 0.03, p)
    # Over the last weeks before a drop-out (milder: a termination) no-shows rise.
    to_end = episodes.planned_end[ep] - ed.day[row_day]
    ramp = cl["ramp_days"][client]
    fading = np.clip(to_end / ramp, 0, 1)
    reason = episodes.reason[ep]
    p = np.where(reason == DROPPED_OUT, p * (0.12 + 0.88 * fading), p)
    lag = np.minimum(cl["discharge_lag"][client], (episodes.planned_end[ep] - episodes.admit[ep]) // 2)
    p = np.where((reason == DROPPED_OUT) & (to_end < lag), 0.0, p)
    p = np.where(reason == TERMINATED, p * (0.5 + 0.5 * fading), p)
    u = rng.random(len(ep))
    show = rng.random(len(ep)) < p
    return np.where(u < 0.04, CANCELLED, np.where(u < 0.07, EXCUSED,
                                                   np.where(show, ATTENDED, NO_SHOW)))


def _workshop_rows(rng, ed: _EpisodeDays, episodes: _Episodes, cl: dict, ws: _Workshops):
    """Workshop rows of clients in PHP or IOP on their site's workshop dates."""
    level = episodes.level[ed.episode]
    site = episodes.site[ed.episode]
    client = episodes.client[ed.episode]
    ordinal = ws.ordinal[site, ed.day]
    eligible = ((level == PHP) | (level == IOP)) & (ordinal >= 0)
    idx = np.flatnonzero(eligible & (rng.random(len(eligible)) < cl["workshop_p"][client]))
    n = len(idx)
    u = rng.random(n)
    status = np.where(u < 0.02, CANCELLED, np.where(u < 0.11, NO_SHOW, ATTENDED))
    guests = _choice(rng, n, (0.30, 0.35, 0.23, 0.12 - 1 / 300, 1 / 300))
    guests = np.where(status == ATTENDED, guests, 0)
    return idx, status, guests, ordinal[idx] % len(TOPICS)


def _relapse_events(rng, ed: _EpisodeDays, episodes: _Episodes, cl: dict, noshow_keys,
                    screened, stride):
    """Positive urine screens (of the screens attended, IOP and PHP) and other events on days
    in care, likelier after no-shows and before a drop-out. ``screened`` holds the
    episode-days with an attended screen. Returns (episode-day index, event type)."""
    client = episodes.client[ed.episode]
    level = episodes.level[ed.episode]
    key = client * stride + ed.day
    recent = (np.searchsorted(noshow_keys, key, "left")
              - np.searchsorted(noshow_keys, key - 14, "left"))
    to_end = episodes.planned_end[ed.episode] - ed.day
    fading_out = (episodes.reason[ed.episode] == DROPPED_OUT) & (to_end <= 21)
    mult = np.exp(0.5 * np.minimum(recent, 4)) * np.where(fading_out, 2.5, 1.0)
    risk = 0.5 * cl["risk"][client] * mult

    screen_day = np.zeros(len(key), dtype=bool)
    screen_day[screened] = True
    p_screen = np.minimum(np.where(level == PHP, 0.6, 1.0) * risk, 0.85)
    screens = np.flatnonzero(screen_day & (rng.random(len(key)) < p_screen))

    p_other = risk * np.select([level == DETOX, level == RES], [0.0, 0.006], 0.035)
    others = np.flatnonzero(rng.random(len(key)) < p_other)
    kinds = np.array([SELF_REPORT, COLLATERAL_REPORT, OTHER_EVENT, OVERDOSE])[
        _choice(rng, len(others), (0.58, 0.28, 0.13, 0.01))]
    idx = np.concatenate([screens, others])
    kind = np.concatenate([np.full(len(screens), POSITIVE_SCREEN), kinds])
    return idx, kind


def _assessments(rng, episodes: _Episodes, cl_bam: np.ndarray, last_day: int, stride: int):
    """PHQ-9 and GAD-7 at intake and every 14 +- 3 days in care; monthly BAM for some.
    Returns (client, episode index, day, instrument, score)."""
    n_ep = len(episodes.client)
    if n_ep == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, empty, np.zeros(0)
    end = np.minimum(episodes.planned_end, last_day)
    first = np.flatnonzero(np.r_[True, episodes.stay[1:] != episodes.stay[:-1]])
    last = np.r_[first[1:] - 1, n_ep - 1]
    s_client = episodes.client[first]
    # Intake mostly on the admit day, else up to three days before (10%) or after (20%).
    jitter = np.select([rng.random(len(first)) < 0.7, rng.random(len(first)) < 1 / 3],
                       [0, rng.integers(-3, 0, len(first))], rng.integers(1, 4, len(first)))
    intake = episodes.admit[first] + jitter
    intake = np.clip(intake, 0, last_day)
    stay_end = end[last]
    # A stay that ends completed or transferred, or is still open, improves.
    engaged = episodes.is_open[last] | (episodes.reason[last] <= TRANSFERRED)

    def timepoints(every, stays_mask):
        stays = np.flatnonzero(stays_mask)
        count = np.maximum((stay_end[stays] - intake[stays]) // every + 1, 1)
        stay = np.repeat(stays, count)
        k = np.arange(len(stay)) - np.repeat(np.cumsum(count) - count, count)
        day = intake[stay] + k * every + np.where(k > 0, rng.integers(-3, 4, len(stay)), 0)
        keep = (k == 0) | ((day <= stay_end[stay]) & (rng.random(len(stay)) < 0.92))
        stay, k, day = stay[keep], k[keep], day[keep]
        # Follow-ups only on a day inside one of the client's episodes.
        ep_key = episodes.client * stride + episodes.admit
        j = np.searchsorted(ep_key, s_client[stay] * stride + day, "right") - 1
        inside = (j >= 0) & (episodes.client[np.maximum(j, 0)] == s_client[stay]) & (
            day <= end[np.maximum(j, 0)])
        keep = (k == 0) | inside
        stay, day, j, inside = stay[keep], day[keep], j[keep], inside[keep]
        episode = np.where(inside, j, first[stay])
        return stay, day, episode

    n_stays = len(first)
    slope = np.where(engaged, rng.normal(0.95, 0.3, n_stays), rng.normal(-0.05, 0.15, n_stays))
    phq_base = np.clip(rng.normal(15, 5, n_stays), 0, 27)
    gad_base = np.clip(rng.normal(12, 4, n_stays), 0, 21)
    bam_base = np.clip(rng.normal(55, 15, n_stays), 5, 95)

    stay, day, episode = timepoints(14, np.ones(n_stays, dtype=bool))
    weeks = (day - intake[stay]) / 7
    phq = np.clip(np.rint(phq_base[stay] - slope[stay] * weeks + rng.normal(0, 2.0, len(stay))),
                  0, 27)
    gad = np.clip(np.rint(gad_base[stay] - 0.75 * slope[stay] * weeks
                          + rng.normal(0, 1.6, len(stay))), 0, 21)
    b_stay, b_day, b_episode = timepoints(30, cl_bam[s_client])
    b_weeks = (b_day - intake[b_stay]) / 7
    bam = np.clip(np.round(bam_base[b_stay] - 2.5 * slope[b_stay] * b_weeks
                           + rng.normal(0, 5, len(b_stay)), 1), 0, 100)

    client = np.concatenate([s_client[stay], s_client[stay], s_client[b_stay]])
    ep = np.concatenate([episode, episode, b_episode])
    days = np.concatenate([day, day, b_day])
    instrument = np.concatenate([np.full(len(stay), PHQ9), np.full(len(stay), GAD7),
                                 np.full(len(b_stay), BAM)])
    score = np.concatenate([phq, gad, bam])
    order = np.argsort((client * stride + days) * 4 + instrument, kind="stable")
    return client[order], ep[order], days[order], instrument[order], score[order]


# ---------------------------------------------------------------------------------------------
# Turning a chunk's arrays into Arrow tables
# ---------------------------------------------------------------------------------------------


def _labels(values) -> pa.Array:
    return pa.array(list(values), pa.string())


def _take(labels: pa.Array, codes: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """Labels by code; ``null`` marks the rows left empty."""
    return labels.take(pa.array(codes.astype(np.int32), pa.int32(), mask=null))


def _dates(cal: _Calendar, days: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    return pa.array((days + cal.epoch_offset).astype(np.int32), pa.int32(), mask=null).view(
        pa.date32())


def _ints(values: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    return pa.array(values.astype(np.int32), pa.int32(), mask=null)


class _Generator:
    """Holds the state that runs across chunks: the calendar, the workshop plan, id counters."""

    def __init__(self, seed: int, cal: _Calendar):
        self.seed = seed
        self.cal = cal
        self.workshops = _Workshops.plan(cal)
        self.shared_ids = _session_id_labels(cal)
        self.first_admit_p = _first_admit_weights(cal)
        self.next_client = 1
        self.next_episode = 1
        self.next_unique = dict.fromkeys(range(len(SESSION_TYPES)), 1)
        self.stride = cal.n_days + 64  # client * stride + day orders rows by client, then day
        self.levels, self.reasons = _labels(LEVELS), _labels(REASONS)
        self.types, self.statuses = _labels(SESSION_TYPES), _labels(STATUSES)
        self.topics, self.clinicians = _labels(TOPICS), _labels(CLINICIANS)
        self.events, self.substances = _labels(EVENT_TYPES), _labels(SUBSTANCES)
        self.instruments = _labels(INSTRUMENTS)
        self.prefixes = _labels(p or "" for p in UNIQUE_ID_PREFIX)

    def chunk(self, number: int, n: int) -> dict[str, pa.Table]:
        """The five tables for the next ``n`` clients."""
        cal, last_day, stride = self.cal, self.cal.n_days - 1, self.stride
        seq = np.random.SeedSequence([self.seed, number])
        rng = np.random.default_rng(seq)
        r = random.Random(int(seq.generate_state(1, np.uint64)[0]))

        cl = _draw_clients(rng, n, cal)
        first_day = rng.choice(len(self.first_admit_p), size=n, p=self.first_admit_p)
        first_level = _choice(rng, n, (0.10, 0.30, 0.20, 0.40))
        episodes, seeded = _simulate_pathways(
            r, first_day.tolist(), first_level.tolist(), cl["site"].tolist(), last_day)
        ed = _EpisodeDays.expand(episodes, cal)

        client_ids = _labels(f"C{self.next_client + i:06d}" for i in range(n))
        n_ep = len(episodes.client)
        episode_ids = _labels(f"E{self.next_episode + i:07d}" for i in range(n_ep))
        self.next_client += n
        self.next_episode += n_ep

        tables = {
            "clients": self._clients_table(cl, client_ids),
            "episodes": self._episodes_table(episodes, cl, client_ids, episode_ids),
        }
        attendance, noshow_keys, screened = self._attendance(rng, ed, episodes, cl)
        tables["attendance"] = self._attendance_table(attendance, rng, client_ids, episode_ids)
        tables["assessments"] = self._assessments_table(
            _assessments(rng, episodes, rng.random(n) < 1 / 3, last_day, stride),
            rng, client_ids, episode_ids)
        tables["relapse_events"] = self._relapse_table(
            rng, ed, episodes, cl, noshow_keys, screened, seeded, client_ids, episode_ids)
        return tables

    # -- tables --------------------------------------------------------------------------------

    def _clients_table(self, cl, client_ids) -> pa.Table:
        return pa.Table.from_arrays([
            client_ids,
            _ints(cl["birth_year"]),
            _take(_labels(GENDERS), cl["gender"]),
            _take(_labels(RACES), cl["race"]),
            _take(self.substances, cl["substance"]),
            _take(_labels(REFERRALS), cl["referral"]),
            _take(_labels(PAYERS), cl["payer"]),
        ], schema=SCHEMAS["clients"])

    def _episodes_table(self, episodes: _Episodes, cl, client_ids, episode_ids) -> pa.Table:
        open_ = episodes.is_open
        return pa.Table.from_arrays([
            episode_ids,
            _take(client_ids, episodes.client),
            _take(self.levels, episodes.level),
            _take(_labels(PROGRAMS), cl["program"][episodes.client]),
            _take(_labels(SITES), episodes.site),
            _dates(self.cal, episodes.admit),
            _dates(self.cal, np.minimum(episodes.planned_end, self.cal.n_days - 1), open_),
            _take(self.reasons, episodes.reason, open_),
        ], schema=SCHEMAS["episodes"])

    def _attendance(self, rng, ed: _EpisodeDays, episodes: _Episodes, cl):
        """All attendance rows of the chunk, sorted by client, day and time of day; the sorted
        (client * stride + day) keys of the no-shows at treatment sessions; the episode-days
        with an attended urine screen."""
        s = _schedule_sessions(ed, episodes, cl, rng)
        status = _draw_status(rng, ed, episodes, cl, s.row_day)
        w_idx, w_status, w_guests, w_topic = _workshop_rows(rng, ed, episodes, cl, self.workshops)
        nw = len(w_idx)
        row_day = np.concatenate([s.row_day, w_idx])
        kind = np.concatenate([s.kind, np.full(nw, WORKSHOP)])
        rows = {
            "row_day": row_day,
            "kind": kind,
            "order": np.concatenate([s.order, np.full(nw, _WORKSHOP)]),
            "minutes": np.concatenate([s.minutes, np.full(nw, MINUTES[WORKSHOP])]),
            "pm": np.concatenate([s.pm, np.zeros(nw, dtype=np.int64)]),
            "clinician": np.concatenate([
                s.clinician, _FAMILY_CODES[episodes.site[ed.episode[w_idx]]]]),
            "status": np.concatenate([status, w_status]),
            "guests": np.concatenate([np.zeros(len(s.kind), dtype=np.int64), w_guests]),
            "topic": np.concatenate([np.zeros(len(s.kind), dtype=np.int64), w_topic]),
        }
        ep = ed.episode[row_day]
        client = episodes.client[ep]
        day = ed.day[row_day]
        order = np.argsort((client * self.stride + day) * 16 + rows["order"], kind="stable")
        rows = {k: v[order] for k, v in rows.items()}
        rows["episode"], rows["client"], rows["day"] = ep[order], client[order], day[order]
        rows["site"] = episodes.site[rows["episode"]]
        noshow = (rows["status"] == NO_SHOW) & (rows["kind"] != WORKSHOP)
        screened = rows["row_day"][(rows["order"] == _SCREEN) & (rows["status"] == ATTENDED)]
        return rows, rows["client"][noshow] * self.stride + rows["day"][noshow], screened

    def _attendance_table(self, rows, rng, client_ids, episode_ids) -> pa.Table:
        kind, n = rows["kind"], len(rows["kind"])
        n_days = self.cal.n_days
        is_workshop = kind == WORKSHOP
        shared = np.where(
            kind == GROUP, _group_key(n_days, rows["site"], rows["day"], rows["pm"]),
            np.where(is_workshop, _workshop_key(n_days, rows["site"], rows["day"]), -1))
        # Numbered ids in row order, per session type, continuing across chunks.
        number = np.zeros(n, dtype=np.int64)
        for k, prefix in enumerate(UNIQUE_ID_PREFIX):
            if prefix:
                mask = kind == k
                count = int(mask.sum())
                number[mask] = self.next_unique[k] + np.arange(count)
                self.next_unique[k] += count
        blank = ~is_workshop & (rng.random(n) < 0.03)
        numbered = pc.utf8_lpad(pc.cast(pa.array(number, mask=(shared >= 0) | blank), pa.string()),
                                width=8, padding="0")
        unique_ids = pc.binary_join_element_wise(_take(self.prefixes, kind), numbered, "")
        shared_ids = _take(self.shared_ids, np.maximum(shared, 0), (shared < 0) | blank)
        session_id = pc.coalesce(shared_ids, unique_ids)
        no_episode = rng.random(n) < 0.08
        return pa.Table.from_arrays([
            _take(client_ids, rows["client"]),
            _take(episode_ids, rows["episode"], no_episode),
            session_id,
            _dates(self.cal, rows["day"]),
            _take(self.types, kind),
            _take(self.statuses, rows["status"]),
            _take(self.topics, rows["topic"], ~is_workshop),
            _take(self.clinicians, rows["clinician"]),
            _ints(rows["minutes"]),
            _ints(rows["guests"], ~is_workshop),
        ], schema=SCHEMAS["attendance"])

    def _assessments_table(self, assessed, rng, client_ids, episode_ids) -> pa.Table:
        client, episode, day, instrument, score = assessed
        no_episode = rng.random(len(client)) < 0.10
        return pa.Table.from_arrays([
            _take(client_ids, client),
            _take(episode_ids, episode, no_episode),
            _dates(self.cal, day),
            _take(self.instruments, instrument),
            pa.array(score, pa.float64()),
        ], schema=SCHEMAS["assessments"])

    def _relapse_table(self, rng, ed, episodes, cl, noshow_keys, screened, seeded, client_ids,
                       episode_ids) -> pa.Table:
        idx, kind = _relapse_events(rng, ed, episodes, cl, noshow_keys, screened, self.stride)
        s_client, s_day, s_episode, s_kind = seeded
        episode = np.concatenate([ed.episode[idx], s_episode])
        client = np.concatenate([episodes.client[ed.episode[idx]], s_client])
        day = np.concatenate([ed.day[idx], s_day])
        kind = np.concatenate([kind, s_kind])
        order = np.argsort((client * self.stride + day) * 8 + kind, kind="stable")
        episode, client, day, kind = episode[order], client[order], day[order], kind[order]
        # One event of a kind a day (a step-up's relapse may also have been drawn by chance).
        keep = np.ones(len(client), dtype=bool)
        keep[1:] = (client[1:] != client[:-1]) | (day[1:] != day[:-1]) | (kind[1:] != kind[:-1])
        episode, client, day, kind = episode[keep], client[keep], day[keep], kind[keep]
        n = len(client)
        primary = cl["substance"][client]
        other = (primary + rng.integers(1, len(SUBSTANCES), n)) % len(SUBSTANCES)
        substance = np.where(rng.random(n) < 0.82, primary, other)
        no_episode = (episode < 0) | (rng.random(n) < 0.13)
        return pa.Table.from_arrays([
            _take(client_ids, client),
            _take(episode_ids, np.maximum(episode, 0), no_episode),
            _dates(self.cal, day),
            _take(self.events, kind),
            _take(self.substances, substance),
        ], schema=SCHEMAS["relapse_events"])


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


class _Sink:
    """Streams one table into ``<out>/<table>.<ext>`` through a hidden partial file that is
    renamed into place when the whole table is written."""

    def __init__(self, out: Path, table: str, fmt: str):
        self.path = out / f"{table}.{fmt}"
        self.partial = out / f".{table}.{fmt}.partial"
        self.schema = SCHEMAS[table]
        self.rows = 0
        if fmt == "parquet":
            self._file = None
            self._writer = pq.ParquetWriter(str(self.partial), self.schema, compression="zstd")
        else:
            # pyarrow quotes header names; the header is written plainly, then data unquoted
            # (no value of the demo contains a comma, quote or line break).
            self._file = pa.OSFile(str(self.partial), "wb")
            self._file.write((",".join(self.schema.names) + "\n").encode())
            self._writer = pacsv.CSVWriter(
                self._file, self.schema,
                write_options=pacsv.WriteOptions(include_header=False, quoting_style="none"))

    def write(self, table: pa.Table) -> None:
        if table.num_rows:
            if self._file is None:
                self._writer.write_table(table, row_group_size=table.num_rows)
            else:
                self._writer.write_table(table)
            self.rows += table.num_rows

    def close(self) -> None:
        self._writer.close()
        if self._file is not None and not self._file.closed:
            self._file.close()
        os.replace(self.partial, self.path)

    def abort(self) -> None:
        try:
            self._writer.close()
            if self._file is not None and not self._file.closed:
                self._file.close()
        finally:
            self.partial.unlink(missing_ok=True)


def _window(start: dt.date, months: int) -> _Calendar:
    """The calendar from ``start`` to the day before ``start + months``, cut at today."""
    if months < 1:
        raise ValueError(f"months must be at least 1, got {months}")
    end = min(_add_months(start, months), dt.date.today() + dt.timedelta(days=1))
    n_days = (end - start).days
    if n_days < 28:
        raise ValueError(f"the demo window {start} .. {end} is shorter than four weeks")
    return _Calendar(start, n_days)


def generate(out: Path, clients: int = 2000, seed: int = 42,
             start: dt.date = dt.date(2024, 5, 1), months: int = 30,
             fmt: str = "auto", progress: Callable[[str], None] | None = None) -> dict:
    """Writes clients, episodes, attendance, assessments, relapse_events into `out`
    (fmt 'csv' -> <table>.csv, 'parquet' -> <table>.parquet, 'auto' -> csv under 10,000
    clients else parquet). Returns {table: row_count}. Deterministic for (clients, seed, start,
    months, fmt): byte-identical output.

    Dates run from ``start`` to the day before ``start + months`` (never after today). CSV has
    a header row, ISO dates and empty cells for nulls; Parquet has date32 dates, int32 integers
    and string text, one row group per chunk of :data:`CHUNK_CLIENTS` clients. A file of the
    same table in another format (``.csv``, ``.parquet``, ``.xlsx``) is removed, so the folder
    holds one file per table. ``progress`` gets a short message at most every 5% of clients.
    """
    if clients < 0:
        raise ValueError(f"clients must not be negative, got {clients}")
    if fmt == "auto":
        fmt = "csv" if clients < CSV_CLIENT_LIMIT else "parquet"
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv', 'parquet' or 'auto', got {fmt!r}")
    cal = _window(start, months)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for table in TABLE_NAMES:
        for ext in ("csv", "parquet", "xlsx"):
            if ext != fmt:
                (out / f"{table}.{ext}").unlink(missing_ok=True)

    generator = _Generator(seed, cal)
    sinks = {table: _Sink(out, table, fmt) for table in TABLE_NAMES}
    try:
        done, reported = 0, 0
        for number, first in enumerate(range(0, clients, CHUNK_CLIENTS)):
            n = min(CHUNK_CLIENTS, clients - first)
            for table, data in generator.chunk(number, n).items():
                sinks[table].write(data)
            done += n
            if progress is not None and (done * 20 // clients > reported or done == clients):
                reported = done * 20 // clients
                progress(f"generated {done:,} / {clients:,} clients")
    except BaseException:
        for sink in sinks.values():
            sink.abort()
        raise
    for sink in sinks.values():
        sink.close()
    return {table: sink.rows for table, sink in sinks.items()}
