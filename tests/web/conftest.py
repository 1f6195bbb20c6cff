"""Browser tests: a running site (tests/web/site.py) and Playwright driving the Debian
`chromium` package headless; every test saves its screenshots under test-output/web/<test>/
(BALLAST_TEST_OUTPUT overrides the folder). The `browser` fixture is tests/conftest.py's."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.web.site import Site

OUTPUT = Path(os.environ.get("BALLAST_TEST_OUTPUT", Path(__file__).resolve().parents[2] / "test-output")) / "web"
PASSWORD = "browser-test-password"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    running = Site(tmp_path_factory.mktemp("site"))
    yield running
    running.stop()


class Shots:
    """Numbered screenshots of one test: `shots(page, "after-add")`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)

    def __call__(self, page: Page, name: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def shots(request) -> Shots:
    return Shots(OUTPUT / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name))


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(15_000)
    opened = context.new_page()
    yield opened
    context.close()


def sign_up(page: Page, site: Site, username: str) -> None:
    """Sign up through the page (lands on the BAL page signed in)."""
    page.goto(f"{site.url}/signup")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(f"{site.url}/bal")
