"""Parsing real plan documents (.txt, .docx) into plain data: no database here.

Public API (see each module for details)::

    parse_plan(source, filename=None, directive_year=None) -> ParsedPlan   # path, bytes or binary file
    parse_plan_text(text, directive_year=None) -> ParsedPlan
    parse_plan_lines(lines, directive_year=None) -> ParsedPlan
    read_document(source, filename=None) -> SourceDocument                 # lines + format + encoding
    parse_timeframe(text, directive_year=None) -> Timeframe                # Timeframe.periods(from, to)
    split_parties(value) -> list[str]; parse_parties(value) -> list[ParsedParty]; classify_party(text)

``ParsedPlan.to_json()`` gives the shape of issue 3 plus extra keys.
"""
from plans.parsing.model import (
    LegalBasis,
    ParsedGroup,
    ParsedPlan,
    ParsedSection,
    ParsedTask,
    Recipient,
    Responsibility,
    Signer,
    UnrecognizedLine,
)
from plans.parsing.parties import ParsedParty, classify_party, parse_parties, split_parties
from plans.parsing.reader import PlanReadError, SourceDocument, decode_text, read_document, read_docx_lines
from plans.parsing.structure import parse_plan, parse_plan_lines, parse_plan_text
from plans.parsing.timeframes import DEFAULT_DIRECTIVE_YEAR, Milestone, Period, Timeframe, parse_timeframe

__all__ = [
    "DEFAULT_DIRECTIVE_YEAR", "LegalBasis", "Milestone", "ParsedGroup", "ParsedParty", "ParsedPlan", "ParsedSection",
    "ParsedTask", "Period", "PlanReadError", "Recipient", "Responsibility", "Signer", "SourceDocument", "Timeframe",
    "UnrecognizedLine", "classify_party", "decode_text", "parse_parties", "parse_plan", "parse_plan_lines",
    "parse_plan_text", "parse_timeframe", "read_document", "read_docx_lines", "split_parties",
]
