"""Test-suite settings.

Under CI, hypothesis draws a fixed sequence of examples (derandomized), so a CI run is
reproducible; locally it explores new examples on every run. The suite refuses to run on a
stale compiled engine (a source edited since `make build`), which would test the old code.
"""

import os

import pytest
from hypothesis import settings

from ballast.engine import engine_status

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def pytest_report_header(config):
    return f"ballast engine: {engine_status().describe()}"


def pytest_configure(config):
    status = engine_status()
    if status.stale_sources:
        pytest.exit(f"ballast engine is {status.describe()}: run `make build`", returncode=3)


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium for the page and report tests (tests/browser.py), one per test module:
    while Playwright's sync API runs, the thread has a running event loop, so it must not
    outlive the module that uses it."""
    from tests.browser import launched_browser

    yield from launched_browser()
