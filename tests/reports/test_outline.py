"""Reading a numbered outline: the number gives the level, the title is kept as written."""

from reports.outline import parse_numbered_outline


def test_full_width_brackets_in_a_chinese_title_are_kept():
    # given a Chinese line whose title holds full-width brackets
    # when it is read
    (line,) = parse_numbered_outline("5 氢电解槽市场（按技术划分）")
    # then both brackets stay as they were written
    assert (line.number, line.depth, line.title) == ("5", 1, "氢电解槽市场（按技术划分）")


def test_a_full_width_number_is_folded_but_not_the_title():
    (line,) = parse_numbered_outline("１．２　概述（一）：范围．")
    assert (line.number, line.depth, line.title) == ("1.2", 2, "概述（一）：范围．")


def test_a_full_width_closing_bracket_after_the_number_is_read_as_numbering():
    (line,) = parse_numbered_outline("４）　市场（按地区）")
    assert (line.number, line.title) == ("4", "市场（按地区）")
