"""The shop's settings for benchmark runs: the same stack, plus the bare reference view.

Only two differences from storefront.settings: the URLconf (the shop's URLs plus
/bench/bare/) and a template directory for the reference page. Static files are
collected under bench/results/ so a run never touches the project's staticfiles/.
"""

import copy
from pathlib import Path

from storefront.settings import *  # noqa: F401,F403
from storefront.settings import BASE_DIR, TEMPLATES

BENCH_DIR = Path(__file__).resolve().parent

ROOT_URLCONF = "bench.bare_urls"
TEMPLATES = copy.deepcopy(TEMPLATES)
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BENCH_DIR / "templates"]
STATIC_ROOT = BASE_DIR / "bench" / "results" / "static"
