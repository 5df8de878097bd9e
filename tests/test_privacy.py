"""Small-cell suppression (outcomes/privacy.py): table-driven cases worked out by hand, then
properties over many random small tables (hypothesis).

The properties are checked against an independent oracle written here, not against the
module's own interval arithmetic: :func:`recoverable` asks, for each withheld entry, whether a
reader could fill in a whole-number table from what is shown (a shown count exactly; "<11" as
1..10; "—" as 11 or more, since it would read "<11" otherwise and zeros are shown) that adds
up to every shown total with that entry smaller than it is, or larger (an exact search:
bounds propagation, then splitting a domain in two). An entry for which neither exists is
recovered.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outcomes import definitions, privacy
from outcomes.privacy import COMPLEMENTARY, PRIMARY

# ---------------------------------------------------------------------------------------------
# Counts and rates, one by one
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("count, text", [
    (0, "0"), (1, "<11"), (10, "<11"), (11, "11"), (1234, "1,234"), (None, "n/a"),
])
def test_count_text(count, text):
    assert privacy.count_text(count) == text


@pytest.mark.parametrize("numerator, denominator, withheld, why", [
    (0, 0, False, "nothing to count: n/a, not withheld"),
    (0, 40, False, "0 of 40: zero stays zero, difference 40"),
    (40, 40, False, "all of 40: difference 0"),
    (5, 40, True, "numerator 5"),
    (35, 40, True, "difference 5: '35 of 40' says 5 did not"),
    (30, 40, True, "difference 10"),
    (29, 40, False, "numerator 29, difference 11"),
    (11, 22, False, "11, 22 and 11"),
    (0, 7, True, "denominator 7"),
    (7, 7, True, "numerator and denominator 7"),
    (1039, 45225, False, "relapse days / client-days of the demo year"),
])
def test_rate_withheld(numerator, denominator, withheld, why):
    assert privacy.rate_withheld(numerator, denominator) is withheld, why


def test_the_threshold_is_one_setting(monkeypatch):
    """Changing definitions.SMALL_CELL changes every rule (read when the function runs)."""
    monkeypatch.setattr(definitions, "SMALL_CELL", 5)
    assert privacy.count_text(4) == "<5"
    assert privacy.count_text(5) == "5"
    assert not privacy.rate_withheld(35, 40)  # difference 5 is not small under a threshold of 5
    assert [c.text for c in privacy.suppress_line([4, 0, 9]).cells] == ["<5", "0", "—"]


# ---------------------------------------------------------------------------------------------
# Lines with a total, by hand
# ---------------------------------------------------------------------------------------------

LINES = [
    # counts, shown cells, shown total, why
    ([348, 201, 29, 50, 91, 169], ["348", "201", "29", "50", "91", "169"], "888",
     "no count is 1..10: nothing withheld"),
    ([15, 4, 1, 1, 3, 2], ["15", "<11", "<11", "<11", "<11", "<11"], "26",
     "five small cells add up to 11 (not small) and none can be pinned: each is 1..7 given "
     "the others are 1..10 and all five make 26 - 15 = 11"),
    ([5, 0, 0, 20], ["<11", "0", "0", "—"], "25",
     "a lone 5 would be 25 - 20: the next smallest non-zero cell (20) goes with it; the zeros "
     "stay"),
    ([12, 3, 40], ["—", "<11", "40"], "55",
     "3 alone would be 55 - 12 - 40; the next smallest is 12, not 40"),
    ([10, 10, 30], ["<11", "<11", "—"], "50",
     "two small cells that make 20 must both be 10: the 30 goes with them"),
    ([10, 10, 0], ["<11", "<11", "0"], "—",
     "the same with no other non-zero cell: the total is withheld"),
    ([3, 4, 50], ["<11", "<11", "—"], "57",
     "3 + 4 = 7 would show as 57 - 50, a small number: the 50 goes with them"),
    ([1, 1], ["<11", "<11"], "<11", "a small total is itself '<11'"),
    ([0, 0, 0], ["0", "0", "0"], "0", "zero stays zero"),
    ([11, 0, 25], ["11", "0", "25"], "36", "11 is not small"),
]


@pytest.mark.parametrize("counts, cells, total, why", LINES, ids=[str(c[0]) for c in LINES])
def test_suppress_line_by_hand(counts, cells, total, why):
    line = privacy.suppress_line(counts)
    assert [c.text for c in line.cells] == cells, why
    assert line.total.text == total, why


def test_suppress_table_by_hand():
    """A 2 x 3 table with its totals (rows, then columns, then the margins are checked):

         5  20  30 |  55
        40  25  12 |  77
        ------------------
        45  45  42 | 132

    The 5 is small ("<11"). Row 1 would give it away (55 - 20 - 30): its next smallest, 20, goes
    with it. Column 1 would still give it away (45 - 40): 40 goes. Column 2 now holds the 20
    alone (45 - 25): 25 goes. Row 2 holds 40 and 25 (together 77 - 12 = 65), and neither can be
    pinned: with t = the withheld 5 (1..10), 20 = 25 - t, 40 = 45 - t, 25 = 20 + t all fit for
    every t. Everything else stays shown."""
    table = privacy.suppress_table([[5, 20, 30], [40, 25, 12]])
    assert [[c.text for c in row] for row in table.cells] == [["<11", "—", "30"], ["—", "—", "12"]]
    assert [c.text for c in table.row_totals] == ["55", "77"]
    assert [c.text for c in table.column_totals] == ["45", "45", "42"]
    assert table.total.text == "132"
    assert recoverable(table_view(table)) == set()


def test_a_cell_pinned_through_several_lines_is_protected():
    """Found by the property test below: with every non-zero cell small,

         0  0  2 |  2
         0  1  9 | 10
         2  9  0 | 11
        ------------
         2 10 11 | 23

    the shown 11s and 23 give the 1 away although no single line does: row 3 says the two
    cells under it make 11, the column totals say columns 1 and 2 make 23 - 11 = 12, so the
    middle cell is 12 - 11 = 1. More must be withheld until no cell can be worked out."""
    table = privacy.suppress_table([[0, 0, 2], [0, 1, 9], [2, 9, 0]])
    view = table_view(table)
    check_rules(_entries(view))
    assert recoverable(view) == set()
    assert table.cells[0][0].text == "0"  # zeros stay shown


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        privacy.suppress_line([3, -1])
    with pytest.raises(ValueError):
        privacy.suppress_table([[1, 2], [3]])


# ---------------------------------------------------------------------------------------------
# The oracle: which withheld entries can a reader work out?
# ---------------------------------------------------------------------------------------------


def table_view(table) -> dict:
    """The table as (value, withheld) per entry: cells, row totals, column totals, grand."""
    return {
        "cells": [[(c.value, c.withheld) for c in row] for row in table.cells],
        "rows": [(c.value, c.withheld) for c in table.row_totals],
        "columns": [(c.value, c.withheld) for c in table.column_totals],
        "total": (table.total.value, table.total.withheld),
    }


def line_view(line) -> dict:
    """A line is a one-row table whose row total is the grand total (no column totals)."""
    total = (line.total.value, line.total.withheld)
    return {"cells": [[(c.value, c.withheld) for c in line.cells]], "rows": [total], "columns": None,
            "total": total}


UNBOUNDED = 10 ** 9  # a "—" cell is 11 or more, with no upper bound a reader knows of


def _entries_and_equations(view: dict):
    """Every entry of the table as (value, withheld), and the sums a reader knows hold: each row
    adds up to its total, each column to its total, the totals to the grand total. An equation
    is a list of (coefficient, entry index) adding up to 0."""
    cells, rows, columns, total = view["cells"], view["rows"], view["columns"], view["total"]
    height, width = len(cells), len(cells[0])
    entries = [e for row in cells for e in row]
    row_index = [len(entries) + i for i in range(height)]
    entries += list(rows)
    equations = [[(1, i * width + j) for j in range(width)] + [(-1, row_index[i])] for i in range(height)]
    if columns is not None:
        column_index = [len(entries) + j for j in range(width)]
        entries += list(columns)
        grand = len(entries)
        entries.append(total)
        equations += [[(1, i * width + j) for i in range(height)] + [(-1, column_index[j])] for j in range(width)]
        equations.append([(1, r) for r in row_index] + [(-1, grand)])
        equations.append([(1, c) for c in column_index] + [(-1, grand)])
    return entries, equations


def _known_bounds(entries) -> list[list[int]]:
    small = definitions.SMALL_CELL
    bounds = []
    for value, why in entries:
        if why is None:
            bounds.append([value, value])
        elif why == PRIMARY:
            bounds.append([1, small - 1])  # what "<11" says
        else:
            bounds.append([small, UNBOUNDED])
    return bounds


def _feasible(bounds: list[list[int]], equations) -> bool:
    """Is there a whole-number table within ``bounds`` that keeps every equation? Bounds
    propagation, then splitting the widest open domain in two (exact, and fast on small
    tables)."""
    bounds = [b[:] for b in bounds]
    changed = True
    while changed:
        changed = False
        for terms in equations:
            low = sum(a * (bounds[i][0] if a > 0 else bounds[i][1]) for a, i in terms)
            high = sum(a * (bounds[i][1] if a > 0 else bounds[i][0]) for a, i in terms)
            if low > 0 or high < 0:
                return False
            for a, i in terms:
                own_low = a * (bounds[i][0] if a > 0 else bounds[i][1])
                own_high = a * (bounds[i][1] if a > 0 else bounds[i][0])
                rest_low, rest_high = low - own_low, high - own_high
                # a * x_i = -(rest), so a * x_i lies in [-rest_high, -rest_low]
                lo, hi = (-rest_high, -rest_low) if a > 0 else (rest_low, rest_high)
                new = [max(bounds[i][0], lo), min(bounds[i][1], hi)]
                if new[0] > new[1]:
                    return False
                if new != bounds[i]:
                    bounds[i], changed = new, True
    open_ = [i for i, (lo, hi) in enumerate(bounds) if lo < hi]
    if not open_:
        return True
    i = min(open_, key=lambda k: bounds[k][1] - bounds[k][0])
    middle = (bounds[i][0] + bounds[i][1]) // 2
    left = [b[:] for b in bounds]
    left[i][1] = middle
    right = [b[:] for b in bounds]
    right[i][0] = middle + 1
    return _feasible(left, equations) or _feasible(right, equations)


def recoverable(view: dict) -> set:
    """The withheld entries (by index: cells row by row, then row totals, column totals and the
    grand total) whose value is the same in every whole-number table consistent with what is
    shown: neither a smaller nor a larger value fits."""
    entries, equations = _entries_and_equations(view)
    bounds = _known_bounds(entries)
    found = set()
    for index, (value, why) in enumerate(entries):
        if why is None:
            continue
        below = [b[:] for b in bounds]
        below[index][1] = value - 1
        above = [b[:] for b in bounds]
        above[index][0] = value + 1
        if not _feasible(below, equations) and not _feasible(above, equations):
            found.add(index)
    return found


def check_rules(entries: list[tuple[int, str | None]]):
    """What every entry of a suppressed table must satisfy."""
    small = definitions.SMALL_CELL
    for value, why in entries:
        if why is None:
            assert value == 0 or value >= small, f"{value} shown"
        elif why == PRIMARY:
            assert 1 <= value < small
        else:
            assert why == COMPLEMENTARY and value >= small, f"{value} withheld as {why}"
        if value == 0:
            assert why is None, "zero stays zero"


def _entries(view):
    out = [e for row in view["cells"] for e in row] + list(view["rows"]) + [view["total"]]
    return out + (list(view["columns"]) if view["columns"] else [])


def _remainders_not_small(view):
    """In every line whose total is shown, the withheld cells add up to 0 or 11+."""
    cells, rows, columns = view["cells"], view["rows"], view["columns"]
    lines = [(row, rows[i]) for i, row in enumerate(cells)]
    if columns is not None:
        lines += [([row[j] for row in cells], columns[j]) for j in range(len(columns))]
        lines += [(list(rows), view["total"]), (list(columns), view["total"])]
    for members, total in lines:
        if total[1] is None:
            assert not privacy.is_small(sum(v for v, why in members if why is not None))


counts = st.integers(min_value=0, max_value=40) | st.integers(min_value=0, max_value=12)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(counts, min_size=1, max_size=7))
def test_lines_hide_every_small_count_for_good(values):
    line = privacy.suppress_line(values)
    view = line_view(line)
    check_rules(_entries(view))
    assert recoverable(view) == set()
    _remainders_not_small(view)
    # values of 11+ are shown unless complementary suppression needs them: with no small
    # count nothing is withheld, and the complementary cells are the smallest of the cells
    # of 11 or more (the next smallest, then the next...)
    if not any(privacy.is_small(v) for v in values):
        assert all(c.shown for c in line.cells) and line.total.shown
    taken = [c.value for c in line.cells if c.withheld == COMPLEMENTARY]
    left = [c.value for c in line.cells if c.shown and c.value > 0]
    if taken and left:
        assert max(taken) <= min(left)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=1, max_value=3).flatmap(
    lambda width: st.lists(st.lists(st.integers(min_value=0, max_value=25), min_size=width, max_size=width),
                           min_size=1, max_size=3)))
def test_tables_hide_every_small_count_for_good(rows):
    table = privacy.suppress_table(rows)
    view = table_view(table)
    check_rules(_entries(view))
    assert recoverable(view) == set(), rows
    _remainders_not_small(view)
    if not any(privacy.is_small(v) for v in _all_counts(rows)):
        assert all(why is None for _, why in _entries(view))


def _all_counts(rows):
    return ([v for r in rows for v in r] + [sum(r) for r in rows]
            + [sum(r[j] for r in rows) for j in range(len(rows[0]))] + [sum(map(sum, rows))])


def test_the_oracle_finds_a_lone_withheld_cell():
    """The oracle itself can fail: a lone "<11" in a line with its total is recovered."""
    naive = {"cells": [[(5, PRIMARY), (20, None), (30, None)]], "rows": [(55, None)], "columns": None,
             "total": (55, None)}
    assert recoverable(naive) == {0}
    pair = {"cells": [[(10, PRIMARY), (10, PRIMARY), (30, None)]], "rows": [(50, None)], "columns": None,
            "total": (50, None)}
    assert recoverable(pair) == {0, 1}  # 1..10 each and 20 together: both are 10
    safe = {"cells": [[(10, PRIMARY), (10, PRIMARY), (30, COMPLEMENTARY)]], "rows": [(50, None)],
            "columns": None, "total": (50, None)}
    assert recoverable(safe) == set()
