"""Apps hand work to each other one way: orders announces, delivery subscribes."""

import ast
from pathlib import Path

from django.conf import settings


def _imported_names(module: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names += [node.module or ""]
            # "from storefront import delivery" names the app in the alias
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def test_orders_never_imports_delivery():
    # given: every module of the orders app, its migrations included
    modules = sorted((Path(settings.BASE_DIR) / "storefront" / "orders").rglob("*.py"))
    assert modules

    # when: their imports are read
    offenders = [
        f"{module.relative_to(settings.BASE_DIR)}: {name}"
        for module in modules
        for name in _imported_names(module)
        if name.startswith("storefront.delivery")
    ]

    # then: none names delivery, the app above it
    assert offenders == []
