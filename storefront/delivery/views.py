from urllib.parse import quote

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import override
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from reports.storage import attachment_disposition, presigned_download_url
from storefront import throttle
from storefront.delivery import services
from storefront.delivery.models import DownloadGrant


def _attachment_name(grant: DownloadGrant) -> str:
    line = grant.copy.order_line
    return f"{line.product_code} {line.title}"[:150].strip() + ".pdf"


@never_cache
@require_GET
def download(request, token):
    """A stamped PDF while its link is valid; otherwise a page that says why, and what next."""
    decision = services.claim_download(
        token=token,
        ip_address=throttle.client_ip(request),
        user_agent=request.headers.get("User-Agent", ""),
    )
    if decision.status == 404:
        raise Http404(_("This download link does not exist."))
    grant = decision.grant
    if decision.status != 200:
        return _unavailable(request, grant, decision.status)
    copy = grant.copy
    filename = _attachment_name(grant)
    bucket_url = presigned_download_url(
        copy.file.storage, copy.file.name, filename=filename, content_type="application/pdf"
    )
    if bucket_url is not None:
        # A bucket: the grant is counted above; the buyer fetches the file from the
        # bucket with a short-lived signed URL, no web worker busy for the transfer.
        response = HttpResponseRedirect(bucket_url)
    elif settings.DOWNLOADS_X_ACCEL_REDIRECT_PREFIX:
        # nginx sends the file from its internal location; Django only authorises.
        response = HttpResponse(content_type="application/pdf")
        response["X-Accel-Redirect"] = settings.DOWNLOADS_X_ACCEL_REDIRECT_PREFIX + quote(copy.file.name)
        response["Content-Disposition"] = attachment_disposition(filename)
    else:
        response = FileResponse(
            copy.file.open("rb"), as_attachment=True, filename=filename, content_type="application/pdf"
        )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _unavailable(request, grant: DownloadGrant, status: int):
    order = grant.copy.order
    with override(order.language):
        return render(
            request,
            "delivery/download_unavailable.html",
            {
                "grant": grant,
                "order": order,
                "status": status,
                "renewable": status == 410 and not grant.is_revoked and not order.access_has_ended,
            },
            status=status,
        )


@never_cache
@require_POST
def renew(request, token):
    """An expired link: fresh links go to the order's own address (never elsewhere).

    The request is saved and mailed by a task, so the page never waits on SMTP.
    """
    grant = (
        DownloadGrant.objects.select_related("copy__line__order", "copy__seat__order")
        .filter(token=token)
        .first()
    )
    if grant is None or grant.is_revoked or not grant.is_expired:
        raise Http404(_("This link cannot be renewed."))
    order = grant.copy.order
    if grant.copy.seat_id:
        # A seat holder's link: a fresh one goes to the seat's holder, not the buyer.
        try:
            services.renew_seat_link(seat_id=grant.copy.seat_id)
        except services.AccessEnded:
            return _unavailable(request, grant, 410)
        with override(order.language):
            context = {"order": order, "seat": grant.copy.seat}
            return render(request, "delivery/link_renewed.html", context)
    if not DownloadGrant.objects.usable().filter(copy=grant.copy).exists():
        try:
            services.request_fresh_links(order_id=order.pk, reason="buyer asked, link expired")
        except services.AccessEnded:
            return _unavailable(request, grant, 410)
    with override(order.language):
        return render(request, "delivery/link_renewed.html", {"order": order})
