"""
WSGI config for storefront project.

It exposes the WSGI callable as a module-level variable named ``application``.

For more information on this file, see
https://docs.djangoproject.com/en/5.2/howto/deployment/wsgi/
"""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'storefront.settings')

application = get_wsgi_application()

# Garbage collection cost a catalogue page about 1 ms a request with Python's default
# thresholds (700, 10, 10): a page allocates thousands of objects, so the young
# generation was collected several times a request, and each full collection walked
# every object of the loaded project. What was loaded at start-up is never garbage:
# freeze it (out of every collection), and collect the young generation every 50,000
# allocations instead (bench/README.md, "Catalogue pages on a cache miss").
gc.freeze()
gc.set_threshold(50_000, 20, 100)
