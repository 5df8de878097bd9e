"""Serving the app and driving Debian's Chromium with Playwright, for the browser tests and
the benchmark: one place for how a page counts as "fully drawn".

A page is drawn when the app is connected and its script is not running, no status widget
shows, every Plotly chart holds its traces (``.trace``; heat-maps draw ``.hm`` and Sankeys
``.sankey`` instead), and no skeleton or spinner is left.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from .config import ROOT

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

DRAWN = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app) return false;
  if (app.getAttribute('data-test-connection-state') !== 'CONNECTED') return false;
  if (app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-testid="stStatusWidget"]')) return false;
  // a chart is drawn when its SVG holds its traces: scatter/bar/pie (.trace), heat-maps (.hm)
  // or a Sankey (.sankey)
  for (const chart of document.querySelectorAll('[data-testid="stPlotlyChart"]')) {
    if (!chart.querySelector('.js-plotly-plot .main-svg :is(.trace, .hm, .sankey)')) return false;
  }
  if (document.querySelector('[data-testid="stSkeleton"], [data-testid="stSpinner"]')) return false;
  return true;
}"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    url = f"http://127.0.0.1:{port}/_stcore/health"
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        time.sleep(0.2)
    raise TimeoutError(f"the app did not answer {url} within {timeout:.0f} s")


@contextlib.contextmanager
def serve(db: Path, port: int | None = None, env: dict | None = None, log: Path | None = None):
    """Serve dashboard.py on 127.0.0.1 with the given database; yields the base URL."""
    port = port or free_port()
    environment = {**os.environ, "OUTCOMES_DB": str(db), **(env or {})}
    out = open(log, "w") if log else subprocess.DEVNULL
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard.py"),
         "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=environment, stdout=out, stderr=subprocess.STDOUT,
    )
    try:
        wait_healthy(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        if log:
            out.close()


def launch(playwright):
    """Debian's Chromium through Playwright (never a downloaded browser)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def wait_drawn(page, timeout_ms: int = 60_000) -> float:
    """Wait until the page is fully drawn; returns the seconds it took."""
    started = time.perf_counter()
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)
    # Give the script a moment to start after navigation, then wait for the drawn state to hold.
    page.wait_for_function(DRAWN, timeout=timeout_ms, polling=100)
    page.wait_for_timeout(300)
    page.wait_for_function(DRAWN, timeout=timeout_ms, polling=100)
    return time.perf_counter() - started


def exceptions(page) -> list[str]:
    """The text of any exception or error box on the page."""
    return [el.inner_text() for el in page.query_selector_all('[data-testid="stException"]')]


def screenshot(page, path: Path, width: int = 1440) -> Path:
    """A screenshot of the whole page: the viewport is made as tall as the scrolled content
    (Streamlit scrolls an inner container, so a plain full-page shot would be cut)."""
    height = page.evaluate("""() => {
      const main = document.querySelector('[data-testid="stMain"]') || document.body;
      const inner = document.querySelector('[data-testid="stMainBlockContainer"]') || main;
      return Math.max(main.scrollHeight, inner.scrollHeight + 120, 800);
    }""")
    page.set_viewport_size({"width": width, "height": min(int(height), 16000)})
    page.wait_for_timeout(400)
    page.wait_for_function(DRAWN, timeout=30_000, polling=100)
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path
