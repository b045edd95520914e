"""The wire copy reader: the real Astana Times sample, the variants, the errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from publisher.content import Article, Heading, Paragraph, Text
from publisher.errors import ContentError
from publisher.sources.common import article_id
from publisher.sources.wire import looks_like_wire, parse_wire, parse_wire_bytes

SAMPLE = Path(__file__).parent / "wire_samples" / "astana-times.txt"
SAMPLE_HEADLINE = (
    "Kazakhstan to Deepen Ties with US as Tokayev Engages Business Leaders in New York"
)
SAMPLE_SUBHEADS = [
    "Energy: cornerstone of cooperation",
    "Transport and aviation prospects",
    "Agriculture and food security",
    "Education and human capital",
    "Preserving cultural heritage",
]

HEADLINE = "Council Approves New Budget for City Schools"
LEAD = "The city council approved a new budget on Monday after a long debate."
BODY = [
    "The vote was close, with seven members in favour.",
    "Where the money goes",
    "Most of the money goes to repairs of old buildings.",
    "“We are pleased with the outcome,” the mayor said.",
]

# A sentence ends at . ! or ? (optionally closed by a quote) before a capital or a quote.
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[“\"A-Z])|(?<=[.!?][”\"])\s+(?=[“\"A-Z])")


def wire(*lines: str, sep: str = "\n\n") -> str:
    return sep.join(lines) + "\n"


def story(*header: str, lead: str = LEAD, body: tuple[str, ...] = tuple(BODY)) -> str:
    """A story with the given header lines, then the lead and the standard body."""
    return wire(*header, lead, *body)


def body_texts(article: Article) -> list[str]:
    return [b.text for b in article.body if isinstance(b, Paragraph | Heading)]


def kinds(article: Article) -> list[str]:
    return [type(b).__name__ for b in article.body]


# -- the real sample -------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_text() -> str:
    return SAMPLE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def sample(sample_text: str) -> Article:
    return parse_wire(sample_text, source=str(SAMPLE))


def sample_body_lines(sample_text: str) -> list[str]:
    """The source body, worked out independently: everything after the repeated headline."""
    lines = [line.strip() for line in sample_text.splitlines() if line.strip()]
    repeat = lines.index(SAMPLE_HEADLINE, lines.index(SAMPLE_HEADLINE) + 1)
    return lines[repeat + 1 :]


def test_sample_header_fields(sample: Article) -> None:
    assert sample.section == "Education"
    assert sample.headline == SAMPLE_HEADLINE
    assert [a.name for a in sample.authors] == ["Ayana Birbayeva", "Fatima Kemelova"]
    assert sample.source == "astanatimes"
    assert sample.copyright == "astanatimes"
    assert sample.dateline == "ALMATY"


def test_sample_dateline_is_taken_off_the_first_paragraph(sample: Article) -> None:
    first = sample.body[0]
    assert isinstance(first, Paragraph)
    assert first.text.startswith("President Kassym-Jomart Tokayev, during ")
    assert "ALMATY" not in plain(sample)


def test_sample_subheads_are_level_2_headings(sample: Article) -> None:
    headings = [b for b in sample.body if isinstance(b, Heading)]
    assert [h.text for h in headings] == SAMPLE_SUBHEADS
    assert {h.level for h in headings} == {2}


def test_sample_every_other_line_is_a_verbatim_one_text_paragraph(
    sample: Article, sample_text: str
) -> None:
    source_lines = sample_body_lines(sample_text)
    expected = [source_lines[0].removeprefix("ALMATY – "), *source_lines[1:]]
    assert body_texts(sample) == expected
    paragraphs = [b for b in sample.body if isinstance(b, Paragraph)]
    assert len(paragraphs) == len(expected) - len(SAMPLE_SUBHEADS)
    assert all(len(p.inlines) == 1 and isinstance(p.inlines[0], Text) for p in paragraphs)


def plain(article: Article) -> str:
    return "\n".join(body_texts(article))


def test_sample_every_sentence_appears_exactly_once(sample: Article, sample_text: str) -> None:
    source_lines = sample_body_lines(sample_text)
    # The dateline moves to Article.dateline; the rest of its sentence stays in the body.
    dateline, _, lead_rest = source_lines[0].partition(" – ")
    assert sample.dateline == dateline
    sentences = [s for line in [lead_rest, *source_lines[1:]] for s in _SENTENCE_BREAK.split(line)]
    assert len(sentences) > len(source_lines)  # the splitter really split
    text = plain(sample)
    missing_or_doubled = [s for s in sentences if text.count(s) != 1]
    assert missing_or_doubled == []


def test_sample_repeated_headline_is_dropped(sample: Article) -> None:
    assert SAMPLE_HEADLINE not in plain(sample)


def test_sample_id_is_stable_across_reimports(sample: Article, sample_text: str) -> None:
    lead = sample_body_lines(sample_text)[0]
    assert sample.id == article_id(SAMPLE_HEADLINE, "astanatimes", lead)
    assert parse_wire(sample_text).id == sample.id
    assert parse_wire_bytes(SAMPLE.read_bytes(), source="x.txt") == sample


def test_sample_looks_like_wire(sample_text: str) -> None:
    assert looks_like_wire(sample_text)


# -- header variants -------------------------------------------------------------


def test_no_section_line() -> None:
    article = parse_wire(story(HEADLINE, "By Jane Doe"))
    assert article.section == ""
    assert article.headline == HEADLINE
    assert body_texts(article) == [LEAD, *BODY]


def test_short_first_line_before_byline_is_the_headline() -> None:
    article = parse_wire(story("Budget Approved", "By Jane Doe", "Copyright Daily"))
    assert (article.section, article.headline) == ("", "Budget Approved")


def test_section_needs_a_header_line_after_the_headline() -> None:
    # Without a byline or copyright line there is no evidence of a section: keep the text.
    article = parse_wire(story("Education", HEADLINE))
    assert (article.section, article.headline) == ("", "Education")
    assert body_texts(article)[0] == HEADLINE


def test_section_before_headline_and_copyright() -> None:
    article = parse_wire(story("Business", HEADLINE, "Copyright Daily"))
    assert (article.section, article.headline, article.source) == ("Business", HEADLINE, "Daily")


@pytest.mark.parametrize("first", ["World News Today Extra", "Breaking!", "Politics, Local"])
def test_section_is_one_to_three_words_without_punctuation(first: str) -> None:
    article = parse_wire(story(first, HEADLINE, "By Jane Doe"))
    assert (article.section, article.headline) == ("", first)


@pytest.mark.parametrize(
    ("byline", "names"),
    [
        ("By Jane Doe", ["Jane Doe"]),
        ("By Jane Doe and John Roe", ["Jane Doe", "John Roe"]),
        ("By Jane Doe, John Roe and Ann Poe", ["Jane Doe", "John Roe", "Ann Poe"]),
        ("By Jane Doe, John Roe, and Ann Poe", ["Jane Doe", "John Roe", "Ann Poe"]),
        ("By Jane Doe,John Roe", ["Jane Doe", "John Roe"]),
        ("BY JANE DOE & JOHN ROE", ["JANE DOE", "JOHN ROE"]),
        ("By: Alexander Sandberg", ["Alexander Sandberg"]),
    ],
)
def test_byline_forms(byline: str, names: list[str]) -> None:
    article = parse_wire(story(HEADLINE, byline))
    assert [a.name for a in article.authors] == names


def test_no_byline() -> None:
    article = parse_wire(story(HEADLINE, "Copyright Daily"))
    assert article.authors == ()
    assert article.source == "Daily"


def test_sentence_starting_with_by_is_not_a_byline() -> None:
    line = "By the end of the year, the council said it would review the plan again."
    article = parse_wire(story(HEADLINE, lead=line))
    assert article.authors == ()
    assert body_texts(article)[0] == line


def test_headline_that_reads_like_a_byline_is_kept_when_a_byline_follows() -> None:
    article = parse_wire(story("By Land and Sea", "By Jane Doe"))
    assert article.headline == "By Land and Sea"
    assert [a.name for a in article.authors] == ["Jane Doe"]


def test_no_copyright_line() -> None:
    article = parse_wire(story(HEADLINE, "By Jane Doe"))
    assert (article.source, article.copyright) == (None, None)
    assert article.id == article_id(HEADLINE, "", LEAD)


@pytest.mark.parametrize(
    "line",
    ["© 2024 Reuters. All rights reserved.", "Copyright 2023-2024 Reuters", "(c) Reuters"],
)
def test_copyright_holder_without_years_or_boilerplate(line: str) -> None:
    article = parse_wire(story(HEADLINE, "By Jane Doe", line))
    assert (article.source, article.copyright) == ("Reuters", "Reuters")


def test_only_leading_years_are_dropped_from_the_holder() -> None:
    article = parse_wire(story(HEADLINE, "Copyright 2024 Studio 54 Media 2000"))
    assert article.source == "Studio 54 Media 2000"


def test_header_lines_in_any_order() -> None:
    article = parse_wire(story(HEADLINE, "Copyright Daily", HEADLINE, "By Jane Doe"))
    assert (article.source, [a.name for a in article.authors]) == ("Daily", ["Jane Doe"])
    assert body_texts(article) == [LEAD, *BODY]


def test_only_the_first_repeat_of_the_headline_is_dropped() -> None:
    article = parse_wire(story(HEADLINE, HEADLINE, body=(HEADLINE, *BODY)))
    assert body_texts(article) == [LEAD, HEADLINE, *BODY]


def test_blank_lines_between_units_are_optional() -> None:
    article = parse_wire(wire(HEADLINE, "By Jane Doe", LEAD, *BODY, sep="\n"))
    assert body_texts(article) == [LEAD, *BODY]
    assert kinds(article)[2] == "Heading"


# -- transport noise ---------------------------------------------------------------


def test_crlf_text_parses_like_lf() -> None:
    text = story("Education", HEADLINE, "By Jane Doe", "Copyright Daily")
    assert parse_wire(text.replace("\n", "\r\n")) == parse_wire(text)
    assert parse_wire(text.replace("\n", "\r")) == parse_wire(text)


def test_crlf_bytes_give_the_same_id() -> None:
    text = story(HEADLINE, "By Jane Doe")
    data = text.replace("\n", "\r\n").encode()
    assert parse_wire_bytes(data, source="a.txt").id == parse_wire(text).id


def test_bom_in_text_and_bytes() -> None:
    text = story(HEADLINE, "By Jane Doe")
    assert parse_wire("\ufeff" + text).headline == HEADLINE
    assert parse_wire_bytes(b"\xef\xbb\xbf" + text.encode(), source="a.txt").headline == HEADLINE


def test_control_characters_are_stripped_and_tabs_kept() -> None:
    article = parse_wire(story("Council\x07 Approves", "By Jane\x00 Doe", lead="Lead\x1b\ttext."))
    assert article.headline == "Council Approves"
    assert article.authors[0].name == "Jane Doe"
    assert body_texts(article)[0] == "Lead\ttext."


# -- dateline ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lead", "dateline"),
    [
        ("ALMATY – The council met.", "ALMATY"),
        ("ALMATY — The council met.", "ALMATY"),
        ("ALMATY - The council met.", "ALMATY"),
        ("ALMATY -- The council met.", "ALMATY"),
        ("NEW YORK – The council met.", "NEW YORK"),
        ("ALMATY, Sept. 22 – The council met.", "ALMATY, Sept. 22"),
        ("WASHINGTON, D.C. — The council met.", "WASHINGTON, D.C."),
        ("ST. PETERSBURG - The council met.", "ST. PETERSBURG"),
        ("SAN JOSÉ DEL CABO – The council met.", "SAN JOSÉ DEL CABO"),
        ("O'HARE – The council met.", "O'HARE"),
    ],
)
def test_dateline_is_taken_off_the_first_paragraph(lead: str, dateline: str) -> None:
    article = parse_wire(story(HEADLINE, "By Jane Doe", lead=lead))
    assert article.dateline == dateline
    assert body_texts(article)[0] == "The council met."


@pytest.mark.parametrize(
    "lead",
    [
        LEAD,
        "US – China talks resumed on Monday.",
        "Tokayev - who spoke first - said the talks went well.",
        "In ALMATY – the council met.",
        "ALMATY–The council met without spaces around the dash.",
        "2024 – A year of change for the city.",
    ],
)
def test_no_dateline(lead: str) -> None:
    article = parse_wire(story(HEADLINE, "By Jane Doe", lead=lead))
    assert article.dateline is None
    assert body_texts(article)[0] == lead


def test_dateline_only_on_the_first_paragraph() -> None:
    later = "ASTANA – A second dateline is part of the text."
    article = parse_wire(story(HEADLINE, body=(later, *BODY)))
    assert article.dateline is None
    assert body_texts(article)[1] == later


# -- subheads ----------------------------------------------------------------------


def test_body_without_subheads_is_all_paragraphs() -> None:
    body = ("First paragraph.", "Second paragraph.", "Third paragraph.")
    article = parse_wire(story(HEADLINE, "By Jane Doe", body=body))
    assert kinds(article) == ["Paragraph"] * 4


def test_subhead_without_punctuation_is_a_heading() -> None:
    article = parse_wire(story(HEADLINE, "By Jane Doe"))
    assert kinds(article) == ["Paragraph", "Paragraph", "Heading", "Paragraph", "Paragraph"]
    heading = article.body[2]
    assert isinstance(heading, Heading) and (heading.level, heading.text) == (2, BODY[1])


@pytest.mark.parametrize(
    "line",
    [
        "The vote passed.",
        "Where does the money go?",
        "What a result!",
        "The mayor said:",
        "Where the money goes;",
        "He called it “historic”",
        'He called it "historic"',
        "He called it ‘historic’",
        "“Where the money goes”",
        '"Where the money goes"',
        "where the money goes",
        "One two three four five six seven eight nine ten eleven twelve thirteen",
        "Supercalifragilisticexpialidocious " * 3,
    ],
)
def test_ambiguous_one_line_stays_a_paragraph(line: str) -> None:
    text = line.strip()
    article = parse_wire(story(HEADLINE, body=("Before it.", text, "After it.")))
    assert kinds(article) == ["Paragraph"] * 4
    assert body_texts(article)[2] == text


def test_subhead_must_be_followed_by_a_paragraph() -> None:
    article = parse_wire(story(HEADLINE, body=("More text.", "Read more")))
    assert kinds(article) == ["Paragraph"] * 3


def test_run_of_short_lines_is_a_list_not_subheads() -> None:
    article = parse_wire(story(HEADLINE, body=("Chevron", "ExxonMobil", "Boeing", "More.")))
    assert kinds(article) == ["Paragraph"] * 5


def test_body_never_opens_with_a_subhead() -> None:
    article = parse_wire(story(HEADLINE, lead="Where the money goes", body=("A paragraph.",)))
    assert kinds(article) == ["Paragraph", "Paragraph"]


# -- ids ----------------------------------------------------------------------------


def test_id_changes_with_the_lead_and_the_source() -> None:
    base = parse_wire(story(HEADLINE)).id
    assert parse_wire(story(HEADLINE, lead="Another lead.")).id != base
    assert parse_wire(story(HEADLINE, "Copyright Daily")).id != base
    assert parse_wire(story(HEADLINE)).id == base


# -- errors -------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "\n\n", " \t\n\u00a0\n", "\ufeff", "\x00\x07\n"])
def test_empty_copy_is_an_error_naming_the_source(text: str) -> None:
    with pytest.raises(ContentError, match="empty") as info:
        parse_wire(text, source="story.txt")
    assert info.value.source == "story.txt"


def test_empty_bytes_are_an_error() -> None:
    with pytest.raises(ContentError, match="empty"):
        parse_wire_bytes(b"\xef\xbb\xbf\r\n", source="story.txt")


@pytest.mark.parametrize("first", ["By Jane Doe", "Copyright Daily", "© 2024 Reuters"])
def test_copy_without_a_headline_is_an_error_with_its_line(first: str) -> None:
    with pytest.raises(ContentError, match="no headline") as info:
        parse_wire(wire("", first, LEAD, sep="\n"), source="story.txt")
    assert (info.value.source, info.value.line) == ("story.txt", 2)


def test_first_line_too_long_for_a_headline_is_an_error() -> None:
    with pytest.raises(ContentError, match="no headline") as info:
        parse_wire(wire("word " * 100, LEAD), source="notes.txt")
    assert info.value.line == 1


@pytest.mark.parametrize(
    "text",
    [HEADLINE, wire(HEADLINE, "By Jane Doe"), wire("Education", HEADLINE, "By Jane Doe", HEADLINE)],
)
def test_copy_without_a_body_is_an_error(text: str) -> None:
    with pytest.raises(ContentError, match="no body") as info:
        parse_wire(text, source="story.txt")
    assert info.value.line == len(text.strip().split("\n"))


def test_invalid_utf8_is_an_error_with_its_line() -> None:
    with pytest.raises(ContentError, match="UTF-8") as info:
        parse_wire_bytes(HEADLINE.encode() + b"\n\nbad \xff byte\n", source="story.txt")
    assert (info.value.source, info.value.line) == ("story.txt", 3)


def test_lone_surrogates_do_not_escape() -> None:
    article = parse_wire(story(HEADLINE + " \udc80", lead="Lead \ud800 text."))
    assert article.headline == HEADLINE + " \ufffd"


# -- detection ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        story(HEADLINE, "By Jane Doe"),
        story(HEADLINE, "Copyright Daily"),
        story("Education", HEADLINE, "By Jane Doe,John Roe"),
        story(HEADLINE, lead="NEW YORK – The council met."),
        story(HEADLINE, "By Jane Doe").replace("\n", "\r\n"),
    ],
)
def test_looks_like_wire(text: str) -> None:
    assert looks_like_wire(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n\n",
        HEADLINE,
        "Shopping list\n\nmilk\n\neggs\n",
        wire("Some notes", "A first thought.", "A second thought."),
        wire("By Jane Doe", "Nothing else."),
        wire("word " * 100, "More text."),
        "# Title\n\nBy the way, this is Markdown.\n",
    ],
)
def test_does_not_look_like_wire(text: str) -> None:
    assert not looks_like_wire(text)


# -- properties -------------------------------------------------------------------


def _parse_or_content_error(text: str) -> None:
    try:
        parse_wire(text, source="fuzz.txt")
    except ContentError as exc:
        assert exc.source == "fuzz.txt"


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_raises_only_content_error(text: str) -> None:
    _parse_or_content_error(text)
    assert isinstance(looks_like_wire(text), bool)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["By A,B", "Copyright X", "Head", "ALMATY – x.", "\r\n", "\x0c",
                                 "\ufeff", " – ", "Short line", "“Q”", "\n\n", "\udc80"])))
def test_wire_shaped_text_raises_only_content_error(parts: list[str]) -> None:
    _parse_or_content_error("\n".join(parts))
    assert isinstance(looks_like_wire("".join(parts)), bool)


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(categories=["Cs", "Cc", "Zl", "Zp", "Lu", "Zs"])))
def test_surrogates_and_separators_raise_only_content_error(text: str) -> None:
    _parse_or_content_error(text)


@settings(max_examples=300, deadline=None)
@given(st.binary())
def test_any_bytes_raise_only_content_error(data: bytes) -> None:
    try:
        parse_wire_bytes(data, source="fuzz.txt")
    except ContentError as exc:
        assert exc.source == "fuzz.txt"


_WORDS = st.text(st.sampled_from("abcdefghij ,"), min_size=1, max_size=40)


@settings(max_examples=300, deadline=None)
@given(st.lists(_WORDS.map(lambda s: "Xx " + s.strip() + "."), min_size=1, max_size=8))
def test_generated_paragraphs_survive_verbatim_and_in_order(paragraphs: list[str]) -> None:
    article = parse_wire(story(HEADLINE, "By Jane Doe", "Copyright Daily", HEADLINE,
                               lead=paragraphs[0], body=tuple(paragraphs[1:])))
    assert body_texts(article) == paragraphs
    assert kinds(article) == ["Paragraph"] * len(paragraphs)
