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
