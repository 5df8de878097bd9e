"""The filters every metric and page takes: period, focus levels, program, site."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from . import contract
from .definitions import DEFAULT_RETENTION_DAYS

DEFAULT_FOCUS = ("2.1",)


def parse_focus(text: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """``'2.1,2.5'`` or ``['IOP', '2.5']`` -> ``('2.1', '2.5')``: ASAM levels without -WM.
    Raises ValueError naming the value that is not a level."""
    items = text.split(",") if isinstance(text, str) else list(text)
    levels = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        level = contract.normalise_level(item)
        if level is None:
            raise ValueError(f"'{item}' is not an ASAM level (expected e.g. 2.1 or 2.5)")
        level = level.removesuffix(contract.WM_SUFFIX)
        if level not in levels:
            levels.append(level)
    if not levels:
        raise ValueError("no focus level given (expected e.g. 2.1 or 2.1,2.5)")
    return tuple(levels)


def parse_days(text: str | list[int]) -> tuple[int, ...]:
    items = text.split(",") if isinstance(text, str) else list(text)
    days = []
    for item in items:
        item = str(item).strip()
        if not item:
            continue
        if not item.isdigit() or int(item) < 1 or int(item) > 3650:
            raise ValueError(f"'{item}' is not a number of days (expected e.g. 30,60,90)")
        if int(item) not in days:
            days.append(int(item))
    if not days:
        raise ValueError("no retention days given (expected e.g. 30,60,90)")
    return tuple(sorted(days))


@dataclass(frozen=True)
class Filters:
    start: dt.date
    end: dt.date
    focus: tuple[str, ...] = DEFAULT_FOCUS
    program: str | None = None
    site: str | None = None
    retention_days: tuple[int, ...] = DEFAULT_RETENTION_DAYS

    def params(self) -> dict:
        """The bound parameters every query may declare."""
        return {
            "start_date": self.start,
            "end_date": self.end,
            "focus": list(self.focus),
            "program": self.program if self.program is not None else None,
            "site": self.site if self.site is not None else None,
            "days": list(self.retention_days),
        }

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous_period(self) -> "Filters":
        """The period of equal length that ends the day before this one starts."""
        end = self.start - dt.timedelta(days=1)
        return replace(self, start=end - dt.timedelta(days=self.days - 1), end=end)


# ---------------------------------------------------------------------------------------------
# Period presets, anchored on the data's as-of date (not on today: exports lag)
# ---------------------------------------------------------------------------------------------

PRESETS = ("Last month", "Last quarter", "Last 12 months", "Year to date", "Custom")
DEFAULT_PRESET = "Last 12 months"


def _month_end(day: dt.date) -> dt.date:
    first_next = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return first_next - dt.timedelta(days=1)


def last_complete_month_end(as_of: dt.date) -> dt.date:
    """The last day of the latest calendar month that is complete on the as-of date."""
    return as_of if as_of == _month_end(as_of) else as_of.replace(day=1) - dt.timedelta(days=1)


def preset_period(preset: str, as_of: dt.date) -> tuple[dt.date, dt.date]:
    """The (start, end) of a preset: whole calendar months or quarters complete on the as-of
    date; year to date runs from 1 January to the as-of date."""
    month_end = last_complete_month_end(as_of)
    if preset == "Last month":
        return month_end.replace(day=1), month_end
    if preset == "Last quarter":
        quarter_start = as_of.replace(month=((as_of.month - 1) // 3) * 3 + 1, day=1)
        end = as_of if as_of == _quarter_end(as_of) else quarter_start - dt.timedelta(days=1)
        return end.replace(month=((end.month - 1) // 3) * 3 + 1, day=1), end
    if preset == "Last 12 months":
        start = month_end.replace(day=1)
        for _ in range(11):
            start = (start - dt.timedelta(days=1)).replace(day=1)
        return start, month_end
    if preset == "Year to date":
        return as_of.replace(month=1, day=1), as_of
    raise ValueError(f"unknown period preset {preset!r}")


def _quarter_end(day: dt.date) -> dt.date:
    last_month = ((day.month - 1) // 3) * 3 + 3
    return _month_end(day.replace(month=last_month, day=1))
