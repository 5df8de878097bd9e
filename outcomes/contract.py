"""The export contract of SPEC section 2, declared once.

The build, the tests and the README's contract table all read this module: a table is a list
of columns, a column has a type, whether it is required and the rules it must keep; the
vocabularies hold their canonical values and aliases. Nothing here touches a database: the
build turns these declarations into SQL (``outcomes.build``), the docs into a Markdown table
(:func:`contract_markdown`).

How raw values are read, for every table alike:

- headers match case-insensitively after folding spaces and punctuation to ``_``
  (:func:`fold_header`); ``mapping.toml`` in the exports folder renames EHR headers first;
- an empty or blank cell is a missing value;
- dates are ISO ``YYYY-MM-DD`` (a time part is ignored) or ``MM/DD/YYYY``;
- vocabulary values and aliases match case-insensitively with spaces, hyphens and underscores
  alike (:func:`vocab_key`); a level of care may omit the ``.0``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# ---------------------------------------------------------------------------------------------
# Vocabularies
# ---------------------------------------------------------------------------------------------


def vocab_key(value: str) -> str:
    """The form in which vocabulary values are compared: lower case, with runs of spaces,
    hyphens and underscores folded to one ``_`` (``No-Show`` and ``no_show`` are alike).
    The SQL twin lives in the build (``vocab_key`` macro) and must stay equal to this."""
    return re.sub(r"[\s\-_]+", "_", value.strip().lower()).strip("_")


def fold_header(value: str) -> str:
    """A header as the contract compares it: lower case, spaces and punctuation folded to
    ``_``, no leading or trailing ``_`` (``Patient ID`` -> ``patient_id``)."""
    return re.sub(r"[^0-9a-z]+", "_", value.strip().lower().lstrip("\ufeff")).strip("_")


@dataclass(frozen=True)
class Vocabulary:
    """Canonical values of a coded column and the aliases that map onto them."""

    name: str
    values: tuple[str, ...]
    aliases: dict[str, str] = field(default_factory=dict)

    def lookup(self) -> dict[str, str]:
        """Every accepted spelling (as :func:`vocab_key`) -> canonical value."""
        table = {vocab_key(v): v for v in self.values}
        table.update({vocab_key(alias): canonical for alias, canonical in self.aliases.items()})
        return table

    def normalise(self, raw: str) -> str | None:
        return self.lookup().get(vocab_key(raw))


ASAM_LEVELS = ("0.5", "1.0", "1.5", "1.7", "2.1", "2.5", "2.7", "3.1", "3.3", "3.5", "3.7", "4.0")
WM_SUFFIX = "-WM"

LEVEL_ALIASES = {
    "OP": "1.0",
    "outpatient": "1.0",
    "IOP": "2.1",
    "PHP": "2.5",
    "RES": "3.5",
    "residential": "3.5",
    "detox": "3.7-WM",
}

LEVELS = Vocabulary(
    "level of care",
    ASAM_LEVELS + tuple(level + WM_SUFFIX for level in ASAM_LEVELS),
    LEVEL_ALIASES,
)

# Readable names for the levels the product draws (by the level's number, -WM dropped).
LEVEL_NAMES = {
    "0.5": "Early intervention",
    "1.0": "Outpatient",
    "1.5": "Outpatient therapy",
    "1.7": "Medically managed outpatient",
    "2.1": "IOP",
    "2.5": "PHP",
    "2.7": "Medically managed IOP",
    "3.1": "Residential (low intensity)",
    "3.3": "Residential (population specific)",
    "3.5": "Residential",
    "3.7": "Inpatient (medically monitored)",
    "4.0": "Inpatient (medically managed)",
}


def normalise_level(raw: str) -> str | None:
    """The canonical code of a level of care, or None when it is not one: ``'1'`` -> ``'1.0'``,
    ``'3.7 wm'`` -> ``'3.7-WM'``, ``'IOP'`` -> ``'2.1'``, ``'2'`` -> None (2.0 is no ASAM level).
    The SQL twin is the build's ``normalise_level`` macro; tests keep them equal."""
    key = vocab_key(raw)
    match = re.fullmatch(r"(\d)(?:\.(\d))?(_wm)?", key)
    if match:
        code = f"{match.group(1)}.{match.group(2) or '0'}"
        if code in ASAM_LEVELS:
            return code + (WM_SUFFIX if match.group(3) else "")
        return None
    return LEVELS.normalise(raw)


DISCHARGE_REASONS = Vocabulary(
    "discharge reason",
    ("completed", "transferred", "dropped_out", "terminated", "incarcerated", "deceased", "other"),
    {
        "AMA": "dropped_out",
        "left against advice": "dropped_out",
        "left against medical advice": "dropped_out",
        "administrative": "terminated",
        "step down": "transferred",
        "step up": "transferred",
        "referred": "transferred",
    },
)

SESSION_TYPES = Vocabulary(
    "session type", ("group", "individual", "family", "workshop", "medication", "other")
)

STATUSES = Vocabulary(
    "attendance status",
    ("attended", "no_show", "cancelled", "excused"),
    {"present": "attended", "absent": "no_show", "late cancel": "cancelled", "canceled": "cancelled"},
)

EVENT_TYPES = Vocabulary(
    "relapse event type",
    ("positive_screen", "self_report", "collateral_report", "overdose", "other"),
)


@dataclass(frozen=True)
class Instrument:
    """An assessment instrument the contract knows: its canonical name, the compact key its
    spellings share (letters and digits only: ``phq9`` for PHQ-9, PHQ 9, phq_9...) and its
    score range. Other instruments are kept as written (trimmed), without a range."""

    name: str
    key: str
    lowest: int
    highest: int


INSTRUMENTS = (Instrument("PHQ-9", "phq9", 0, 27), Instrument("GAD-7", "gad7", 0, 21))


def instrument_key(value: str) -> str:
    """Letters and digits of an instrument name, lower case (``PHQ 9`` -> ``phq9``)."""
    return re.sub(r"[^0-9a-z]+", "", value.lower())


def normalise_instrument(value: str) -> str:
    """``phq9``, ``PHQ 9`` -> ``PHQ-9``; an unknown instrument is kept as written, trimmed."""
    key = instrument_key(value)
    return next((i.name for i in INSTRUMENTS if i.key == key), value.strip())

# ---------------------------------------------------------------------------------------------
# Tables and columns
# ---------------------------------------------------------------------------------------------

TEXT, DATE, INT, NUMBER, CODE = "text", "date", "int", "number", "code"
SQL_TYPES = {TEXT: "VARCHAR", DATE: "DATE", INT: "INTEGER", NUMBER: "DOUBLE", CODE: "VARCHAR"}


@dataclass(frozen=True)
class Column:
    """One column of an export table.

    ``vocabulary`` is set for coded columns (type ``code``); ``minimum``/``maximum`` bound
    numbers (``"build_year"`` means the year of the build); ``not_future`` rejects a date after
    the build date; ``flag_above`` marks values above it for the data page without rejecting
    them."""

    name: str
    type: str = TEXT
    required: bool = False
    description: str = ""
    vocabulary: Vocabulary | None = None
    minimum: float | str | None = None
    maximum: float | str | None = None
    not_future: bool = False
    flag_above: int | None = None

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.type]

    def rule_text(self) -> str:
        """The column's rules in words, for the README and the data page."""
        parts = []
        if self.vocabulary is LEVELS:
            parts.append(
                "ASAM code " + " ".join(ASAM_LEVELS) + ", optional -WM suffix; aliases "
                + ", ".join(f"{k}={v}" for k, v in LEVEL_ALIASES.items())
            )
        elif self.vocabulary is not None:
            parts.append(", ".join(self.vocabulary.values))
            if self.vocabulary.aliases:
                parts.append(
                    "aliases: " + ", ".join(f"{k} -> {v}" for k, v in self.vocabulary.aliases.items())
                )
        if self.minimum is not None or self.maximum is not None:
            low = "" if self.minimum is None else str(self.minimum).replace("build_year", "build year")
            high = "" if self.maximum is None else str(self.maximum).replace("build_year", "build year")
            parts.append(f"{low}..{high}" if high else f">= {low}")
        if self.not_future:
            parts.append("not after the build date")
        if self.flag_above is not None:
            parts.append(f"more than {self.flag_above} is flagged, not rejected")
        if self.description:
            parts.append(self.description)
        return "; ".join(parts)


@dataclass(frozen=True)
class Check:
    """A rule across columns, written as a SQL condition that is TRUE when the row breaks it.
    In the condition a column's name is its parsed value and ``raw_<name>`` its trimmed text
    (NULL when empty). ``column`` is the one the reject row names."""

    column: str
    condition: str
    reason: str


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    required: bool = True
    key: str | None = None  # unique id: first row loads, later repeats are rejected
    # Columns that name one real-world record (attendance: a client's session). Rows sharing
    # them are grouped by the model; the build keeps the hashes of the ones that repeat.
    record_key: tuple[str, ...] = ()
    checks: tuple[Check, ...] = ()
    description: str = ""

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def date_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.type == DATE)


CLIENTS = Table(
    "clients",
    (
        Column("client_id", required=True, description="unique, non-empty"),
        Column("birth_year", INT, minimum=1900, maximum="build_year"),
        Column("gender"),
        Column("race_ethnicity"),
        Column("primary_substance"),
        Column("referral_source"),
        Column("payer"),
    ),
    required=False,
    key="client_id",
    description="One row per client (optional; when given, every episode's client must be in it).",
)

EPISODES = Table(
    "episodes",
    (
        Column("episode_id", required=True, description="unique"),
        Column("client_id", required=True, description="exists in clients when clients is given"),
        Column("level_of_care", CODE, required=True, vocabulary=LEVELS),
        Column("program"),
        Column("site"),
        Column("admit_date", DATE, required=True, not_future=True),
        Column("discharge_date", DATE, not_future=True, description=">= admit_date; empty = still open"),
        Column(
            "discharge_reason", CODE, vocabulary=DISCHARGE_REASONS,
            description="required when discharge_date is given",
        ),
    ),
    key="episode_id",
    checks=(
        Check(
            "discharge_date",
            "discharge_date < admit_date",
            "discharge_date is before admit_date",
        ),
        Check(
            "discharge_reason",
            "discharge_date is not null and raw_discharge_reason is null",
            "discharge_reason is required when discharge_date is given",
        ),
    ),
    description="One row per episode of care at one level.",
)

ATTENDANCE = Table(
    "attendance",
    (
        Column("client_id", required=True),
        Column("session_date", DATE, required=True, not_future=True),
        Column("session_type", CODE, required=True, vocabulary=SESSION_TYPES),
        Column("status", CODE, required=True, vocabulary=STATUSES),
        Column("episode_id"),
        Column("session_id"),
        Column("topic", description="matters for workshops"),
        Column("clinician"),
        Column("duration_minutes", INT, minimum=0, maximum=600),
        Column(
            "guests", INT, minimum=0, flag_above=3,
            description="loved ones who came with the client to a workshop",
        ),
    ),
    record_key=("client_id", "session_id"),
    description="One row per client per scheduled session.",
)

ASSESSMENTS = Table(
    "assessments",
    (
        Column("client_id", required=True),
        Column("assessment_date", DATE, required=True, not_future=True),
        Column(
            "instrument", required=True,
            description="PHQ-9 and GAD-7 names are normalised (phq9, PHQ 9 -> PHQ-9)",
        ),
        Column(
            "score", NUMBER, required=True,
            description="PHQ-9 integer 0..27, GAD-7 integer 0..21; other instruments any number",
        ),
        Column("episode_id"),
    ),
    checks=tuple(
        Check(
            "score",
            f"instrument = '{i.name}' and (score <> round(score) or score < {i.lowest}"
            f" or score > {i.highest})",
            f"{i.name} score must be a whole number from {i.lowest} to {i.highest}",
        )
        for i in INSTRUMENTS
    ),
    description="One row per score.",
)

RELAPSE_EVENTS = Table(
    "relapse_events",
    (
        Column("client_id", required=True),
        Column("event_date", DATE, required=True, not_future=True),
        Column("event_type", CODE, required=True, vocabulary=EVENT_TYPES),
        Column("substance"),
        Column("episode_id"),
    ),
    description="One row per relapse event (positive screen, self-report...).",
)

TABLES: tuple[Table, ...] = (CLIENTS, EPISODES, ATTENDANCE, ASSESSMENTS, RELAPSE_EVENTS)
TABLES_BY_NAME = {t.name: t for t in TABLES}
FILE_FORMATS = (".csv", ".parquet", ".xlsx")

# Ranks used to choose the row that speaks for a session whose rows disagree.
STATUS_ORDER = ("attended", "no_show", "cancelled", "excused")


def contract_markdown() -> str:
    """The contract as a Markdown table, for the README and the data page."""
    lines = ["| table | column | type | required | rule |", "|---|---|---|---|---|"]
    for table in TABLES:
        first = True
        for column in table.columns:
            label = table.name + ("" if table.required else " (optional)") if first else ""
            required = "yes" if column.required else ""
            if table.name == "episodes" and column.name == "discharge_reason":
                required = "when discharged"
            lines.append(
                f"| {label} | {column.name} | {column.type} | {required} | {column.rule_text()} |"
            )
            first = False
    return "\n".join(lines)
