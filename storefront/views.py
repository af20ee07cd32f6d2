import logging

from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from reports import page_cache, pricing, selectors, seo
from storefront import health

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
    newest = selectors.newest_reports(HOME_NEWEST_REPORTS)
    context = {
        "categories": selectors.category_tree(),
        "newest_reports": newest,
        "card_prices": selectors.CardPrices(newest, pricing.active_currency()),
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


@never_cache
@require_GET
def healthz(request):
    """Health for load balancers and monitoring: 503 when the database fails, else 200.

    Redis (broker and cache) and the private storage are checked and reported, but
    their failure only makes the status "degraded": the shop still serves every page
    from the database and leaves queued work to the sweeps, so a load balancer must
    not take it out. Each check's time is reported in milliseconds.
    """
    results = {name: health.timed(check) for name, check in health.health_checks().items()}
    if not results["database"].ok:
        status = "error"
    elif all(result.ok for result in results.values()):
        status = "ok"
    else:
        status = "degraded"
    return JsonResponse(
        {
            "status": status,
            "checks": {name: "ok" if result.ok else "error" for name, result in results.items()},
            "latency_ms": {name: result.milliseconds for name, result in results.items()},
        },
        status=503 if status == "error" else 200,
    )


@never_cache
@require_GET
def readyz(request):
    """Readiness for load balancers: 200 only while the database answers and has every
    migration of this code applied (a host started before `migrate` ran gets no buyer).
    Redis and the storage are left to /healthz: without them the shop still serves."""
    database = health.timed(health.check_database)
    checks = {"database": "ok" if database.ok else "error"}
    if database.ok:
        try:
            unapplied = health.unapplied_migrations()
        except Exception as error:  # reported as not ready, never a 500
            logger.warning("readiness: migrations cannot be read: %s", error)
            checks["migrations"] = "error"
        else:
            checks["migrations"] = "ok" if not unapplied else f"{len(unapplied)} unapplied"
    ready = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status=200 if ready else 503,
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
