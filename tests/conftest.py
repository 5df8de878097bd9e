import sys
from pathlib import Path

# tests import `helpers` and the project package from the repository root
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
