"""Browser tests: pytest-playwright driving Debian's Chromium against a live server.

Playwright's own browser download is never used (it fails on these machines);
the launch arguments point it at the system Chromium instead.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import chromium_path

CHROMIUM = chromium_path()
HERE = Path(__file__).parent
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(config, items):
    if CHROMIUM:
        return
    skip = pytest.mark.skip(
        reason="no Chromium found (apt-get install chromium); browser tests need it"
    )
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # The Russian interface, as the people who use it see it.
    return {
        **browser_context_args,
        "locale": "ru-RU",
        "viewport": {"width": 1600, "height": 1000},
        "extra_http_headers": {"Accept-Language": "ru"},
    }
