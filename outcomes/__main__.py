"""``python -m outcomes``: see outcomes.cli."""

from .cli import main

raise SystemExit(main())
