"""Small-cell suppression for the board (SPEC section 5): pure functions, no Streamlit.

The board identifies nobody, so every number it shows follows these rules, with one threshold,
``definitions.SMALL_CELL`` (11), read when a function runs:

- A count of 1..10 is shown as "<11". Zero stays zero (nobody to identify).
- A rate (or a median, or a rate per 1,000 days) is withheld when its numerator, its
  denominator or their difference is 1..10: 95 of 100 completed would tell the reader that 5
  did not.
- In a table with totals, a lone withheld cell could be worked out by subtraction, so more
  cells are withheld with it (complementary suppression, :func:`suppress_line` and
  :func:`suppress_table`): the next smallest non-zero cell of the line, until (a) in every
  line whose total is shown, what the withheld cells add up to (the total minus the shown
  cells) is 0 or at least 11, and (b) no withheld entry can be worked out exactly from all
  that is shown together: the cells, the totals, and what "<11" (1..10) and "—" (11 or more)
  say. (b) is checked exactly, by searching for a table of whole numbers that fits what is
  shown with that entry different (interval propagation, then splitting an interval in two).
  Zeros are never withheld; a cell of 11 or more is withheld only when (a) or (b) needs it,
  and then shows as "—", not "<11".
- A chart point resting on fewer than 11 clients is left out (the figures decide what "resting
  on" means and say so in their captions).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from . import definitions

PRIMARY = "primary"  # a count of 1..10
COMPLEMENTARY = "complementary"  # 11 or more, withheld so that no small cell can be worked out
WITHHELD_TEXT = "—"  # how a complementary cell reads in a table


def threshold() -> int:
    """The smallest count shown as it is (``definitions.SMALL_CELL``)."""
    return definitions.SMALL_CELL


def small_text() -> str:
    """What a count of 1..10 reads as: "<11"."""
    return f"<{threshold()}"


def is_small(count) -> bool:
    """True for a count of 1..10 (None and zero are not small)."""
    if count is None or (isinstance(count, float) and math.isnan(count)):
        return False
    return 0 < count < threshold()


def count_text(count) -> str:
    """A count as the board shows it: "0", "<11" or "1,234" ("n/a" for None)."""
    if count is None or (isinstance(count, float) and math.isnan(count)):
        return "n/a"
    if is_small(count):
        return small_text()
    return f"{int(count):,}"


def rate_withheld(numerator, denominator) -> bool:
    """True when a rate numerator / denominator must be withheld: the numerator, the
    denominator or their difference is 1..10. (A rate with denominator 0 is n/a, not
    withheld.)"""
    numerator = 0 if numerator is None else numerator
    denominator = 0 if denominator is None else denominator
    return any(is_small(n) for n in (numerator, denominator, denominator - numerator))


# ---------------------------------------------------------------------------------------------
# Tables with totals: complementary suppression
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One count of a suppressed table: its value (kept for the code, never to be shown when
    withheld) and why it is withheld, if it is."""

    value: int
    withheld: str | None = None  # None, PRIMARY or COMPLEMENTARY

    @property
    def shown(self) -> bool:
        return self.withheld is None

    @property
    def text(self) -> str:
        if self.withheld == PRIMARY:
            return small_text()
        if self.withheld == COMPLEMENTARY:
            return WITHHELD_TEXT
        return f"{self.value:,}"

    @property
    def display(self) -> int | None:
        """The value when shown, else None: what a chart or a CSV may carry."""
        return self.value if self.shown else None


@dataclass(frozen=True)
class Line:
    """A list of counts and their total (e.g. discharges by reason), suppressed."""

    cells: tuple[Cell, ...]
    total: Cell

    @property
    def withheld_sum(self) -> int:
        """What the withheld cells add up to (the total minus the shown cells)."""
        return sum(c.value for c in self.cells if not c.shown)


@dataclass(frozen=True)
class Table:
    """A table of counts with row totals, column totals and the grand total, suppressed."""

    cells: tuple[tuple[Cell, ...], ...]
    row_totals: tuple[Cell, ...]
    column_totals: tuple[Cell, ...]
    total: Cell


def _check_counts(values: Sequence[int]) -> list[int]:
    out = []
    for v in values:
        if v is None or int(v) != v or v < 0:
            raise ValueError("a suppressed table holds counts: whole numbers of 0 or more")
        out.append(int(v))
    return out


def _bounds(values: list[int], withheld: list[str | None], upper: float) -> list[tuple[float, float]]:
    """What a reader knows of each entry: a shown value exactly, "<11" as 1..10, a
    complementary "—" as 11..upper (it would read "<11" otherwise, and zeros are shown)."""
    small = threshold()
    out = []
    for value, why in zip(values, withheld):
        if why is None:
            out.append((value, value))
        elif why == PRIMARY:
            out.append((1, small - 1))
        else:
            out.append((small, upper))
    return out


def _propagate(bounds: list[tuple[int, int]], equations: list[tuple[list[int], int]]):
    """Tighten each entry's interval with every equation sum(members) = total until nothing
    changes (interval constraint propagation). None when no table fits the bounds."""
    lo = [b[0] for b in bounds]
    hi = [b[1] for b in bounds]
    for _ in range(500):
        changed = False
        for members, total in equations:
            sum_lo = sum(lo[m] for m in members)
            sum_hi = sum(hi[m] for m in members)
            # the total from its members
            new_lo, new_hi = max(lo[total], sum_lo), min(hi[total], sum_hi)
            if new_lo > new_hi:
                return None
            if (new_lo, new_hi) != (lo[total], hi[total]):
                lo[total], hi[total], changed = new_lo, new_hi, True
            # each member from the total and the others
            for m in members:
                others_lo, others_hi = sum_lo - lo[m], sum_hi - hi[m]
                new_lo = max(lo[m], lo[total] - others_hi)
                new_hi = min(hi[m], hi[total] - others_lo)
                if new_lo > new_hi:
                    return None
                if (new_lo, new_hi) != (lo[m], hi[m]):
                    lo[m], hi[m], changed = new_lo, new_hi, True
                    sum_lo, sum_hi = sum(lo[x] for x in members), sum(hi[x] for x in members)
        if not changed:
            break
    return list(zip(lo, hi))


def _solvable(bounds: list[tuple[int, int]], equations: list[tuple[list[int], int]]) -> bool:
    """Is there a table of whole numbers within the bounds that keeps every equation?
    Propagation, then the narrowest open interval split in two, depth first (exact)."""
    narrowed = _propagate(bounds, equations)
    if narrowed is None:
        return False
    open_ = [i for i, (lo, hi) in enumerate(narrowed) if lo < hi]
    if not open_:
        return all(sum(narrowed[m][0] for m in members) == narrowed[total][0] for members, total in equations)
    i = min(open_, key=lambda k: narrowed[k][1] - narrowed[k][0])
    lo, hi = narrowed[i]
    middle = (lo + hi) // 2
    for part in ((lo, middle), (middle + 1, hi)):
        trial = list(narrowed)
        trial[i] = part
        if _solvable(trial, equations):
            return True
    return False


def _pinned(values: list[int], withheld: list[str | None], equations, upper: int) -> list[int]:
    """The withheld entries a reader could work out exactly: no table consistent with what is
    shown (and with what "<11" and "—" say) has a different value there."""
    bounds = _bounds(values, withheld, upper)
    found = []
    for index, why in enumerate(withheld):
        if why is None:
            continue
        lo, hi = bounds[index]
        differs = False
        for part in ((lo, values[index] - 1), (values[index] + 1, hi)):
            if part[0] <= part[1]:
                trial = list(bounds)
                trial[index] = part
                if _solvable(trial, equations):
                    differs = True
                    break
        if not differs:
            found.append(index)
    return found


def _suppress(values: list[int], equations: list[tuple[list[int], int]]) -> list[str | None]:
    """Primary then complementary suppression over entries tied by equations
    sum(values[members]) = values[total]. Returns why each entry is withheld (or None)."""
    withheld: list[str | None] = [PRIMARY if is_small(v) else None for v in values]
    upper = sum(values) or 1  # no entry is larger than everything together

    def broken_equations():
        """The equations that break a rule: plainly (one withheld cell alone, or withheld
        cells adding up to 1..10) first; else those holding a withheld entry a reader could
        work out from several of them together."""
        open_equations = []
        for members, total in equations:
            hidden = [m for m in members if withheld[m] is not None]
            if withheld[total] is None and hidden:
                open_equations.append((members, total, hidden))
        plain = [(members, total) for members, total, hidden in open_equations
                 if len(hidden) == 1 or is_small(sum(values[m] for m in hidden))]
        if plain:
            return plain
        pinned = _pinned(values, withheld, equations, upper)
        if not pinned:
            return []
        holding = [(members, total) for members, total, hidden in open_equations if set(hidden) & set(pinned)]
        if holding:
            return holding
        return [(members, total) for members, total in equations
                if any(i == total or i in members for i in pinned)]

    for _ in range(len(values) + 1):
        broken = broken_equations()
        if not broken:
            break
        members, total = broken[0]
        candidates = [m for m in members if withheld[m] is None and values[m] > 0]
        if not candidates and withheld[total] is None and values[total] > 0:
            candidates = [total]
        if not candidates:  # the entry is pinned through lines whose cells are all withheld
            candidates = [i for i, v in enumerate(values) if withheld[i] is None and v > 0]
            if not candidates:
                break

        def mends(index):  # how many broken equations withholding this entry would help
            return sum(1 for m, t in broken if index == t or index in m)

        # the next smallest non-zero entry, preferring one that mends several lines at once
        # (the first on a tie, so the result is stable)
        pick = min(candidates, key=lambda i: (-mends(i), values[i], i))
        withheld[pick] = COMPLEMENTARY
    return withheld


def suppress_line(counts: Sequence[int]) -> Line:
    """Suppress a list of counts shown with their total (e.g. discharges by reason)."""
    values = _check_counts(counts)
    entries = values + [sum(values)]
    n = len(values)
    withheld = _suppress(entries, [(list(range(n)), n)])
    cells = tuple(Cell(v, w) for v, w in zip(values, withheld[:n]))
    return Line(cells, Cell(entries[n], withheld[n]))


def suppress_table(counts: Sequence[Sequence[int]]) -> Table:
    """Suppress a table of counts shown with its row totals, column totals and grand total."""
    rows = [_check_counts(r) for r in counts]
    if not rows or not rows[0]:
        raise ValueError("a table needs at least one row and one column")
    width = len(rows[0])
    if any(len(r) != width for r in rows):
        raise ValueError("every row of a table needs the same number of columns")
    height = len(rows)
    cells = [v for r in rows for v in r]
    row_sums = [sum(r) for r in rows]
    column_sums = [sum(r[j] for r in rows) for j in range(width)]
    entries = cells + row_sums + column_sums + [sum(cells)]

    def cell(i, j):
        return i * width + j

    row_total = [height * width + i for i in range(height)]
    column_total = [height * width + height + j for j in range(width)]
    grand = len(entries) - 1
    equations = (
        [([cell(i, j) for j in range(width)], row_total[i]) for i in range(height)]
        + [([cell(i, j) for i in range(height)], column_total[j]) for j in range(width)]
        + [(row_total, grand), (column_total, grand)]
    )
    withheld = _suppress(entries, equations)
    return Table(
        cells=tuple(tuple(Cell(rows[i][j], withheld[cell(i, j)]) for j in range(width)) for i in range(height)),
        row_totals=tuple(Cell(row_sums[i], withheld[row_total[i]]) for i in range(height)),
        column_totals=tuple(Cell(column_sums[j], withheld[column_total[j]]) for j in range(width)),
        total=Cell(entries[grand], withheld[grand]),
    )


def footnote() -> str:
    """The suppression rules in one sentence, for the board page and the board pack."""
    small = small_text()
    return (f"Small numbers are suppressed so that no client can be identified: a count of 1 to "
            f"{threshold() - 1} shows as \u201c{small}\u201d; a rate, median or rate per 1,000 days is "
            f"withheld when its numerator, its denominator or their difference is 1 to "
            f"{threshold() - 1}; where a withheld number could be worked out from a total, the next "
            f"smallest is withheld with it (\u201c{WITHHELD_TEXT}\u201d); chart points resting on "
            f"fewer than {threshold()} clients are left out. Zero stays zero.")
