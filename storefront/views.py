import logging

from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from reports import page_cache, selectors, seo

logger = logging.getLogger(__name__)

HOME_NEWEST_REPORTS = 6


def home(request):
    cached = page_cache.cached_page(request)
    if cached is not None:
        return cached
    content = page_cache.cached_content(
        page_cache.content_key("home"),
        lambda: _home_content(request),
        seconds_until_change=selectors.seconds_until_next_publication,
    )
    return page_cache.render_page(request, content)


def _home_content(request) -> page_cache.CatalogueContent:
    context = {
        "categories": selectors.category_tree(),
        "newest_reports": selectors.newest_reports(HOME_NEWEST_REPORTS),
    }
    title = _("Market research reports")
    description = _(
        "Market research reports with bilingual summaries, key statistics and instant "
        "licensed delivery."
    )
    return page_cache.CatalogueContent(
        title=title,
        meta_description=description,
        html=page_cache.render_content(request, "home.html", context),
        head=seo.page_head(path=reverse("home"), title=title, description=description),
    )


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _redis_check(url: str):
    def check() -> str:
        import redis

        # A load balancer's probe must not hang on a hung Redis either.
        timeout = settings.REDIS_TIMEOUT_SECONDS
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        try:
            client.ping()
        finally:
            client.close()
        return "ok"

    return check


@never_cache
@require_GET
def healthz(request):
    """Health for load balancers: 503 when the database fails, else 200.

    Redis (broker and cache) is checked and reported, but its failure only makes
    the status "degraded": the shop still serves every page from the database and
    leaves queued work to the sweeps, so a load balancer must not take it out.
    """
    checks = {"database": _check_database}
    if settings.REDIS_URL:
        checks["redis"] = _redis_check(settings.REDIS_URL)
    if settings.CACHE_REDIS_URL and settings.CACHE_REDIS_URL != settings.REDIS_URL:
        checks["cache"] = _redis_check(settings.CACHE_REDIS_URL)
    results = {}
    for name, check in checks.items():
        try:
            results[name] = check()
        except Exception as error:  # any failure is a failed check, reported, not raised
            logger.warning("health check %s failed: %s", name, error)
            results[name] = "error"
    if results["database"] != "ok":
        status = "error"
    elif all(value == "ok" for value in results.values()):
        status = "ok"
    else:
        status = "degraded"
    return JsonResponse(
        {"status": status, "checks": results}, status=503 if status == "error" else 200
    )


@require_GET
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /downloads/",
        "Disallow: /*/cart/",
        "Disallow: /*/checkout/",
        "Disallow: /*/orders/",
        "Disallow: /*/account/",
        "Disallow: /*/reports/preview/",
        "Allow: /",
        "",
        f"Sitemap: {seo.absolute_url(reverse('sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
