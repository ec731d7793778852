"""Timeframes ("Thời gian thực hiện: ...") as words kept whole plus a computed schedule.

People write: Thường xuyên; Hằng năm / Hàng năm / Định kỳ hằng năm; Quý IV hàng năm; Năm 2023;
Các năm 2023- 2024; Quý IV/2025; Tháng 11/2025; Từ tháng 12/2025 đến quý I/2026; Theo kế hoạch;
"... hoặc khi có nhu cầu" / "... hoặc khi có hướng dẫn khác" (an alternative trigger); Ngay sau khi
... (after an event); Dịp sơ, tổng kết ... (at review time); sơ kết 3 năm, 5 năm; tổng kết 10 năm
(counted from the directive's year). Several may be combined ("Thường xuyên và theo kế hoạch").

``parse_timeframe`` recognizes the parts with a table of patterns applied in order to what is still
unread (each match is blanked out so "Quý IV hằng năm" is not also read as plain "hằng năm");
``Timeframe.periods`` turns the schedule into reporting periods for the reviews work.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field, replace
from datetime import date

from plans.parsing.text import clean

DEFAULT_DIRECTIVE_YEAR = 2022  # Chỉ thị 18-CT/TW, 26/10/2022
_I = re.IGNORECASE
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_QUARTER = r"(?P<q>iv|iii|ii|i|[1-4])"
_YEARLY = r"(?:hằng|hàng|mỗi)\s+năm"


@dataclass(frozen=True)
class Milestone:
    """A review counted from the directive's year: "sơ kết 3 năm" -> preliminary review, 3 years."""

    kind: str  # "preliminary" (sơ kết) | "final" (tổng kết)
    years_after: int

    @property
    def label(self) -> str:
        return f"{'Sơ kết' if self.kind == 'preliminary' else 'Tổng kết'} {self.years_after} năm"

    def year(self, directive_year: int) -> int:
        return directive_year + self.years_after


@dataclass(frozen=True)
class Period:
    """One reporting period a timeframe produces."""

    kind: str  # year | half | quarter | month | deadline | range | milestone
    label: str  # "2023", "Q4/2023", "6 tháng đầu năm 2024", "Sơ kết 3 năm (2025)"
    start: date
    end: date
    due: date  # the day the work is due: the end of the period
    source: str  # which part of the timeframe produced it: "yearly", "ongoing", "milestones", ...
    milestone: Milestone | None = None

    def to_json(self) -> dict:
        return {
            "kind": self.kind, "label": self.label, "start": self.start.isoformat(), "end": self.end.isoformat(),
            "due": self.due.isoformat(), "source": self.source,
            "milestone": {"kind": self.milestone.kind, "years_after": self.milestone.years_after} if self.milestone else None,
        }


@dataclass(frozen=True)
class Timeframe:
    text: str  # the words as written
    kind: str = "unknown"  # the main kind, "combined" when several; see ``kinds``
    kinds: tuple[str, ...] = ()  # every part recognized, in written order
    ongoing: bool = False
    yearly: bool = False
    quarterly: bool = False  # hằng quý
    monthly: bool = False  # hằng tháng
    half_yearly: bool = False  # định kỳ 6 tháng
    yearly_quarters: tuple[int, ...] = ()  # "Quý IV hàng năm" -> (4,)
    yearly_months: tuple[int, ...] = ()  # "Tháng 12 hằng năm" -> (12,)
    yearly_deadline: tuple[int, int] | None = None  # "trước ngày 15/12 hằng năm" -> (12, 15)
    years: tuple[int, ...] = ()
    quarters: tuple[tuple[int, int], ...] = ()  # (year, quarter)
    months: tuple[tuple[int, int], ...] = ()  # (year, month)
    due_date: date | None = None  # "trước ngày 15/12/2025"
    range_start: date | None = None
    range_end: date | None = None
    milestones: tuple[Milestone, ...] = ()
    stage_reviews: bool = False  # "giai đoạn": reviews at the end of a stage, years not given
    review_time: bool = False  # "Dịp sơ, tổng kết ..."
    per_plan: bool = False  # "Theo kế hoạch"
    when_needed: bool = False  # "... hoặc khi có nhu cầu"
    alternative: str | None = None  # the alternative trigger as written: "khi có hướng dẫn khác"
    event: str | None = None  # "hiệp thương thống nhất giữa ..." (the event, as written)
    event_relation: str | None = None  # "after" | "before"
    directive_year: int = DEFAULT_DIRECTIVE_YEAR
    unparsed: tuple[str, ...] = ()  # words left over that no pattern understood

    @property
    def deadline(self) -> date | None:
        """The last day of a dated timeframe: "Năm 2023" -> 2023-12-31, "Quý IV/2025" -> 2025-12-31."""
        ends = [d for d in (self.due_date, self.range_end) if d]
        ends += [date(y, 12, 31) for y in self.years]
        ends += [_quarter_bounds(y, q)[1] for y, q in self.quarters]
        ends += [_month_bounds(y, m)[1] for y, m in self.months]
        return max(ends) if ends else None

    def milestone_years(self, directive_year: int | None = None) -> list[int]:
        base = directive_year or self.directive_year
        return [m.year(base) for m in self.milestones]

    def periods(self, from_year: int, to_year: int, directive_year: int | None = None) -> list[Period]:
        """The reporting periods between 1 January ``from_year`` and 31 December ``to_year``.

        Ongoing and yearly work is reported once a year; a quarter or month of every year gives
        that window each year; dated parts give their own period when inside the span; milestones
        are counted from ``directive_year`` (default: the timeframe's). Event-, plan- and
        need-triggered parts have no fixed date and give no period.
        """
        base = directive_year or self.directive_year
        out: list[Period] = []
        for year in range(from_year, to_year + 1):
            if self.yearly or self.ongoing:
                out.append(_year_period(year, "yearly" if self.yearly else "ongoing"))
            out += [_quarter_period(year, q, "yearly_quarters") for q in self.yearly_quarters]
            out += [_month_period(year, m, "yearly_months") for m in self.yearly_months]
            if self.quarterly:
                out += [_quarter_period(year, q, "quarterly") for q in range(1, 5)]
            if self.monthly:
                out += [_month_period(year, m, "monthly") for m in range(1, 13)]
            if self.half_yearly:
                out += [
                    Period("half", f"6 tháng đầu năm {year}", date(year, 1, 1), date(year, 6, 30), date(year, 6, 30), "half_yearly"),
                    Period("half", f"6 tháng cuối năm {year}", date(year, 7, 1), date(year, 12, 31), date(year, 12, 31), "half_yearly"),
                ]
            if self.yearly_deadline:
                month, day = self.yearly_deadline
                end = date(year, month, min(day, calendar.monthrange(year, month)[1]))
                out.append(Period("deadline", f"trước {end:%d/%m/%Y}", date(year, 1, 1), end, end, "yearly_deadline"))
        in_span = lambda year: from_year <= year <= to_year  # noqa: E731
        out += [_year_period(y, "years") for y in self.years if in_span(y)]
        out += [_quarter_period(y, q, "quarters") for y, q in self.quarters if in_span(y)]
        out += [_month_period(y, m, "months") for y, m in self.months if in_span(y)]
        if self.due_date and in_span(self.due_date.year):
            d = self.due_date
            out.append(Period("deadline", f"trước {d:%d/%m/%Y}", date(d.year, 1, 1), d, d, "due_date"))
        if self.range_start and self.range_end and self.range_start.year <= to_year and self.range_end.year >= from_year:
            s, e = self.range_start, self.range_end
            out.append(Period("range", f"{s:%m/%Y} - {e:%m/%Y}", s, e, e, "range"))
        for milestone in self.milestones:
            year = milestone.year(base)
            if in_span(year):
                out.append(Period(
                    "milestone", f"{milestone.label} ({year})", date(year, 1, 1), date(year, 12, 31), date(year, 12, 31),
                    "milestones", milestone,
                ))
        unique = {(p.kind, p.start, p.end, p.milestone): p for p in out}
        return sorted(unique.values(), key=lambda p: (p.end, p.start, p.kind))

    def with_directive_year(self, year: int) -> "Timeframe":
        return replace(self, directive_year=year)

    def to_json(self) -> dict:
        data = {"text": self.text, "kind": self.kind, "kinds": list(self.kinds), "directive_year": self.directive_year}
        flags = ("ongoing", "yearly", "quarterly", "monthly", "half_yearly", "stage_reviews", "review_time", "per_plan", "when_needed")
        data.update({name: True for name in flags if getattr(self, name)})
        lists = {
            "yearly_quarters": list(self.yearly_quarters), "yearly_months": list(self.yearly_months),
            "years": list(self.years), "quarters": [list(q) for q in self.quarters], "months": [list(m) for m in self.months],
            "milestones": [
                {"kind": m.kind, "years_after": m.years_after, "label": m.label, "year": m.year(self.directive_year)}
                for m in self.milestones
            ],
            "unparsed": list(self.unparsed),
        }
        data.update({k: v for k, v in lists.items() if v})
        scalars = {
            "yearly_deadline": list(self.yearly_deadline) if self.yearly_deadline else None,
            "due_date": self.due_date.isoformat() if self.due_date else None,
            "range_start": self.range_start.isoformat() if self.range_start else None,
            "range_end": self.range_end.isoformat() if self.range_end else None,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "alternative": self.alternative, "event": self.event, "event_relation": self.event_relation,
        }
        data.update({k: v for k, v in scalars.items() if v is not None})
        return data


# --- periods helpers -------------------------------------------------------------------------

def _quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    first = 3 * (quarter - 1) + 1
    return date(year, first, 1), _month_bounds(year, first + 2)[1]


def _month_bounds(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _year_period(year: int, source: str) -> Period:
    return Period("year", str(year), date(year, 1, 1), date(year, 12, 31), date(year, 12, 31), source)


def _quarter_period(year: int, quarter: int, source: str) -> Period:
    start, end = _quarter_bounds(year, quarter)
    return Period("quarter", f"Q{quarter}/{year}", start, end, end, source)


def _month_period(year: int, month: int, source: str) -> Period:
    start, end = _month_bounds(year, month)
    return Period("month", f"{month:02d}/{year}", start, end, end, source)


# --- parsing ---------------------------------------------------------------------------------

def _quarter(value: str) -> int:
    value = value.lower()
    return _ROMAN[value] if value in _ROMAN else int(value)


def _point(text: str) -> tuple[date, date] | None:
    """A written point in time -> its first and last day ("quý I/2026", "tháng 12/2025", ...)."""
    text = clean(text).rstrip(".").lower()
    if m := re.fullmatch(rf"quý\s+{_QUARTER}\s*(?:/|năm)\s*(?P<y>\d{{4}})", text):
        return _quarter_bounds(int(m["y"]), _quarter(m["q"]))
    if m := re.fullmatch(r"tháng\s+(?P<m>\d{1,2})\s*(?:/|năm)\s*(?P<y>\d{4})", text):
        return _month_bounds(int(m["y"]), int(m["m"]))
    if m := re.fullmatch(r"(?:ngày\s+)?(?P<d>\d{1,2})\s*/\s*(?P<m>\d{1,2})\s*/\s*(?P<y>\d{4})", text):
        day = date(int(m["y"]), int(m["m"]), int(m["d"]))
        return day, day
    if m := re.fullmatch(r"(?:năm\s+)?(?P<y>\d{4})", text):
        return date(int(m["y"]), 1, 1), date(int(m["y"]), 12, 31)
    return None


@dataclass
class _State:
    """What the pattern handlers fill while reading one timeframe."""

    fields: dict = field(default_factory=dict)
    found: list[tuple[int, str]] = field(default_factory=list)  # (position, kind)

    def add(self, position: int, kind: str, **values):
        self.found.append((position, kind))
        for key, value in values.items():
            if isinstance(value, tuple):
                self.fields[key] = self.fields.get(key, ()) + value
            else:
                self.fields[key] = value


def _h_event(st, m, original):
    st.add(m.start(), "event", event=original[m.start("ev"):m.end("ev")].strip(" ."),
           event_relation="before" if m["rel"].lower().startswith("trước") else "after")


def _h_alternative(st, m, original):
    st.add(m.start(), "when_needed", when_needed=True, alternative=original[m.start("alt"):m.end("alt")].strip(" ."))


def _h_review_time(st, m, original):
    st.add(m.start(), "review_time", review_time=True)


def _h_milestones(st, m, original):
    kind = "preliminary" if m["k"].lower().startswith("sơ") else "final"
    found = tuple(Milestone(kind, int(n)) for n in re.findall(r"\d{1,2}", m["list"]))
    st.add(m.start(), "milestones", milestones=found)


def _h_range(st, m, original):
    start, end = _point(m["a"]), _point(m["b"])
    if start and end:
        st.add(m.start(), "range", range_start=start[0], range_end=end[1])
    else:
        st.add(m.start(), "unparsed", unparsed=(original[m.start():m.end()],))


def _h_year_span(st, m, original):
    first, last = int(m["a"]), int(m["b"])
    st.add(m.start(), "years", years=tuple(range(first, last + 1)) if first <= last else (first, last))


def _h_year_list(st, m, original):
    st.add(m.start(), "years", years=tuple(int(y) for y in re.findall(r"\d{4}", m.group(0))))


def _h_yearly_quarter(st, m, original):
    st.add(m.start(), "quarter_yearly", yearly_quarters=(_quarter(m["q"]),))


def _h_yearly_month(st, m, original):
    st.add(m.start(), "month_yearly", yearly_months=(int(m["m"]),))


def _h_yearly_deadline(st, m, original):
    st.add(m.start(), "yearly_deadline", yearly_deadline=(int(m["m"]), int(m["d"])))


def _h_quarter(st, m, original):
    st.add(m.start(), "quarter", quarters=((int(m["y"]), _quarter(m["q"])),))


def _h_month(st, m, original):
    st.add(m.start(), "month", months=((int(m["y"]), int(m["m"])),))


def _h_due_date(st, m, original):
    st.add(m.start(), "deadline", due_date=date(int(m["y"]), int(m["m"]), int(m["d"])))


def _flag(kind: str, **values):
    def handler(st, m, original):
        st.add(m.start(), kind, **values)
    return handler


# Order matters: longer, more specific phrases first; each match is blanked before the next runs.
_PATTERNS: list[tuple[re.Pattern, callable]] = [
    (re.compile(r"(?P<alt>khi\s+(?:có\s+)?(?:nhu cầu|hướng dẫn(?:\s+khác)?|yêu cầu|cần thiết|chỉ đạo)[^,;]*)", _I), _h_alternative),
    (re.compile(r"(?P<rel>ngay sau khi|sau khi|ngay khi|trước khi)\s+(?P<ev>.+)$", _I), _h_event),
    (re.compile(r"dịp\s+(?:sơ|tổng)(?:\s+kết)?(?:\s*,\s*(?:sơ|tổng)\s+kết)?", _I), _h_review_time),
    (re.compile(r"(?P<k>sơ kết|tổng kết)(?P<list>(?:\s*(?:,|và)?\s*\d{1,2}\s*năm)+)", _I), _h_milestones),
    (re.compile(r"giai đoạn(?!\s+\d)", _I), _flag("stage_reviews", stage_reviews=True)),
    (re.compile(r"từ\s+(?P<a>.+?)\s+(?:đến|tới)\s+(?P<b>(?:quý|tháng|ngày|năm)?\s*[\divx/ ]+?\d{4})", _I), _h_range),
    (re.compile(r"(?:các\s+năm|giai đoạn|năm)?\s*(?P<a>\d{4})\s*[-–]\s*(?P<b>\d{4})", _I), _h_year_span),
    (re.compile(rf"trước\s+ngày\s+(?P<d>\d{{1,2}})\s*/\s*(?P<m>\d{{1,2}})\s+{_YEARLY}", _I), _h_yearly_deadline),
    (re.compile(rf"quý\s+{_QUARTER}\s+{_YEARLY}", _I), _h_yearly_quarter),
    (re.compile(rf"tháng\s+(?P<m>\d{{1,2}})\s+{_YEARLY}", _I), _h_yearly_month),
    (re.compile(rf"quý\s+{_QUARTER}\s*(?:/|năm)\s*(?P<y>\d{{4}})", _I), _h_quarter),
    (re.compile(r"tháng\s+(?P<m>\d{1,2})\s*(?:/|năm)\s*(?P<y>\d{4})", _I), _h_month),
    (re.compile(r"(?:trước\s+)?ngày\s+(?P<d>\d{1,2})\s*/\s*(?P<m>\d{1,2})\s*/\s*(?P<y>\d{4})", _I), _h_due_date),
    (re.compile(r"(?:các\s+)?năm\s+\d{4}(?:\s*(?:,|và)\s*\d{4})*", _I), _h_year_list),
    (re.compile(r"(?:định kỳ\s+)?6\s+tháng(?:\s+(?:một lần|đầu năm|cuối năm))?", _I), _flag("half_yearly", half_yearly=True)),
    (re.compile(r"(?:định kỳ\s+)?(?:hằng|hàng|mỗi)\s+quý", _I), _flag("quarterly", quarterly=True)),
    (re.compile(r"(?:định kỳ\s+)?(?:hằng|hàng|mỗi)\s+tháng", _I), _flag("monthly", monthly=True)),
    (re.compile(rf"(?:định kỳ\s+)?{_YEARLY}|định kỳ\s+(?:01|1|một)\s+năm|định kỳ(?=\s*$)", _I), _flag("yearly", yearly=True)),
    (re.compile(r"thường xuyên|liên tục", _I), _flag("ongoing", ongoing=True)),
    (re.compile(r"theo\s+(?:kế hoạch|chương trình|lịch|hướng dẫn|tiến độ)[^,;]*", _I), _flag("per_plan", per_plan=True)),
]
# What may remain once every part has been read: connectives and punctuation.
_FILLER = re.compile(r"^(?:[\s,.;:()\-–]|\bvà\b|\bhoặc\b|\bđịnh kỳ\b|\bcác\b|\bvào\b|\bvà theo\b)*$", _I)


def parse_timeframe(text: str, directive_year: int | None = None) -> Timeframe:
    """Read the words of a timeframe. The text is kept exactly (white space cleaned)."""
    written = clean(text)
    remaining = written
    state = _State()
    for pattern, handler in _PATTERNS:
        for match in list(pattern.finditer(remaining)):
            handler(state, match, written)
            remaining = remaining[: match.start()] + " " * (match.end() - match.start()) + remaining[match.end():]
    leftovers = [chunk.strip(" ,.;:") for chunk in re.split(r"[,;]", remaining)]
    leftovers = [chunk for chunk in leftovers if chunk and not _FILLER.match(chunk)]
    if leftovers:
        state.add(len(written), "unparsed", unparsed=tuple(leftovers))

    kinds = tuple(kind for _, kind in sorted(state.found) if kind != "unparsed")
    kinds = tuple(dict.fromkeys(kinds))  # unique, in written order
    fields = state.fields
    main = [k for k in kinds if k not in ("when_needed", "stage_reviews")]
    if "review_time" in kinds:
        kind = "review_time"
    elif "milestones" in kinds:
        kind = "milestones"
    elif len(main) == 1:
        kind = main[0]
    elif len(main) > 1:
        kind = "combined"
    elif "when_needed" in kinds:
        kind = "when_needed"
    else:
        kind = "unknown"
    return Timeframe(
        text=written, kind=kind, kinds=kinds, directive_year=directive_year or DEFAULT_DIRECTIVE_YEAR, **fields,
    )
