"""Fixtures of the delivery tests: poppler's tools, to read stamped copies back."""

import shutil

import pytest


def _poppler_tool(name: str) -> str:
    command = shutil.which(name)
    if command is None:
        pytest.fail(f"{name} is missing: install the Debian package poppler-utils")
    return command


@pytest.fixture(scope="session")
def pdftotext() -> str:
    return _poppler_tool("pdftotext")


@pytest.fixture(scope="session")
def pdftoppm() -> str:
    return _poppler_tool("pdftoppm")
