"""Subscriber CSV import (rejects, line numbers, merging) and injection-safe export."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from publisher.audience.csvio import (
    ImportResult,
    Reject,
    SubscriberRow,
    neutralise_cell,
    normalise_email,
    read_subscribers,
    write_subscribers,
)
from publisher.errors import ContentError


def read(text: str | bytes, **kwargs: bool) -> ImportResult:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return read_subscribers(io.BytesIO(data), source="subs.csv", **kwargs)


def test_good_file() -> None:
    result = read(
        "Email,Name,Sections,Format\n"
        "Ann@Example.COM,Ann Smith,World|Business,text\n"
        "bob@example.org,,,\n"
        "cy@example.net,Cy,Sport, PDF \n"
    )
    assert result == ImportResult(
        rows=[
            SubscriberRow("ann@example.com", "Ann Smith", ("World", "Business"), "text", 2),
            SubscriberRow("bob@example.org", "", (), "html", 3),
            SubscriberRow("cy@example.net", "Cy", ("Sport",), "pdf", 4),
        ],
        rejects=[],
        duplicates_merged=0,
    )


def test_header_is_case_insensitive_trimmed_and_extra_columns_ignored() -> None:
    result = read(" Joined , EMAIL ,  name \n2024-01-01,a@example.com,Ann\n")
    assert result.rows == [SubscriberRow("a@example.com", "Ann", (), "html", 2)]


def test_short_rows_and_blank_lines() -> None:
    result = read("email,name,format\n\na@example.com\n   \nb@example.com,Bo\n")
    assert [(row.email, row.name, row.line) for row in result.rows] == [
        ("a@example.com", "", 3),
        ("b@example.com", "Bo", 5),
    ]


def test_bad_rows_are_rejected_with_line_and_reason() -> None:
    result = read(
        "email,name,format\n"
        "good@example.com,Good,html\n"
        ",No Email,html\n"
        "not-an-address,Bad,html\n"
        "x@example.com,X,docx\n"
        "y@localhost,Y,\n"
        "ok@example.com,OK,TEXT\n"
    )
    assert [row.email for row in result.rows] == ["good@example.com", "ok@example.com"]
    assert result.rows[1].format == "text"
    assert [(r.line, r.email) for r in result.rejects] == [
        (3, ""),
        (4, "not-an-address"),
        (5, "x@example.com"),
        (6, "y@localhost"),
    ]
    reasons = [r.reason for r in result.rejects]
    assert reasons[0] == "email is empty"
    assert reasons[1].startswith("email is invalid")
    assert "format must be html, text or pdf" in reasons[2]
    assert reasons[3].startswith("email is invalid")


def test_bom_is_dropped() -> None:
    result = read(b"\xef\xbb\xbfemail,name\na@example.com,\xc3\x84nne\n")
    assert result.rows == [SubscriberRow("a@example.com", "Änne", (), "html", 2)]


def test_semicolon_delimiter() -> None:
    result = read("email;name;sections\r\na@example.com;Smith, Ann;World | Local News\r\n")
    assert result.rows == [
        SubscriberRow("a@example.com", "Smith, Ann", ("World", "Local News"), "html", 2)
    ]


def test_quoted_newlines_keep_physical_line_numbers() -> None:
    result = read(
        "email,name,sections\n"
        'a@example.com,"Ann",World\n'
        'b@example.com,Bo,"World|\nBusiness|\nSport"\n'
        "bad,Bad,\n"
        'c@example.com,"Cy\nSmith",\n'
        "also-bad,,\n"
        "d@example.com,Di,\n"
    )
    assert [(row.email, row.line) for row in result.rows] == [
        ("a@example.com", 2),
        ("b@example.com", 3),
        ("d@example.com", 10),
    ]
    assert result.rows[1].sections == ("World", "Business", "Sport")
    assert [(r.line, r.email) for r in result.rejects] == [
        (6, "bad"),
        (7, "c@example.com"),
        (9, "also-bad"),
    ]


def test_missing_email_column_names_the_file() -> None:
    with pytest.raises(ContentError, match="email") as caught:
        read("name,format\nAnn,html\n")
    assert caught.value.source == "subs.csv"
    assert caught.value.field == "email"


@pytest.mark.parametrize("text", ["", "\n", "  \r\n"])
def test_empty_file(text: str) -> None:
    with pytest.raises(ContentError, match="header") as caught:
        read(text)
    assert caught.value.source == "subs.csv"


def test_duplicates_are_merged() -> None:
    result = read(
        "email,name,sections,format\n"
        "Ann@example.com,Ann,World,text\n"
        "bob@example.com,Bob,,\n"
        "ANN@EXAMPLE.COM,,Business|World,\n"
        "ann@example.com,Ann Smith,,pdf\n"
        "bob@example.com,,Sport,\n"
    )
    assert result.duplicates_merged == 3
    assert result.rows == [
        SubscriberRow("ann@example.com", "Ann Smith", ("World", "Business"), "pdf", 2),
        SubscriberRow("bob@example.com", "Bob", ("Sport",), "html", 3),
    ]


@pytest.mark.parametrize(
    "name",
    [
        '"Ann\nBcc: victim@example.com"',
        '"Ann\rBcc: x@example.com"',
        '"Ann\r\nBcc: x@example.com"',
        "Ann\x00",
        "Ann\x1b[31m",
        "Ann\u2028Bcc",
        "Ann\x7f",
    ],
)
def test_control_characters_in_name_are_rejected(name: str) -> None:
    result = read(f"email,name\na@example.com,{name}\nb@example.com,Bo\n")
    assert [r.email for r in result.rejects] == ["a@example.com"]
    assert "control character" in result.rejects[0].reason
    assert result.rejects[0].line == 2
    assert [row.email for row in result.rows] == ["b@example.com"]


def test_control_characters_in_sections_are_rejected() -> None:
    result = read('email,sections\na@example.com,"World|Bad\x00"\n')
    assert result.rows == []
    assert "sections" in result.rejects[0].reason


def test_non_utf8_names_source_and_line() -> None:
    data = "email,name\na@example.com,Ann\nb@example.com,Jos\xe9\n".encode("latin-1")
    with pytest.raises(ContentError, match="UTF-8") as caught:
        read(data)
    assert (caught.value.source, caught.value.line) == ("subs.csv", 3)


def test_runaway_quote_is_a_content_error() -> None:
    # An unclosed quote swallows the rest of the file into one field: csv's
    # field size limit stops it, and the error names where the record began.
    data = 'email,name\na@example.com,"Ann\n' + ("x" * 1000 + "\n") * 200
    with pytest.raises(ContentError, match="CSV") as caught:
        read(data)
    assert caught.value.line == 2


def test_reads_from_a_path(tmp_path: Path) -> None:
    path = tmp_path / "subs.csv"
    path.write_bytes(b"email\na@example.com\n")
    result = read_subscribers(path, source="subs.csv")
    assert [row.email for row in result.rows] == ["a@example.com"]
    assert read_subscribers(str(path), source="subs.csv") == result


def test_progress_bar_goes_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    read("email\na@example.com\n", progress=True)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "subs.csv" in captured.err
    read("email\na@example.com\n")
    assert capsys.readouterr().err == ""


def test_normalise_email() -> None:
    assert normalise_email("  Ann.Smith@Example.COM") == "ann.smith@example.com"
    with pytest.raises(ValueError):
        normalise_email("ann@")


@pytest.mark.slow
def test_100k_rows(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("email;name;sections;format\n")
        for i in range(100_000):
            if i % 1000 == 999:
                out.write(f"broken-{i};Broken;;\n")
            elif i % 500 == 1:
                # A second row for the address on the line before.
                out.write(f"USER{i - 1}@Example.com;;Extra;text\n")
            else:
                out.write(f"user{i}@example.com;User {i};World|Local;html\n")
    result = read_subscribers(path, source="big.csv")
    assert len(result.rejects) == 100
    assert result.rejects[0] == Reject(1001, "broken-999", result.rejects[0].reason)
    assert result.duplicates_merged == 200
    assert len(result.rows) == 100_000 - 100 - 200
    merged = next(row for row in result.rows if row.email == "user500@example.com")
    assert merged == SubscriberRow(
        "user500@example.com", "User 500", ("World", "Local", "Extra"), "text", 502
    )


# --- export ----------------------------------------------------------------


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_formula_characters_are_neutralised(start: str) -> None:
    out = io.StringIO(newline="")
    payload = f'{start}HYPERLINK("http://evil.example/","x")'
    write_subscribers([{"email": "a@example.com", "name": payload}], out, ["email", "name"])
    rows = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert rows == [["email", "name"], ["a@example.com", "'" + payload]]


@pytest.mark.parametrize("text", ["Ann", "", "a=b", " =1", "'=1", "1-2"])
def test_harmless_cells_are_left_alone(text: str) -> None:
    assert neutralise_cell(text) == text


def test_write_values_and_missing_columns() -> None:
    out = io.StringIO(newline="")
    rows: list[dict[str, object]] = [
        {"email": "a@example.com", "sections": ("World", "Sport"), "id": 7, "name": None},
        {"email": "b@example.com", "sections": {"b", "a"}},
    ]
    count = write_subscribers(rows, out, ["id", "email", "name", "sections"])
    assert count == 2
    assert out.getvalue().splitlines() == [
        "id,email,name,sections",
        "7,a@example.com,,World|Sport",
        ",b@example.com,,a|b",
    ]


def test_export_reads_back_unchanged() -> None:
    rows = [
        SubscriberRow("-dash@example.com", '=Ann, "the" Reader', ("World", "+Plus"), "pdf", 2),
        SubscriberRow("b@example.com", "Bo", (), "html", 3),
    ]
    text = io.StringIO(newline="")
    columns = ["email", "name", "sections", "format"]
    dicts = [{column: getattr(row, column) for column in columns} for row in rows]
    write_subscribers(dicts, text, columns)
    assert "'-dash@example.com" in text.getvalue()
    assert read(text.getvalue()).rows == rows
