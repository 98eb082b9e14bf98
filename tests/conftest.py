"""Shared fixtures: the repository layout and a way to drive an example.

Django configures its settings once per process, and every example is its
own project, so each call below runs the example in a fresh Python process,
exactly as a reader would from the example's folder.
"""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from example import Example  # noqa: E402


def pytest_report_header(config):
    """Name the series this run checks, e.g. "Django 6.1.3, Python 3.13.0"."""
    import platform

    import django
    return f"Django {django.get_version()}, Python {platform.python_version()} ({sys.prefix})"


@pytest.fixture
def example():
    """Return a factory: ``example("middleware")`` -> Example."""
    return Example.named


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test, for fixtures that act on failure."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


# The files that take longest (`make pytest PYTEST_OPTS="--durations=0"`),
# heaviest first. pytest-xdist's loadscope hands out whole files in this order
# (the Makefile's --no-loadscope-reorder), two to each worker at the start:
# starting with these keeps the run from ending on one of them, alone.
HEAVIEST_FIRST = ["test_site.py", "test_accessibility.py", "test_servers.py",
                  "test_intl_check.py", "test_browser.py", "test_intl_update.py",
                  "test_run_in_browser.py", "test_capacity.py"]


def pytest_collection_modifyitems(config, items):
    rank = {name: n for n, name in enumerate(HEAVIEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: order within a file kept
