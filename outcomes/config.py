"""Where things are, and the few settings every part of the product shares.

One way to say where things live, for the app and every command alike:

- the database: ``--db`` or the environment variable ``OUTCOMES_DB``
  (default ``data/outcomes.duckdb``);
- the exports folder: ``--exports`` or ``OUTCOMES_EXPORTS`` (default: the demo exports
  in ``data/demo``, which the app or ``outcomes demo`` generates).

Relative paths given on the command line or in the environment are taken from the working
directory, as any command-line tool does; the defaults are absolute, under the project root.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ROOT / "queries"
DEMO_EXPORTS = ROOT / "data" / "demo"
DEFAULT_DB = ROOT / "data" / "outcomes.duckdb"

# Default size of the demo the app and the README's first command generate.
DEMO_CLIENTS = 2000
DEMO_SEED = 42


def _resolve(value: str | os.PathLike) -> Path:
    return Path(value).expanduser().resolve()


def db_path(value: str | os.PathLike | None = None) -> Path:
    """The database file: the explicit value, else ``$OUTCOMES_DB``, else the default."""
    if value:
        return _resolve(value)
    env = os.environ.get("OUTCOMES_DB")
    return _resolve(env) if env else DEFAULT_DB


def exports_path(value: str | os.PathLike | None = None) -> Path:
    """The exports folder: the explicit value, else ``$OUTCOMES_EXPORTS``, else the demo."""
    if value:
        return _resolve(value)
    env = os.environ.get("OUTCOMES_EXPORTS")
    return _resolve(env) if env else DEMO_EXPORTS
