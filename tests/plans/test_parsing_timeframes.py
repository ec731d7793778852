"""Structured timeframes: the words are kept, the schedule is computed (issue 3)."""
from datetime import date

import pytest

from plans.parsing import parse_timeframe


def test_quarter_iv_every_year_is_an_october_december_window():
    timeframe = parse_timeframe("Quý IV hàng năm")
    assert (timeframe.kind, timeframe.yearly_quarters) == ("quarter_yearly", (4,))
    periods = timeframe.periods(2023, 2025)
    assert [(p.start, p.end) for p in periods] == [
        (date(year, 10, 1), date(year, 12, 31)) for year in (2023, 2024, 2025)
    ]


def test_year_2023_is_a_deadline_of_31_december():
    timeframe = parse_timeframe("Năm 2023.")
    assert (timeframe.kind, timeframe.years, timeframe.deadline) == ("years", (2023,), date(2023, 12, 31))
    assert [p.label for p in timeframe.periods(2022, 2030)] == ["2023"]


def test_years_2023_2024_gives_both_years():
    timeframe = parse_timeframe("Các năm 2023- 2024. ")
    assert timeframe.years == (2023, 2024)
    assert timeframe.deadline == date(2024, 12, 31)
    assert timeframe.text == "Các năm 2023- 2024."


def test_yearly_with_milestones_counted_from_the_directive():
    timeframe = parse_timeframe("Định kỳ hằng năm, sơ kết 3 năm, 5 năm; tổng kết 10 năm.", directive_year=2022)
    assert timeframe.kind == "milestones" and timeframe.yearly
    assert timeframe.milestone_years() == [2025, 2027, 2032]
    assert [m.kind for m in timeframe.milestones] == ["preliminary", "preliminary", "final"]
    milestones = [p for p in timeframe.periods(2023, 2032) if p.kind == "milestone"]
    assert [(p.label, p.due) for p in milestones] == [
        ("Sơ kết 3 năm (2025)", date(2025, 12, 31)),
        ("Sơ kết 5 năm (2027)", date(2027, 12, 31)),
        ("Tổng kết 10 năm (2032)", date(2032, 12, 31)),
    ]
    assert len([p for p in timeframe.periods(2023, 2032) if p.kind == "year"]) == 10
    # Another directive year moves the milestones.
    assert timeframe.milestone_years(2024) == [2027, 2029, 2034]


@pytest.mark.parametrize("text, kind, check", [
    ("Thường xuyên.", "ongoing", lambda t: t.ongoing),
    ("Hằng năm", "yearly", lambda t: t.yearly),
    ("Hàng năm", "yearly", lambda t: t.yearly),
    ("Định kỳ hằng năm.", "yearly", lambda t: t.yearly),
    ("Quý IV/2025", "quarter", lambda t: t.quarters == ((2025, 4),) and t.deadline == date(2025, 12, 31)),
    ("Tháng 11/2025", "month", lambda t: t.months == ((2025, 11),) and t.deadline == date(2025, 11, 30)),
    ("Từ tháng 12/2025 đến quý I/2026", "range",
     lambda t: (t.range_start, t.range_end) == (date(2025, 12, 1), date(2026, 3, 31))),
    ("Theo kế hoạch.", "per_plan", lambda t: t.per_plan),
    ("Hằng năm hoặc khi có nhu cầu.", "yearly", lambda t: t.when_needed and t.alternative == "khi có nhu cầu"),
    ("Quý IV hàng năm hoặc khi có hướng dẫn khác.", "quarter_yearly",
     lambda t: t.when_needed and t.alternative == "khi có hướng dẫn khác"),
    ("Ngay sau khi hiệp thương thống nhất giữa Ban Thường trực và các tổ chức chính trị - xã hội cùng cấp.", "event",
     lambda t: t.event_relation == "after" and t.event.startswith("hiệp thương thống nhất giữa Ban Thường trực và")),
    ("Dịp sơ, tổng kết định kỳ hằng năm, giai đoạn.", "review_time", lambda t: t.review_time and t.stage_reviews),
    ("Thường xuyên và theo kế hoạch.", "combined", lambda t: t.kinds == ("ongoing", "per_plan")),
    ("Trước ngày 15/12 hằng năm", "yearly_deadline", lambda t: t.yearly_deadline == (12, 15)),
    ("Hằng quý", "quarterly", lambda t: len(t.periods(2024, 2024)) == 4),
    ("Định kỳ 6 tháng", "half_yearly", lambda t: [p.end for p in t.periods(2024, 2024)] == [date(2024, 6, 30), date(2024, 12, 31)]),
])
def test_kinds(text, kind, check):
    timeframe = parse_timeframe(text)
    assert timeframe.kind == kind
    assert check(timeframe)
    assert not timeframe.unparsed
    assert timeframe.to_json()["text"] == text.strip()


def test_unknown_words_are_kept_and_reported():
    timeframe = parse_timeframe("Khi thời tiết thuận lợi")
    assert timeframe.kind == "unknown"
    assert timeframe.unparsed == ("Khi thời tiết thuận lợi",)
    assert timeframe.periods(2023, 2024) == []


def test_ongoing_is_reported_yearly_and_event_has_no_fixed_period():
    assert [p.label for p in parse_timeframe("Thường xuyên").periods(2023, 2024)] == ["2023", "2024"]
    assert parse_timeframe("Ngay sau khi có kết quả hiệp thương").periods(2023, 2024) == []


def test_dated_periods_outside_the_span_are_left_out():
    assert parse_timeframe("Quý IV/2025").periods(2023, 2024) == []
    assert [p.label for p in parse_timeframe("Từ tháng 12/2025 đến quý I/2026").periods(2026, 2026)] == ["12/2025 - 03/2026"]
