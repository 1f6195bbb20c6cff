"""Headless Chromium for the tests (the Debian `chromium` package, driven by Playwright's sync
API, which allows one running instance per process at a time): the `browser` fixture of
tests/conftest.py, shared by the page tests and the report tests."""

from __future__ import annotations

import shutil

from playwright.sync_api import sync_playwright

CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        raise RuntimeError("no chromium: run `make test` as root (it installs the Debian chromium package)")
    return path


def launched_browser():
    """A generator fixture body: Playwright started, Chromium launched, both closed after."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS, timeout=60_000)
        yield browser
        browser.close()
