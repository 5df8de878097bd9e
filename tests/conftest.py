import sys
from pathlib import Path

# tests import `helpers` and the project package from the repository root
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pytest


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory):
    """A database built from the seeded demo generator (small, shared by the session)."""
    from outcomes.build import build
    from outcomes.demo import generate

    folder = tmp_path_factory.mktemp("demo")
    generate(folder / "exports", clients=800, seed=7)
    db = folder / "demo.duckdb"
    build(folder / "exports", db)
    return db
