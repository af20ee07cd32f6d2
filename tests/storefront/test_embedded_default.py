"""The shop on its embedded defaults (SQLite, in-process tasks, local files), as `make run`
starts it: the demo catalogue's pages answer in every language. The suite itself runs
on PostgreSQL, so this is where SQLite's own conversions are exercised."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PAGES = """
import django
django.setup()
from django.test import Client
client = Client()
for path in ("/en/", "/en/reports/", "/zh-hans/reports/", "/zh-hant/reports/?q=醫學",
             "/en/reports/1994249/", "/zh-hans/reports/1994249/", "/zh-hant/reports/1994249/"):
    response = client.get(path, follow=True, HTTP_HOST="127.0.0.1")
    assert response.status_code == 200, (path, response.status_code)
    print(path, response.status_code, len(response.content))
"""


def test_the_demo_shop_answers_on_sqlite(tmp_path):
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "storefront.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "PRIVATE_MEDIA_ROOT": str(tmp_path / "private"),
        "CATALOGUE_VERSION_DIR": str(tmp_path / "version"),
    }

    def run(*args):
        result = subprocess.run(
            [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True,
            timeout=600,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout

    run("manage.py", "migrate", "--no-input", "-v0")
    run("manage.py", "seed_demo", "--no-pdfs")
    shown = run("-c", PAGES)

    assert "/zh-hant/reports/1994249/ 200" in shown
