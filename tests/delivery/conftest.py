"""Fixtures of the delivery tests: poppler's tools, to read stamped copies back."""

import shutil

import pytest


@pytest.fixture(scope="session")
def pdftotext() -> str:
    command = shutil.which("pdftotext")
    if command is None:
        pytest.fail("pdftotext is missing: install the Debian package poppler-utils")
    return command


@pytest.fixture(scope="session")
def pdftoppm() -> str:
    command = shutil.which("pdftoppm")
    if command is None:
        pytest.fail("pdftoppm is missing: install the Debian package poppler-utils")
    return command
