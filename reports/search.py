"""Catalogue search reads beyond the matching itself: a count capped at SEARCH_COUNT_CAP
with pagination that says so, a product code that names one report, and "did you
mean" from the vocabulary of published titles (reports/vocabulary.py)."""

import difflib
import re
from functools import cached_property

from django.core.paginator import Paginator
from django.db import connection
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL
from django.urls import reverse

from reports import cards, catalogue_memo, search_index, selectors
from reports.models import Report, SearchWord, SearchWordScript

# Past this many matches a search shows "1,000+" and pages through the first 1,000:
# counting every match of a word found in most reports costs more than the page.
SEARCH_COUNT_CAP = 1000

_PRODUCT_CODE = re.compile(r"^(?=.*[0-9])[a-z0-9-]{4,32}$")
_LATIN_WORD = re.compile(r"^[a-z]+$")
_CJK_WORD = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff]+$")
# How alike a word and a suggestion must be: pg_trgm's default similarity threshold
# on PostgreSQL; difflib's ratio elsewhere.
SQLITE_SIMILARITY = 0.75


class SearchPaginator(Paginator):
    """Pages of a search, counting matches only up to ``cap`` + 1.

    ``count`` is at most ``cap``; ``capped`` says whether more reports match, and then
    the pages cover the first ``cap`` of them in display order. A common word's page
    is read by walking the display order (see selectors.search_reports).

    On PostgreSQL a search nobody made before in this catalogue version reads its
    count and its page in one query that finds the matches once (_count_with_page).
    """

    def __init__(self, query: selectors.CatalogueQuery, per_page: int, cap: int | None = None):
        self.query = query
        self.cap = SEARCH_COUNT_CAP if cap is None else cap
        super().__init__(self._rows(), per_page)
        self._wanted_page: int | None = None
        self._rows_read_with_count: dict[int, list[dict]] = {}

    @cached_property
    def matches(self) -> int:
        """Matching reports, counted up to cap + 1 (one query, LIMIT in a subquery), and
        kept per catalogue version: the same search again costs no count."""
        key = ("search-count", self.query.q, self.query.category_ids, self.query.publisher_id)
        return catalogue_memo.memoised(key, self._read_matches)

    def _read_matches(self) -> int:
        if self._wanted_page is not None and search_index.has_search_grams():
            matches, rows = _count_with_page(
                self.query, cap=self.cap, per_page=self.per_page, number=self._wanted_page
            )
            if matches <= self.cap:
                self._rows_read_with_count[self._wanted_page] = rows
            return matches
        return self.object_list.order_by().values("pk")[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        return self.matches > self.cap

    @cached_property
    def count(self) -> int:
        return min(self.matches, self.cap)

    def page(self, number):
        if "matches" not in self.__dict__:
            try:  # the page to read with the count; validate_number() judges it
                self._wanted_page = max(1, int(number))
            except (TypeError, ValueError):
                self._wanted_page = 1
        number = self.validate_number(number)
        rows = self._rows_read_with_count.get(number)
        if rows is not None:
            return self._get_page(rows, number, self)
        if self.capped:
            self.object_list = self._rows(in_display_order=True)
        return super().page(number)

    def _rows(self, *, in_display_order: bool = False):
        """The card rows of the search (in display order: a common word's page)."""
        return cards.as_rows(selectors.search_reports(self.query, in_display_order=in_display_order))


def _count_with_page(query: selectors.CatalogueQuery, *, cap: int, per_page: int, number: int):
    """(matches up to cap + 1, the card rows of page ``number``) in one query (PostgreSQL).

    The matches are found once (at most cap + 1 of them, with their sort keys), counted,
    and when there are no more than cap, sorted in display order for the page; past
    the cap no page is read here (the caller walks the display order instead).
    """
    matching = (
        selectors.search_reports(query)
        .order_by()
        .values("id", "published_on", "price_from")[: cap + 1]
    )
    matching_sql, matching_params = matching.query.sql_with_params()
    sort = selectors.SORTS.get(query.sort, selectors.SORTS[selectors.DEFAULT_SORT])

    def order(table: str) -> str:  # the sort as Django writes it (NULLs as PostgreSQL puts them)
        return ", ".join(
            f'{table}."{field.lstrip("-")}" {"DESC" if field.startswith("-") else "ASC"}'
            for field in sort
        )

    # The page's card rows, as cards.as_rows() reads them, for the ids chosen above.
    rows = cards.as_rows(
        Report.objects.filter(
            RawSQL(f'"{Report._meta.db_table}"."id" IN (SELECT id FROM page_ids)', (),
                   output_field=BooleanField())
        )
    ).order_by()
    rows_sql, rows_params = rows.query.sql_with_params()
    sql = (
        f"WITH matching AS MATERIALIZED ({matching_sql}), "
        "counted AS (SELECT count(*) AS matches FROM matching), "
        "page_ids AS (SELECT matching.id FROM matching, counted WHERE counted.matches <= %s "
        f"ORDER BY {order('matching')} LIMIT %s OFFSET %s) "
        f"SELECT counted.matches, page.* FROM counted LEFT JOIN ({rows_sql}) page ON true "
        f"ORDER BY {order('page')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [*matching_params, cap, per_page, (number - 1) * per_page, *rows_params],
        )
        result = cursor.fetchall()
    matches = result[0][0]
    fields = cards.ROW_FIELDS
    return matches, [dict(zip(fields, row[1:])) for row in result if row[1] is not None]


def report_url_for_code(q: str) -> str | None:
    """The page of the published report whose product code the search text is."""
    if not _PRODUCT_CODE.match(q):
        return None
    # Codes are stored as editors typed them; the search text is lower case. Exact
    # matches keep the unique index in use.
    found = (
        Report.objects.published()
        .filter(product_code__in={q, q.upper()})
        .values_list("product_code", "slug")
        .first()
    )
    if found is None:
        return None
    product_code, slug = found
    return reverse("reports:detail", kwargs={"product_code": product_code, "slug": slug})


def _script_of(word: str) -> str | None:
    if _LATIN_WORD.match(word):
        return SearchWordScript.LATIN
    if _CJK_WORD.match(word):
        return SearchWordScript.CJK
    return None


def did_you_mean(q: str) -> str | None:
    """The search text with each unknown word replaced by the likeliest known one, or
    None when nothing changes. One query, whatever the number of words."""
    words = q.split(" ") if q else []
    checked = [(n, word, _script_of(word)) for n, word in enumerate(words)]
    checked = [(n, word, script) for n, word, script in checked if script]
    if not checked:
        return None
    if search_index.has_search_grams():
        replacements = _similar_words_postgresql(checked)
    else:
        replacements = _similar_words_difflib(checked)
    suggestion = " ".join(replacements.get(n, word) for n, word in enumerate(words))
    return suggestion if suggestion != q else None


def _similar_words_postgresql(checked) -> dict[int, str]:
    # pg_trgm: "%" is similarity above the threshold (0.3) and uses the GIN index;
    # a known word is its own best match (similarity 1).
    sql = (
        "SELECT t.n, (SELECT s.word FROM reports_searchword s "
        "WHERE s.script = t.script AND s.word %% t.word "
        "ORDER BY similarity(s.word, t.word) DESC, s.frequency DESC, s.word LIMIT 1) "
        "FROM unnest(%s::int[], %s::text[], %s::text[]) AS t(n, word, script)"
    )
    numbers, words, scripts = zip(*checked)
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(numbers), list(words), [str(s) for s in scripts]])
        return {n: word for n, word in cursor.fetchall() if word}


def _similar_words_difflib(checked) -> dict[int, str]:
    """Without pg_trgm (SQLite): the known words sharing a word's first character,
    ranked by difflib. Coarser than trigrams, but the same shape of answer."""
    starts = Q()
    for _n, word, script in checked:
        starts |= Q(script=script, word__startswith=word[0])
    known: dict[str, list[tuple[str, int]]] = {}
    for script, word, frequency in SearchWord.objects.filter(starts).values_list(
        "script", "word", "frequency"
    ):
        known.setdefault(script, []).append((word, frequency))
    replacements = {}
    for n, word, script in checked:
        candidates = known.get(script, [])
        if any(candidate == word for candidate, _f in candidates):
            continue
        scored = [
            (difflib.SequenceMatcher(None, word, candidate).ratio(), frequency, candidate)
            for candidate, frequency in candidates
        ]
        scored = [item for item in scored if item[0] >= SQLITE_SIMILARITY]
        if scored:
            replacements[n] = max(scored, key=lambda item: (item[0], item[1]))[2]
    return replacements
