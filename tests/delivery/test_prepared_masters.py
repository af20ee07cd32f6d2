"""Masters prepared once per host for stamping (storefront/delivery/prepared_masters.py).

A copy stamped from a prepared master must be the copy stamped from the master; the
kept files must follow the stored master (a replaced master is prepared again), stay
within their limit, and never make a delivery fail.
"""

import io
import logging
import os
import time
from pathlib import Path

import pikepdf
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage

from storefront.delivery import StampError, prepared_masters
from storefront.delivery.prepared_masters import (
    TEMPORARY_PREFIX,
    remove_least_recently_used,
    stamp_stored,
)
from storefront.delivery.stamping import LicenceStamp, prepare_master, stamp_licence
from storefront.delivery.models import StampedCopy
from storefront.orders.models import OrderStatus
from tests.delivery.test_delivery import master_pdf, paid_order
from tests.delivery.test_stamping import (
    ANN,
    LI_WEI,
    page_texts,
    page_words,
    render_gray,
    write_mixed_master,
)

PREPARED_LOG = "prepared master"


@pytest.fixture
def cache(settings, tmp_path) -> Path:
    settings.STAMP_CACHE_DIR = tmp_path / "prepared"
    settings.STAMP_CACHE_MAX_MB = 64
    return settings.STAMP_CACHE_DIR


@pytest.fixture
def storage(tmp_path) -> FileSystemStorage:
    return FileSystemStorage(location=tmp_path / "stored")


def kept(cache: Path) -> list[Path]:
    return sorted(cache.glob("*.pdf")) if cache.exists() else []


def stamp_bytes(storage, name, stamp) -> bytes:
    output = io.BytesIO()
    stamp_stored(storage, name, output, stamp)
    return output.getvalue()


def preparations(caplog) -> int:
    return sum(1 for r in caplog.records if r.getMessage().startswith("prepared master ")
               and "for stamping" in r.getMessage())


# --- The same copy ---------------------------------------------------------------------


@pytest.mark.parametrize("who", [ANN, LI_WEI], ids=["english", "chinese"])
def test_a_copy_from_the_prepared_master_is_the_copy_from_the_master(
    tmp_path, who, pdftotext, pdftoppm
):
    # given: a master with pages of four sizes, a rotated page, a crop box and pages
    # that inherit their media box; and the same master prepared
    master = write_mixed_master(tmp_path / "mixed.pdf")
    prepared = io.BytesIO()
    assert prepare_master(master, prepared) == 5
    stamp = LicenceStamp(**who)

    # when: a copy is stamped from each
    from_master = io.BytesIO()
    from_master_result = stamp_licence(master, from_master, stamp)
    prepared.seek(0)
    from_prepared = io.BytesIO()
    from_prepared_result = stamp_licence(prepared, from_prepared, stamp, prepared=True)

    # then: the same pages, words at the same places, the same pixels on every page
    one, other = from_master.getvalue(), from_prepared.getvalue()
    assert from_prepared_result.pages == from_master_result.pages == 6
    assert page_texts(pdftotext, other) == page_texts(pdftotext, one)
    assert page_words(pdftotext, other) == page_words(pdftotext, one)
    for page in range(1, 7):
        assert render_gray(pdftoppm, other, page) == render_gray(pdftoppm, one, page)
    # and the plan the prepared file carried is not in the copy
    with pikepdf.open(io.BytesIO(other)) as pdf:
        assert "/LicenceStampPlan" not in pdf.Root
        assert pdf.docinfo["/LicenceId"] == stamp.licence_id


def test_a_plain_master_is_refused_as_a_prepared_one(tmp_path):
    master = write_mixed_master(tmp_path / "mixed.pdf")
    output = io.BytesIO()

    with pytest.raises(StampError, match="not a master prepared for stamping"):
        stamp_licence(master, output, LicenceStamp(**ANN), prepared=True)
    assert output.getvalue() == b""


def test_a_plan_a_master_brings_is_never_used_nor_kept(tmp_path, pdftotext):
    # given: an uploaded master whose catalog already holds a "plan" pointing at a form
    # of its own (drawing text over the page)
    path = write_mixed_master(tmp_path / "mixed.pdf")
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        planted = pdf.make_stream(b"BT /F1 30 Tf 100 400 Td (PLANTED) Tj ET",
                                  Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form,
                                  BBox=pikepdf.Array([0, 0, 595, 842]))
        pdf.Root.LicenceStampPlan = pikepdf.Dictionary(
            Forms=pikepdf.Array([planted]), FirstPageSize=pikepdf.Array([595, 842]))
        pdf.save(path)

    # when: it is stamped, and prepared then stamped
    copy = io.BytesIO()
    stamp_licence(path, copy, LicenceStamp(**ANN))
    prepared = io.BytesIO()
    prepare_master(path, prepared)
    prepared.seek(0)
    from_prepared = io.BytesIO()
    stamp_licence(prepared, from_prepared, LicenceStamp(**ANN), prepared=True)

    # then: every page carries the licence, and no copy keeps the planted plan
    for data in (copy.getvalue(), from_prepared.getvalue()):
        texts = page_texts(pdftotext, data)
        assert all("L-0A1B2C3D4E5F" in text for text in texts[1:])
        with pikepdf.open(io.BytesIO(data)) as pdf:
            assert "/LicenceStampPlan" not in pdf.Root


# --- Kept once per master and host -----------------------------------------------------


def test_a_master_is_prepared_once_and_later_copies_come_from_the_kept_file(
    cache, storage, caplog, pdftotext
):
    caplog.set_level(logging.INFO, logger="storefront.delivery.prepared_masters")
    name = storage.save("masters/report.pdf", ContentFile(master_pdf(12)))

    copies = [stamp_bytes(storage, name, LicenceStamp(**ANN)) for _ in range(3)]

    assert preparations(caplog) == 1
    assert len(kept(cache)) == 1
    for copy in copies:
        texts = page_texts(pdftotext, copy)
        assert len(texts) == 13
        assert all("L-0A1B2C3D4E5F" in text for text in texts)


def test_a_master_replaced_under_the_same_name_is_prepared_again(
    cache, storage, caplog, pdftotext
):
    # given: a master stamped once (and kept)
    caplog.set_level(logging.INFO, logger="storefront.delivery.prepared_masters")
    name = storage.save("masters/report.pdf", ContentFile(master_pdf(12)))
    assert len(page_texts(pdftotext, stamp_bytes(storage, name, LicenceStamp(**ANN)))) == 13

    # when: the master is deleted and another one stored under the same name
    storage.delete(name)
    assert storage.save(name, ContentFile(master_pdf(4))) == name
    copy = stamp_bytes(storage, name, LicenceStamp(**ANN))

    # then: the new master's pages are stamped, not the kept file of the old one
    assert len(page_texts(pdftotext, copy)) == 5
    assert preparations(caplog) == 2


def test_with_keeping_off_no_file_is_kept(settings, cache, storage, pdftotext):
    settings.STAMP_CACHE_MAX_MB = 0
    name = storage.save("masters/report.pdf", ContentFile(master_pdf(3)))

    copy = stamp_bytes(storage, name, LicenceStamp(**ANN))

    assert len(page_texts(pdftotext, copy)) == 4
    assert not cache.exists()


def test_a_folder_that_cannot_be_written_means_stamping_from_the_master(
    settings, tmp_path, storage, caplog, pdftotext
):
    # given: the folder's place is taken by a file
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file")
    settings.STAMP_CACHE_DIR = blocker / "prepared"
    name = storage.save("masters/report.pdf", ContentFile(master_pdf(3)))

    copy = stamp_bytes(storage, name, LicenceStamp(**ANN))

    assert len(page_texts(pdftotext, copy)) == 4
    assert "stamping from the master" in caplog.text


def test_a_damaged_kept_file_is_removed_and_the_copy_stamped_from_the_master(
    cache, storage, caplog, pdftotext
):
    # given: a kept file damaged on disk after it was prepared
    caplog.set_level(logging.INFO, logger="storefront.delivery.prepared_masters")
    name = storage.save("masters/report.pdf", ContentFile(master_pdf(6)))
    stamp_bytes(storage, name, LicenceStamp(**ANN))
    [kept_file] = kept(cache)
    kept_file.write_bytes(kept_file.read_bytes()[:300])

    # when: the next copy is stamped
    copy = stamp_bytes(storage, name, LicenceStamp(**ANN))

    # then: the copy is whole, the damaged file gone, and the next copy prepares again
    texts = page_texts(pdftotext, copy)
    assert len(texts) == 7 and all("L-0A1B2C3D4E5F" in text for text in texts)
    assert "could not be stamped from" in caplog.text
    assert not kept_file.exists()
    stamp_bytes(storage, name, LicenceStamp(**ANN))
    assert preparations(caplog) == 2 and len(kept(cache)) == 1


def test_a_damaged_master_is_refused_and_leaves_nothing_kept(cache, storage):
    name = storage.save("masters/report.pdf", ContentFile(b"%PDF-1.7\n" + b"\x00garbage" * 200))

    with pytest.raises(StampError, match="not a readable PDF"):
        stamp_bytes(storage, name, LicenceStamp(**ANN))
    assert list(cache.iterdir()) == []  # no kept file, no temporary one


# --- Within the limit ------------------------------------------------------------------


def test_past_the_limit_the_least_recently_used_files_go(settings, cache, storage):
    # given: three masters kept, the first used again after the second
    names = [storage.save(f"masters/r{n}.pdf", ContentFile(master_pdf(40))) for n in range(3)]
    stamp_bytes(storage, names[0], LicenceStamp(**ANN))
    stamp_bytes(storage, names[1], LicenceStamp(**ANN))
    old = time.time() - 600
    for path in kept(cache):
        os.utime(path, (old, old))
    stamp_bytes(storage, names[0], LicenceStamp(**ANN))  # used again: the most recent
    size = max(path.stat().st_size for path in kept(cache))

    # when: the limit holds two files, and a third master is prepared
    settings.STAMP_CACHE_MAX_MB = 2.5 * size / (1024 * 1024)
    stamp_bytes(storage, names[2], LicenceStamp(**ANN))

    # then: the second master's file went; the first's and the new one stay
    keys = {prepared_masters.cache_key(storage, name) for name in (names[0], names[2])}
    assert {path.stem for path in kept(cache)} == keys


def test_temporary_files_of_killed_processes_are_removed_after_an_hour(cache):
    cache.mkdir(parents=True)
    abandoned = cache / f"{TEMPORARY_PREFIX}abc.pdf"
    in_progress = cache / f"{TEMPORARY_PREFIX}def.pdf"
    abandoned.write_bytes(b"half")
    in_progress.write_bytes(b"half")
    old = time.time() - 2 * 3600
    os.utime(abandoned, (old, old))

    assert remove_least_recently_used(cache) == 1
    assert not abandoned.exists() and in_progress.exists()


# --- Through a delivery ----------------------------------------------------------------


@pytest.mark.django_db
def test_two_orders_of_one_report_stamp_from_one_kept_file(cache, caplog):
    caplog.set_level(logging.INFO, logger="storefront.delivery.prepared_masters")
    from storefront.delivery.services import deliver_order

    first = paid_order()
    deliver_order(order_id=first.pk)
    report = first.lines.get().report
    second = paid_order()
    line = second.lines.get()
    line.report = report
    line.save(update_fields=["report"])
    deliver_order(order_id=second.pk)

    for order in (first, second):
        order.refresh_from_db()
        assert order.status == OrderStatus.DELIVERED
    copies = StampedCopy.objects.filter(line__order__in=[first, second])
    assert copies.count() == 2 and {copy.pages for copy in copies} == {13}
    assert preparations(caplog) == 1
    assert len(kept(cache)) == 1
