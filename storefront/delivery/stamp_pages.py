"""The stamp's place on every page of a master: each page draws one shared form.

    plan = prepare_pages(pdf)      # every page wrapped; one empty form per page size
    fill_forms(pdf, overlay, plan) # the forms get the licence's footer (stamp_overlay.py)

`prepare_pages` is the same for every copy of a master, so it can be done once and
saved (stamping.prepare_master, with the plan recorded in the file by `record_plan`);
a copy is then stamped from the prepared file by filling the forms (`read_plan`,
`fill_forms`): a copy of the 196-page demo master then takes 10 ms instead of 16
(bench/stamping.py, bench/README.md).

Each page gets two small content streams, themselves shared: "q" before its content
and "Q q <placement> cm /Artifact ... BDC /LicenceStampN Do EMC Q" after it. The
master's own content streams are never decoded or rewritten. The placement maps the
upright overlay onto the page's visible area (CropBox within MediaBox), honouring
/Rotate.
"""

from __future__ import annotations

from dataclasses import dataclass

import pikepdf
from pikepdf import Array, Dictionary, Name, Pdf

# Where a prepared master records its plan (removed from every stamped copy).
PLAN_KEY = Name("/LicenceStampPlan")


# --- Page geometry -------------------------------------------------------------------

LETTER = (0.0, 0.0, 612.0, 792.0)


def _box(value) -> tuple[float, float, float, float] | None:
    if value is None:
        return None
    try:
        rectangle = pikepdf.Rectangle(value)  # fast path: an array of four numbers
        x0, y0, x1, y1 = rectangle.llx, rectangle.lly, rectangle.urx, rectangle.ury
    except (TypeError, ValueError, pikepdf.PdfError):
        try:
            x0, y0, x1, y1 = (float(v) for v in value)
        except (TypeError, ValueError, pikepdf.PdfError):
            return None
    box = (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
    return box if box[2] - box[0] > 1 and box[3] - box[1] > 1 else None


def _visible_box(page_dict) -> tuple[float, float, float, float]:
    """CropBox within MediaBox (as viewers show the page), in default user space."""
    media = _box(page_dict.get(Name.MediaBox)) or LETTER
    crop = _box(page_dict.get(Name.CropBox))
    if crop is None:
        return media
    x0, y0 = max(media[0], crop[0]), max(media[1], crop[1])
    x1, y1 = min(media[2], crop[2]), min(media[3], crop[3])
    return (x0, y0, x1, y1) if x1 - x0 > 1 and y1 - y0 > 1 else media


def _rotation(page_dict) -> int:
    try:
        angle = int(page_dict.get(Name.Rotate, 0))
    except (TypeError, ValueError):
        return 0
    return (round(angle / 90) * 90) % 360


@dataclass(frozen=True)
class _Placement:
    size: tuple[float, float]  # width and height of the page as shown
    matrix: tuple[float, ...]  # overlay space (as shown) -> the page's user space


def _placement(page_dict) -> _Placement:
    x0, y0, x1, y1 = _visible_box(page_dict)
    width, height = x1 - x0, y1 - y0
    rotation = _rotation(page_dict)
    # /Rotate turns the page clockwise for display; map the upright overlay back.
    if rotation == 90:
        return _Placement((height, width), (0, 1, -1, 0, x1, y0))
    if rotation == 180:
        return _Placement((width, height), (-1, 0, 0, -1, x1, y1))
    if rotation == 270:
        return _Placement((height, width), (0, -1, 1, 0, x0, y1))
    return _Placement((width, height), (1, 0, 0, 1, x0, y0))


def _size_key(size: tuple[float, float]) -> tuple[float, float]:
    return (round(size[0], 2), round(size[1], 2))


def _number(value: float) -> str:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


# --- Reading and writing PDFs (pikepdf) ----------------------------------------------


def _unused_names(pages, count: int) -> list[Name]:
    used = set()
    for page in pages:
        resources = page.obj.get(Name.Resources)
        if isinstance(resources, Dictionary):
            xobjects = resources.get(Name.XObject)
            if isinstance(xobjects, Dictionary):
                used.update(str(key) for key in xobjects.keys())
    names, number = [], 0
    while len(names) < count:
        candidate = f"/LicenceStamp{number}"
        number += 1
        if candidate not in used:
            names.append(Name(candidate))
    return names


_ARTIFACT = b"/Artifact <</Type /Pagination /Subtype /Footer>> BDC"


def _single_filters_as_names(pdf: Pdf) -> int:
    """Write each stream's one-filter array (``/Filter [/FlateDecode]``, as reportlab and
    other producers write it) as the bare name, which means the same (ISO 32000 7.3.8.2).

    qpdf copies a Flate stream as it is only when its /Filter is the name; with the
    one-element array, ``compress_streams`` makes it inflate and deflate every such
    stream again: 30 of the 40 ms of CPU that saving a copy of the 196-page demo master
    took (bench/README.md, "Delivery burst"). The output is the same size. Only the
    stream dictionaries change, never their data. Returns how many were rewritten.
    """
    rewritten = 0
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Stream):
            continue
        stream_dict = obj.stream_dict
        filters = stream_dict.get(Name.Filter)
        if not isinstance(filters, Array) or len(filters) != 1:
            continue
        parameters = stream_dict.get(Name.DecodeParms)
        if parameters is not None and not (isinstance(parameters, Array) and len(parameters) == 1):
            continue  # malformed or unusual: left as it is
        stream_dict[Name.Filter] = filters[0]
        if parameters is not None:
            if parameters[0] is None:
                del stream_dict[Name.DecodeParms]
            else:
                stream_dict[Name.DecodeParms] = parameters[0]
        rewritten += 1
    return rewritten



@dataclass
class PagePlan:
    """What a stamp fills in: one form per distinct page size (in the order of ``sizes``),
    drawn by every page of that size, and the size of the first page (the cover's)."""

    forms: list[pikepdf.Stream]
    sizes: list[tuple[float, float]]
    first_page_size: tuple[float, float]


def prepare_pages(pdf: Pdf) -> PagePlan:
    """Make every page of ``pdf`` draw, after its own content, an (empty) stamp form
    shared by all pages of its size; returns the plan to fill them with.

    Also writes one-filter arrays as names (see _single_filters_as_names). Raises
    pikepdf's errors for unreadable pages and ValueError for a document without any.
    """
    placements = [_placement(page.obj) for page in pdf.pages]
    if not placements:
        raise ValueError("the document has no pages")
    size_index: dict[tuple[float, float], int] = {}
    sizes: list[tuple[float, float]] = []
    for placement in placements:
        key = _size_key(placement.size)
        if key not in size_index:
            size_index[key] = len(sizes)
            sizes.append(placement.size)
    forms = [
        pdf.make_stream(b"", Type=Name.XObject, Subtype=Name.Form,
                        BBox=Array([0, 0, width, height]))
        for width, height in sizes
    ]
    names = _unused_names(pdf.pages, len(forms))
    save_state = pdf.make_stream(b"q\n")
    draw_streams: dict[tuple, pikepdf.Stream] = {}
    for page, placement in zip(pdf.pages, placements):
        index = size_index[_size_key(placement.size)]
        key = (index, placement.matrix)
        stream = draw_streams.get(key)
        if stream is None:
            matrix = " ".join(_number(value) for value in placement.matrix).encode()
            stream = pdf.make_stream(
                b"\nQ\nq " + matrix + b" cm " + _ARTIFACT + b" " + bytes(names[index])
                + b" Do EMC Q\n"
            )
            draw_streams[key] = stream
        resources = page.obj.get(Name.Resources)
        if not isinstance(resources, Dictionary):
            resources = page.obj.Resources = Dictionary()
        xobjects = resources.get(Name.XObject)
        if not isinstance(xobjects, Dictionary):
            xobjects = resources.XObject = Dictionary()
        xobjects[names[index]] = forms[index]
        page.contents_add(save_state, prepend=True)
        page.contents_add(stream)
    _single_filters_as_names(pdf)
    return PagePlan(forms=forms, sizes=sizes, first_page_size=placements[0].size)


def record_plan(pdf: Pdf, plan: PagePlan) -> None:
    """Keep the plan in the prepared file (its catalog), for read_plan."""
    pdf.Root[PLAN_KEY] = Dictionary(
        Forms=Array(plan.forms), FirstPageSize=Array(list(plan.first_page_size))
    )


def read_plan(pdf: Pdf) -> PagePlan | None:
    """The plan a prepared file recorded, taken out of it; None when it has none."""
    recorded = pdf.Root.get(PLAN_KEY)
    if not isinstance(recorded, Dictionary):
        return None
    del pdf.Root[PLAN_KEY]
    try:
        forms = list(recorded.Forms)
        sizes = [(float(form.BBox[2]), float(form.BBox[3])) for form in forms]
        first = recorded.FirstPageSize
        first_page_size = (float(first[0]), float(first[1]))
    except (AttributeError, IndexError, TypeError, ValueError, pikepdf.PdfError):
        return None
    if not forms or not all(isinstance(form, pikepdf.Stream) for form in forms):
        return None
    return PagePlan(forms=forms, sizes=sizes, first_page_size=first_page_size)


def fill_forms(pdf: Pdf, overlay: Pdf, plan: PagePlan) -> None:
    """Give each form of ``plan`` the drawing of the overlay's page of the same index
    (one overlay page per size, in the plan's order)."""
    _single_filters_as_names(overlay)  # a few small objects; see the function
    for index, form in enumerate(plan.forms):
        drawing = pdf.copy_foreign(overlay.pages[index].as_form_xobject())
        form.write(
            drawing.read_raw_bytes(),
            filter=drawing.get(Name.Filter),
            decode_parms=drawing.get(Name.DecodeParms),
        )
        for key in (Name.Resources, Name.BBox, Name.Matrix):
            if key in drawing:
                form[key] = drawing[key]
