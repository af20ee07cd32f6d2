"""The licence stamp: what every page of a stamped copy says, and what it never does.

Masters are generated here with reportlab; text is read back with pdftotext (Debian
poppler-utils), the same way a buyer's viewer or a search tool would read it.
No database: stamping is a pure function of a master and a LicenceStamp.
"""

import hashlib
import html
import io
import re
import subprocess
import zlib
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pikepdf
import pytest
from django.core.files import File
from django.core.files.base import ContentFile
from reportlab.lib.pagesizes import A4, A6, letter
from reportlab.pdfgen.canvas import Canvas

from storefront.delivery import DeliveryError, StampError, fonts
from storefront.delivery.stamping import (
    LicenceStamp,
    StampFontMissing,
    StampResult,
    check_master,
    footer_text,
    stamp_licence,
    warm_up,
)

ISSUED = date(2026, 11, 24)
ANN = dict(
    licensee="Ann Lee",
    company="Acme Medical Ltd",
    licence_type="Single user licence",
    order_number="MR-261124-ABC123",
    licence_id="L-0A1B2C3D4E5F",
    issued_on=ISSUED,
)
LI_WEI = dict(
    licensee="李伟",
    company="上海医学教育咨询有限公司",
    licence_type="单用户许可",
    order_number="MR-261124-XYZ789",
    licence_id="L-9F8E7D6C5B4A",
    issued_on=ISSUED,
)
BODY_BOTTOM = 72  # the masters' body text stays above this (points from the bottom)


# --- Masters -----------------------------------------------------------------------


def _body_page(canvas: Canvas, number: int, width: float, height: float):
    canvas.setFont("Times-Roman", 11)
    y = height - 72
    while y >= BODY_BOTTOM:
        canvas.drawString(60, y, f"Body p{number} market text line at {int(y)}")
        y -= 15
    canvas.setFont("Helvetica", 8)
    canvas.drawString(60, 40, f"Publisher footer p{number}")


def write_mixed_master(path: Path) -> Path:
    """5 pages: A4, Letter (inheriting MediaBox and Resources), A4 rotated 90°,
    landscape Letter, A4 with a CropBox."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, invariant=1)
    canvas.setTitle("Continuing Medical Education Market")
    canvas.setAuthor("Meridian Research")
    sizes = [A4, letter, A4, (letter[1], letter[0]), A4]
    for number, size in enumerate(sizes, start=1):
        canvas.setPageSize(size)
        _body_page(canvas, number, *size)
        canvas.showPage()
    canvas.save()
    with pikepdf.open(io.BytesIO(buffer.getvalue())) as pdf:
        second = pdf.pages[1].obj
        pdf.Root.Pages.MediaBox = second.MediaBox
        pdf.Root.Pages.Resources = second.Resources
        del second["/MediaBox"]
        del second["/Resources"]
        pdf.pages[2].obj.Rotate = 90  # shown landscape, its text running downwards
        pdf.pages[4].obj.CropBox = pikepdf.Array([20, 10, 580, 820])
        pdf.save(path)
    return path


def write_long_master(path: Path, pages: int = 300) -> Path:
    canvas = Canvas(str(path), pagesize=letter, invariant=1, pageCompression=1)
    canvas.setTitle("Synthetic long report")
    for number in range(1, pages + 1):
        _body_page(canvas, number, *letter)
        canvas.showPage()
    canvas.save()
    return path


@pytest.fixture(scope="module")
def mixed_master(tmp_path_factory) -> Path:
    return write_mixed_master(tmp_path_factory.mktemp("masters") / "mixed.pdf")


@pytest.fixture(scope="module")
def long_master(tmp_path_factory) -> Path:
    return write_long_master(tmp_path_factory.mktemp("masters") / "long.pdf")


# --- Reading PDFs back -------------------------------------------------------------------


def page_texts(pdftotext: str, data: bytes) -> list[str]:
    """The text of each page, as pdftotext extracts it."""
    result = subprocess.run(
        [pdftotext, "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True
    )
    pages = result.stdout.decode("utf-8").split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def render_gray(pdftoppm: str, data: bytes, page: int) -> tuple[int, int, bytes]:
    """One page as shown (CropBox, /Rotate) at 72 dpi, 8-bit grey: width, height, pixels."""
    result = subprocess.run(
        [pdftoppm, "-f", str(page), "-l", str(page), "-r", "72", "-gray", "-aa", "no",
         "-aaVector", "no", "-cropbox", "-singlefile", "-"],
        input=data, capture_output=True, check=True,
    )
    header = re.match(rb"P5\s+(\d+)\s+(\d+)\s+255\s", result.stdout)
    assert header, result.stdout[:40]
    return int(header[1]), int(header[2]), result.stdout[header.end():]


def flat(text: str) -> str:
    return " ".join(text.split())


WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
)
PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)


def page_words(pdftotext: str, data: bytes):
    """Per page: (width, height, [(x0, y0, x1, y1, word)]) as shown, y from the top."""
    result = subprocess.run(
        [pdftotext, "-bbox", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True,
        check=True,
    )
    pages = []
    for width, height, body in PAGE.findall(result.stdout.decode("utf-8")):
        words = [(float(a), float(b), float(c), float(d), html.unescape(w))
                 for a, b, c, d, w in WORD.findall(body)]
        pages.append((float(width), float(height), words))
    return pages


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def stamp_to_bytes(master, stamp: LicenceStamp, **options) -> tuple[bytes, StampResult]:
    output = io.BytesIO()
    result = stamp_licence(master, output, stamp, **options)
    return output.getvalue(), result


# --- Every page carries the licence ------------------------------------------------------


def test_every_master_page_names_the_licence(mixed_master, pdftotext):
    data, result = stamp_to_bytes(mixed_master, LicenceStamp(**ANN))

    assert result == StampResult(pages=6, master_pages=5, bytes_written=len(data))
    texts = page_texts(pdftotext, data)
    assert len(texts) == 6
    for number, text in enumerate(texts[1:], start=1):
        text = flat(text)
        assert f"Body p{number} market text" in text  # the master's own content is kept
        assert "Licensed to Ann Lee, Acme Medical Ltd" in text
        for fact in ("Single user licence", "Order MR-261124-ABC123", "2026-11-24",
                     "Licence L-0A1B2C3D4E5F"):
            assert fact in text, (number, fact)
    assert footer_text(LicenceStamp(**ANN)) == (
        "Licensed to Ann Lee, Acme Medical Ltd · Single user licence · "
        "Order MR-261124-ABC123 · 2026-11-24 · Licence L-0A1B2C3D4E5F"
    )


def test_chinese_names_render_and_extract_in_an_english_stamp(mixed_master, pdftotext):
    data, result = stamp_to_bytes(mixed_master, LicenceStamp(**LI_WEI), cover_page=False)

    assert result.pages == result.master_pages == 5
    for text in page_texts(pdftotext, data):
        text = flat(text)
        assert "Licensed to 李伟, 上海医学教育咨询有限公司" in text
        assert "L-9F8E7D6C5B4A" in text and "单用户许可" in text
    with pikepdf.open(io.BytesIO(data)) as pdf:
        fonts_used = {
            str(font.get("/BaseFont"))
            for form in pdf.pages[0].Resources.XObject.values()
            for font in form.Resources.Font.values()
        }
    # Embedded (subset) TrueType with the Chinese glyphs, not a system font reference.
    assert any("WenQuanYi" in name or "+" in name for name in fonts_used), fonts_used


def test_chinese_stamp_uses_the_chinese_wording(mixed_master, pdftotext):
    stamp = LicenceStamp(**LI_WEI, language="zh-hans")
    data, result = stamp_to_bytes(mixed_master, stamp)

    texts = [flat(text) for text in page_texts(pdftotext, data)]
    assert result.pages == 6
    for text in texts[1:]:
        assert "授权给 李伟（上海医学教育咨询有限公司）" in text
        assert "单用户许可 · 订单 MR-261124-XYZ789 · 2026-11-24 · 许可编号 L-9F8E7D6C5B4A" in text
        assert "Licensed to" not in text
    cover = texts[0]
    for fact in ("授权副本", "被许可人", "李伟", "上海医学教育咨询有限公司", "许可编号",
                 "L-9F8E7D6C5B4A", "MR-261124-XYZ789", "2026年11月24日", "使用条款"):
        assert fact in cover, fact


def test_cover_page_states_the_licence_in_english(mixed_master, pdftotext):
    data, _ = stamp_to_bytes(mixed_master, LicenceStamp(**ANN))

    cover = flat(page_texts(pdftotext, data)[0])
    for fact in ("Licensed copy", "Continuing Medical Education Market", "Licensee", "Ann Lee",
                 "Acme Medical Ltd", "Single user licence", "MR-261124-ABC123",
                 "L-0A1B2C3D4E5F", "24 November 2026", "Terms of use"):
        assert fact in cover, fact
    with pikepdf.open(io.BytesIO(data)) as pdf:
        # The master's pages keep their numbers; the cover has a label of its own.
        assert [page.label for page in pdf.pages[:3]] == ["Licence", "1", "2"]
        assert pdf.pages[0].mediabox == pdf.pages[1].mediabox  # same size as page 1


def test_page_count_is_unchanged_without_cover(mixed_master):
    data, result = stamp_to_bytes(mixed_master, LicenceStamp(**ANN), cover_page=False)

    assert result == StampResult(pages=5, master_pages=5, bytes_written=len(data))
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert len(pdf.pages) == 5
        assert "/PageLabels" not in pdf.Root


def assert_stamp_in_bottom_band(pdftoppm, before: bytes, after: bytes, page: int,
                                size: tuple[int, int]):
    """Rendered before and after stamping, page `page` differs only in a band at the
    bottom of the page as shown, across the page (upright, not along a side)."""
    width, height, plain = render_gray(pdftoppm, before, page)
    # 72 dpi: one pixel per point (poppler rounds a fraction of a point up).
    assert abs(width - size[0]) <= 1 and abs(height - size[1]) <= 1, (page, width, height)
    _, _, stamped = render_gray(pdftoppm, after, page)
    changed = [(index % width, index // width)
               for index, (a, b) in enumerate(zip(plain, stamped)) if abs(a - b) > 40]
    assert changed, page
    xs = [x for x, _ in changed]
    ys = [y for _, y in changed]
    assert min(ys) >= height - 28 and max(ys) <= height - 8, (page, min(ys), max(ys))
    assert min(xs) >= 20 and max(xs) <= width - 20, (page, min(xs), max(xs))
    assert max(xs) - min(xs) > 5 * (max(ys) - min(ys)), page  # a line across
    return min(ys)


def test_footer_sits_in_the_bottom_margin_of_each_page_as_shown(mixed_master, pdftoppm):
    """Rotated, inherited, landscape and cropped pages alike; the body is left alone."""
    before = mixed_master.read_bytes()
    after, _ = stamp_to_bytes(mixed_master, LicenceStamp(**ANN), cover_page=False)
    shown = [(595, 842), (612, 792), (842, 595), (792, 612), (560, 810)]  # points

    for number, size in enumerate(shown, start=1):
        top = assert_stamp_in_bottom_band(pdftoppm, before, after, number, size)
        assert top > size[1] - BODY_BOTTOM  # below the lowest line of body text


@pytest.mark.parametrize("rotate", [0, 90, 180, 270, -90, 450])
def test_footer_is_upright_whatever_the_page_rotation(tmp_path, pdftoppm, rotate):
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=letter)
    _body_page(canvas, 1, *letter)
    canvas.showPage()
    canvas.save()
    with pikepdf.open(buffer) as pdf:
        pdf.pages[0].obj.Rotate = rotate
        pdf.pages[0].obj.MediaBox = pikepdf.Array([-30, 50, 582, 842])  # not at the origin
        master = tmp_path / "rotated.pdf"
        pdf.save(master)
    after, _ = stamp_to_bytes(master, LicenceStamp(**ANN), cover_page=False)
    size = (612, 792) if rotate % 180 == 0 else (792, 612)
    assert_stamp_in_bottom_band(pdftoppm, master.read_bytes(), after, 1, size)


def test_narrow_page_wraps_the_footer_inside_the_page(tmp_path, pdftotext):
    master = tmp_path / "a6.pdf"
    canvas = Canvas(str(master), pagesize=A6)
    _body_page(canvas, 1, *A6)
    canvas.showPage()
    canvas.save()
    stamp = LicenceStamp(**{**LI_WEI, "company": "上海医学教育咨询有限公司 " * 3})

    data, _ = stamp_to_bytes(master, stamp, cover_page=False)

    ((width, height, words),) = page_words(pdftotext, data)
    footer = [w for w in words if w[1] > height - 40]
    assert footer and all(0 <= w[0] and w[2] <= width for w in footer)
    text = "".join(page_texts(pdftotext, data)[0].split())
    assert "李伟" in text and "L-9F8E7D6C5B4A" in text


# --- The master is read, never written -------------------------------------------------


def test_master_file_is_not_modified(mixed_master):
    before = sha256(mixed_master)
    stamp_to_bytes(mixed_master, LicenceStamp(**ANN))
    with mixed_master.open("rb") as master:
        stamp_to_bytes(master, LicenceStamp(**LI_WEI, language="zh-hans"))
    assert sha256(mixed_master) == before


def test_masters_and_outputs_as_file_objects(mixed_master, pdftotext):
    """As the delivery service calls it: a storage File in, a ContentFile out."""
    output = ContentFile(b"")
    with mixed_master.open("rb") as handle:
        result = stamp_licence(File(handle, name="masters/1994249.pdf"), output,
                               LicenceStamp(**ANN))
    data = output.file.getvalue()
    assert result.bytes_written == len(data) and result.pages == 6
    assert "L-0A1B2C3D4E5F" in page_texts(pdftotext, data)[3]

    class OneWay(io.RawIOBase):  # not seekable, like a network stream
        def __init__(self, data):
            self._data = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, buffer):
            return self._data.readinto(buffer)

    data, result = stamp_to_bytes(OneWay(mixed_master.read_bytes()), LicenceStamp(**ANN))
    assert result.pages == 6


def test_metadata_carries_the_licence(mixed_master):
    data, _ = stamp_to_bytes(mixed_master, LicenceStamp(**LI_WEI, language="zh-hans"))

    with pikepdf.open(io.BytesIO(data)) as pdf:
        info = pdf.docinfo
        assert str(info["/LicenceId"]) == "L-9F8E7D6C5B4A"
        assert str(info["/Licensee"]) == "李伟"
        assert str(info["/LicenseeCompany"]) == "上海医学教育咨询有限公司"
        assert str(info["/LicenceType"]) == "单用户许可"
        assert str(info["/OrderNumber"]) == "MR-261124-XYZ789"
        assert str(info["/LicenceIssued"]) == "2026-11-24"
        assert str(info["/Title"]) == "Continuing Medical Education Market"  # kept
        assert str(info["/Author"]) == "Meridian Research"  # kept: the publisher
        assert "L-9F8E7D6C5B4A" in str(info["/Keywords"])
        assert "李伟" in str(info["/Subject"])
        meta = pdf.open_metadata()
        assert "L-9F8E7D6C5B4A" in meta["dc:rights"]
        assert "L-9F8E7D6C5B4A" in meta["pdf:Keywords"]
        assert meta["xmpRights:Marked"] == "True"


def test_long_master_shares_one_overlay(long_master, pdftotext):
    """300 pages: every page stamped through one shared Form XObject, output not bloated.
    (Speed is measured in bench/stamping.py, not asserted here.)"""
    data, result = stamp_to_bytes(long_master, LicenceStamp(**ANN))

    assert result == StampResult(pages=301, master_pages=300, bytes_written=len(data))
    texts = page_texts(pdftotext, data)
    assert len(texts) == 301
    for number in (1, 150, 300):
        assert f"Body p{number} " in texts[number]
        assert "Licence L-0A1B2C3D4E5F" in flat(texts[number])
    with pikepdf.open(io.BytesIO(data)) as pdf:
        stamps = {
            page.Resources.XObject[name].objgen
            for page in pdf.pages[1:]
            for name in page.Resources.XObject.keys()
            if name.startswith("/LicenceStamp")
        }
        assert len(stamps) == 1
    assert len(data) < long_master.stat().st_size + 40_000


def test_compressed_master_streams_are_copied_as_they_are(long_master, tmp_path, pdftotext):
    """A master whose pages are deflated under a one-filter array, `/Filter [/FlateDecode]`
    (as reportlab writes it without ASCII85, like the demo masters): the copy keeps each
    page's compressed bytes as they were, never inflated and deflated again (here they
    were deflated at level 1, which qpdf would not reproduce), and the pages read the same."""
    master = tmp_path / "flate-array-master.pdf"
    with pikepdf.open(long_master) as pdf:
        for page in pdf.pages[:40]:
            contents = page.obj.Contents
            contents.write(zlib.compress(contents.read_bytes(), 1), filter=pikepdf.Name.FlateDecode)
            contents.Filter = pikepdf.Array([pikepdf.Name.FlateDecode])  # write() names it bare
        del pdf.pages[40:]
        pdf.save(master, compress_streams=False, stream_decode_level=pikepdf.StreamDecodeLevel.none)
    with pikepdf.open(master) as pdf:
        assert all(page.obj.Contents.Filter == pikepdf.Array([pikepdf.Name.FlateDecode])
                   for page in pdf.pages)
        before = [page.obj.Contents.read_raw_bytes() for page in pdf.pages]

    data, _ = stamp_to_bytes(master, LicenceStamp(**ANN))

    with pikepdf.open(io.BytesIO(data)) as pdf:
        for page, raw in zip(pdf.pages[1:], before, strict=True):
            master_stream = page.obj.Contents[1]  # between the stamp's "q" and its drawing
            assert master_stream.Filter == pikepdf.Name.FlateDecode
            assert master_stream.read_raw_bytes() == raw
    texts = page_texts(pdftotext, data)
    assert "Body p40 " in texts[40]
    assert "Licence L-0A1B2C3D4E5F" in flat(texts[40])


def test_concurrent_stamps_do_not_mix(mixed_master, pdftotext):
    people = [("Ann Lee", "en"), ("李伟", "zh-hans"), ("Bob Stone", "en"), ("王芳", "zh-hans")] * 2

    def stamp(index):
        name, language = people[index]
        licence_id = f"L-THREAD{index:04d}"
        stamp = LicenceStamp(**{**LI_WEI, "licensee": name, "licence_id": licence_id},
                             language=language)
        data, _ = stamp_to_bytes(mixed_master, stamp)
        return name, licence_id, data

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(stamp, range(len(people))))
    for name, licence_id, data in results:
        text = "".join(page_texts(pdftotext, data))
        assert text.count(licence_id) >= 6 and name in text
        others = {other for other, _, _ in results if other != name}
        assert not any(other in text for other in others)


# --- Fonts --------------------------------------------------------------------------------


@pytest.fixture
def no_cjk_font(tmp_path, monkeypatch, settings):
    """The font search sees only an empty directory."""
    empty = tmp_path / "fonts"
    empty.mkdir()
    monkeypatch.setattr(fonts, "FONT_DIRS", (empty,))
    monkeypatch.delenv("LICENCE_STAMP_FONT", raising=False)
    settings.LICENCE_STAMP_FONT = ""
    fonts.reset()
    yield empty
    fonts.reset()


def test_warm_up_registers_the_cjk_font_before_any_stamp():
    """A worker warms up before its pool forks: the font is found and parsed then, so
    no pool process pays for it on its first delivery."""
    fonts.reset()
    try:
        warm_up()
        assert fonts._registered is not None
        assert fonts._registered.name == fonts.CJK_FONT_NAME
    finally:
        fonts.reset()


def test_warm_up_without_a_cjk_font_warns_and_leaves_the_error_to_chinese_stamps(
    mixed_master, no_cjk_font, caplog
):
    warm_up()  # does not raise: Latin stamps work without the font

    assert fonts._registered is None
    assert any("stamp warm-up" in record.getMessage() and record.levelname == "WARNING"
               for record in caplog.records)
    english, _ = stamp_to_bytes(mixed_master, LicenceStamp(**ANN))
    assert english.startswith(b"%PDF")
    with pytest.raises(StampFontMissing):
        stamp_to_bytes(mixed_master, LicenceStamp(**LI_WEI))


def test_missing_font_is_a_clear_error(mixed_master, no_cjk_font):
    output = io.BytesIO()
    with pytest.raises(StampFontMissing) as error:
        stamp_licence(mixed_master, output, LicenceStamp(**LI_WEI))
    assert "fonts-wqy-zenhei" in str(error.value)
    assert str(no_cjk_font) in str(error.value)
    assert isinstance(error.value, StampError) and isinstance(error.value, DeliveryError)
    assert output.getvalue() == b""
    # Chinese fixed wording needs the font too, even for a Latin name.
    with pytest.raises(StampFontMissing):
        stamp_licence(mixed_master, output, LicenceStamp(**ANN, language="zh-hans"))
    # A Latin-only stamp needs no CJK font (Helvetica).
    _, result = stamp_to_bytes(mixed_master, LicenceStamp(**ANN))
    assert result.pages == 6


def test_configured_font_that_cannot_show_chinese_is_refused(mixed_master, tmp_path, settings):
    not_a_font = tmp_path / "broken.ttf"
    not_a_font.write_bytes(b"\x00\x01\x00\x00 not really a font")
    settings.LICENCE_STAMP_FONT = str(not_a_font)
    fonts.reset()
    try:
        with pytest.raises(StampFontMissing, match="cannot be embedded"):
            stamp_licence(mixed_master, io.BytesIO(), LicenceStamp(**LI_WEI))
        settings.LICENCE_STAMP_FONT = str(tmp_path / "missing.ttf")
        fonts.reset()
        with pytest.raises(StampFontMissing, match="not a file"):
            stamp_licence(mixed_master, io.BytesIO(), LicenceStamp(**LI_WEI))
    finally:
        settings.LICENCE_STAMP_FONT = ""
        fonts.reset()


# --- Bad input ----------------------------------------------------------------------------


def _truncated(path: Path) -> bytes:
    data = path.read_bytes()
    return data[: len(data) // 2]


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"PK\x03\x04 a zip file, not a PDF", id="not-a-pdf"),
        pytest.param(b"%PDF-1.7\n" + b"garbage " * 200, id="pdf-header-garbage"),
        pytest.param(None, id="truncated"),
    ],
)
def test_unreadable_master_raises_and_writes_nothing(mixed_master, tmp_path, content):
    master = tmp_path / "master.pdf"
    master.write_bytes(_truncated(mixed_master) if content is None else content)
    output = io.BytesIO()

    with pytest.raises(StampError, match="not a readable PDF|damaged") as error:
        stamp_licence(master, output, LicenceStamp(**ANN))

    assert isinstance(error.value, DeliveryError)
    assert str(master) in str(error.value)
    assert output.getvalue() == b""
    with pytest.raises(StampError):
        check_master(master)


def test_damaged_object_inside_master_is_refused(long_master, tmp_path):
    """qpdf only warns about a damaged object and writes it empty: we refuse."""
    data = long_master.read_bytes()
    at = data.index(b" 0 obj", len(data) // 2) - 3
    damaged = tmp_path / "damaged.pdf"
    damaged.write_bytes(data[:at] + b"XXXXXXXXXXXX" + data[at + 12:])
    output = io.BytesIO()

    with pytest.raises(StampError, match="damaged"):
        stamp_licence(damaged, output, LicenceStamp(**ANN))
    assert output.getvalue() == b""
    assert check_master(long_master) == 300


def test_a_refused_stamp_into_a_file_cuts_the_file_back(long_master, tmp_path):
    """A real file is written to directly (no copy in memory), so a stamp refused after
    qpdf wrote its output must take that output out again."""
    data = long_master.read_bytes()
    at = data.index(b" 0 obj", len(data) // 2) - 3
    damaged = tmp_path / "damaged.pdf"
    damaged.write_bytes(data[:at] + b"XXXXXXXXXXXX" + data[at + 12:])

    with open(tmp_path / "copy.pdf", "w+b") as output:
        output.write(b"kept")
        with pytest.raises(StampError, match="damaged"):
            stamp_licence(damaged, output, LicenceStamp(**ANN))
        assert output.tell() == 4
    assert (tmp_path / "copy.pdf").read_bytes() == b"kept"


def test_a_stamp_into_a_file_writes_it_in_place(long_master, tmp_path):
    with open(tmp_path / "copy.pdf", "w+b") as output:
        output.write(b"kept")
        result = stamp_licence(long_master, output, LicenceStamp(**ANN))
        assert output.tell() == 4 + result.bytes_written
    written = (tmp_path / "copy.pdf").read_bytes()
    assert written.startswith(b"kept%PDF-")
    with pikepdf.Pdf.open(io.BytesIO(written[4:])) as pdf:
        assert len(pdf.pages) == result.pages == 301


def test_missing_master_path(tmp_path):
    with pytest.raises(StampError, match="does not exist"):
        stamp_licence(tmp_path / "nowhere.pdf", io.BytesIO(), LicenceStamp(**ANN))


def test_stamp_values_are_checked_and_normalised():
    stamp = LicenceStamp(**{**ANN, "licensee": "  Ann\n Lee ", "company": ""}, language="zh-Hans")
    assert stamp.licensee == "Ann Lee" and stamp.language == "zh-hans"
    assert footer_text(stamp).startswith("授权给 Ann Lee · Single user licence")
    with pytest.raises(StampError, match="licensee"):
        LicenceStamp(**{**ANN, "licensee": " "})
    with pytest.raises(StampError, match="language"):
        LicenceStamp(**ANN, language="fr")
    with pytest.raises(StampError, match="date"):
        LicenceStamp(**{**ANN, "issued_on": "2026-11-24"})
