from urllib.parse import urlsplit

from anymail.webhooks.mailgun import MailgunInboundWebhookView
from django.conf import settings
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from reports.models import Report
from reports.selectors import translations_of
from reports.storage import presigned_download_url
from storefront import throttle
from storefront.inquiries import services
from storefront.inquiries.forms import HONEYPOT_FIELD, InquiryForm
from storefront.inquiries.models import Inquiry, InquiryKind


# The catalogue's search box takes 200 characters.
SEARCH_PRESET_LENGTH = 200
CONTACT_RATE_LIMIT = throttle.RateLimit(name="inquiries", setting_prefix="INQUIRY_RATE_LIMIT")


def _published_report(product_code: str) -> Report | None:
    """The report an inquiry is about, with the translations the page shows (two queries)."""
    product_code = (product_code or "").strip()[:32]
    if not product_code:
        return None
    return (
        Report.objects.published()
        .filter(product_code=product_code)
        .prefetch_related(translations_of(Report))
        .first()
    )


def _source_page(request, report: Report | None) -> str:
    """The page the buyer came from, as a path on this site."""
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        parts = urlsplit(referer)
        return (parts.path + (f"?{parts.query}" if parts.query else ""))[:500]
    return report.get_absolute_url() if report is not None else ""


@require_http_methods(["GET", "POST"])
def contact(request):
    """The contact form; ?report=<product code>&kind=<kind> preset it from a report page,
    ?search=<words> from a search without results."""
    if request.method == "GET":
        report = _published_report(request.GET.get("report", ""))
        kind = request.GET.get("kind", "")
        initial = {
            "kind": kind if kind in InquiryKind.values else InquiryKind.GENERAL,
            "report": report.product_code if report else "",
            "source": _source_page(request, report),
        }
        # From a search that found nothing ("Ask an analyst"): the buyer's words preset.
        searched = " ".join(request.GET.get("search", "").split())[:SEARCH_PRESET_LENGTH]
        if searched:
            initial["message"] = _(
                "I searched the catalogue for “%(search)s” and found nothing that fits. "
                "Do you have, or could you prepare, a report on this?"
            ) % {"search": searched}
        form = InquiryForm(initial=initial)
        return _form_page(request, form, report)

    report = _published_report(request.POST.get("report", ""))
    if HONEYPOT_FIELD in request.POST and request.POST[HONEYPOT_FIELD].strip():
        # A bot (or a browser's autofill) filled the hidden field: nothing is saved.
        # A 400 with the form kept, so a person who tripped it can still send.
        data = request.POST.copy()
        data[HONEYPOT_FIELD] = ""
        form = InquiryForm(data)
        form.full_clean()
        form.add_error(
            None,
            _("Your message was not sent. Please check the form and send it again."),
        )
        return _form_page(request, form, report, status=400)

    form = InquiryForm(request.POST)
    if not form.is_valid():
        return _form_page(request, form, report, status=400)
    data = form.cleaned_data
    if not throttle.allow(
        CONTACT_RATE_LIMIT, ip_address=throttle.client_ip(request), email=data["email"]
    ):
        return render(request, "inquiries/rate_limited.html", status=429)
    inquiry = services.submit_inquiry(
        contact=services.Contact(
            name=data["name"],
            email=data["email"],
            company=data["company"],
            job_title=data["job_title"],
            country=data["country"],
            phone=data["phone"],
        ),
        kind=data["kind"],
        message=data["message"],
        report=report,
        language=get_language(),
        source_page=data["source"],
        ip_address=throttle.client_ip(request),
    )
    # Redirect after POST to the page keyed by the inquiry's unguessable token.
    return redirect(inquiry)


def _form_page(request, form, report, status=200):
    context = {
        "form": form,
        "report": report,
        "report_title": (
            report.safe_translation_getter("title", any_language=True) if report else ""
        ),
    }
    return render(request, "inquiries/contact.html", context, status=status)


@never_cache
@require_GET
def thanks(request, token):
    inquiry = Inquiry.objects.filter(public_token=token).first()
    if inquiry is None:
        raise Http404(_("There is no inquiry at this address."))
    return render(request, "inquiries/thanks.html", {"inquiry": inquiry})


@never_cache
@require_GET
def sample(request, token):
    """A report's sample PDF (never the master) while its signed link is valid."""
    try:
        report = services.report_for_sample_token(token)
    except services.SampleLinkExpired:
        return render(request, "inquiries/sample_expired.html", status=410)
    if report is None:
        raise Http404(_("This sample link does not exist."))
    filename = f"{report.product_code}-sample.pdf"
    bucket_url = presigned_download_url(
        report.sample_pdf.storage, report.sample_pdf.name,
        filename=filename, content_type="application/pdf",
    )
    if bucket_url is not None:
        # In a bucket: a short-lived signed URL, the file never passes through Django.
        response = HttpResponseRedirect(bucket_url)
    else:
        response = FileResponse(
            report.sample_pdf.open("rb"),
            as_attachment=True,
            filename=filename,
            content_type="application/pdf",
        )
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


# Mailgun posts buyers' e-mail answers here; django-anymail checks its signature and
# sends the ``inbound`` signal, which storefront.inquiries.conversation files.
_mailgun_inbound = MailgunInboundWebhookView.as_view()


@csrf_exempt
def inbound_mailgun(request):
    if not settings.ANYMAIL.get("MAILGUN_WEBHOOK_SIGNING_KEY"):
        raise Http404("Inbound mail is not configured.")
    return _mailgun_inbound(request)
