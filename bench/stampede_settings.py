"""bench/stampede.py's servers: the benchmark settings, with each content build logged."""

import copy

from bench.settings import *  # noqa: F401,F403
from bench.settings import LOGGING

LOGGING = copy.deepcopy(LOGGING)
LOGGING["loggers"]["reports.page_cache"] = {"level": "DEBUG"}
