"""``subscribers``, ``lists`` and ``bounces`` end to end, on real SQLite files."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest
import sqlalchemy as sa

from publisher.audience.csvio import SubscriberRow
from publisher.audience.store import AudienceRepo
from publisher.cli import main
from publisher.store import Store
from publisher.store.db import sqlite_url

DSN_SAMPLES = Path(__file__).parents[1] / "audience" / "dsn_samples"


def run(capsys: pytest.CaptureFixture[str], data: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["--data-dir", str(data), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def count_subscribers(data: Path) -> int:
    db = data / "publisher.db"
    if not db.exists():
        return 0
    store = Store(sqlite_url(db))
    try:
        with store.read() as conn:
            return int(conn.execute(sa.text("SELECT count(*) FROM subscribers")).scalar_one())
    finally:
        store.close()


def write(path: Path, text: str | bytes) -> Path:
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def export_rows(out: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(out, newline="")))


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PUBLISHER_DB", raising=False)
    monkeypatch.delenv("PUBLISHER_CONFIG", raising=False)
    return tmp_path / "data"


# -- import ----------------------------------------------------------------------------


def test_import_reports_rejected_rows_by_line(
    capsys: pytest.CaptureFixture[str], data: Path, tmp_path: Path
) -> None:
    src = write(
        tmp_path / "subs.csv",
        "email,name,format\n"
        "ann@example.com,Ann,text\n"
        "not-an-address,Bad,\n"
        ",No Email,\n"
        "bob@example.com,Bob,rtf\n"
        "Ann@Example.COM,Ann Again,\n"
        "\x1b[2J@example.com,Evil,\n"
        "cy@example.org,,\n",
    )
    code, out, err = run(capsys, data, "subscribers", "import", str(src))
    assert code == 0
    assert out.strip() == (
        "imported 2 subscriber(s) to list newsletter: 2 added, 0 updated, "
        "1 duplicate(s) merged, 4 rejected, 0 suppressed skipped"
    )
    assert f"{src}: 4 row(s) rejected:" in err
    assert "line 3: not-an-address: email is invalid" in err
    assert "line 4: (no email): email is empty" in err
    assert "line 5: bob@example.com: format must be html, text or pdf" in err
    # A terminal escape in a cell is shown, not obeyed.
    assert "line 7: \\x1b[2J@example.com: email is invalid" in err and "\x1b" not in err
    code, out, _ = run(capsys, data, "subscribers", "list")
    assert out.splitlines() == [
        "ann@example.com\tAnn Again\tactive\ttext\tall",
        "cy@example.org\t-\tactive\thtml\tall",
    ]


def test_import_bom_semicolons_and_quoted_newlines(
    capsys: pytest.CaptureFixture[str], data: Path, tmp_path: Path
) -> None:
    src = write(
        tmp_path / "excel.csv",
        "\ufeffEmail;Name;Notes;Sections\r\n"
        'ann@example.com;"Smith, Ann";"two\r\nlines";World|Arts, Culture\r\n'
        'bob@example.com;"Bob\nBroken";;\r\n'
        "bad@;x;;\r\n"
        "cy@example.com;Cy;;\r\n",
    )
    code, out, err = run(capsys, data, "subscribers", "import", str(src), "--list", "weekly")
    assert code == 0 and "to list weekly: 2 added" in out and "2 rejected" in out
    # Line numbers are physical lines: the quoted newlines push later rows down.
    assert "line 4: bob@example.com: name contains a line break" in err
    assert "line 6: bad@:" in err
    code, out, _ = run(capsys, data, "subscribers", "show", "ann@example.com")
    assert "name: Smith, Ann" in out
    assert "weekly: active, format html, sections Arts, Culture|World" in out


def test_unreadable_files_exit_2_and_store_nothing(
    capsys: pytest.CaptureFixture[str], data: Path, tmp_path: Path
) -> None:
    cases = {
        "missing.csv": None,
        "noemail.csv": "name,address\nAnn,ann@example.com\n",
        "latin1.csv": "email,name\nann@example.com,Jos\xe9\n".encode("latin-1"),
        "allbad.csv": "email\nnope\nalso-nope\n",
    }
    messages = {
        "missing.csv": "cannot read: No such file or directory",
        "noemail.csv": "has no 'email' column",
        "latin1.csv": "is not valid UTF-8",
        "allbad.csv": "every row was rejected (2)",
    }
    for name, content in cases.items():
        path = tmp_path / name
        if content is not None:
            write(path, content)
        code, out, err = run(capsys, data, "subscribers", "import", str(path))
        assert code == 2, name
        assert out == "" and str(path) in err and messages[name] in err
    assert count_subscribers(data) == 0


def test_an_import_that_fails_midway_stores_nothing(
    capsys: pytest.CaptureFixture[str],
    data: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run(capsys, data, "subscribers", "add", "before@example.com")
    real = AudienceRepo._import_batch
    calls: list[int] = []

    def third_batch_fails(
        self: AudienceRepo,
        conn: sa.Connection,
        batch: Sequence[SubscriberRow],
        list_id: str,
        source: str,
    ) -> tuple[int, int, list[str], list[str]]:
        calls.append(len(batch))
        if len(calls) == 3:
            raise KeyboardInterrupt  # the operator pressing Ctrl-C
        return real(self, conn, batch, list_id, source)

    monkeypatch.setattr(AudienceRepo, "_import_batch", third_batch_fails)
    rows = "".join(f"u{n}@example.com,User {n}\n" for n in range(1200))
    src = write(tmp_path / "big.csv", "email,name\n" + rows)
    with pytest.raises(KeyboardInterrupt):
        run(capsys, data, "subscribers", "import", str(src), "--list", "fresh")
    assert calls == [500, 500, 200]
    assert count_subscribers(data) == 1  # only the one added before
    assert "fresh" not in run(capsys, data, "lists")[1]


@pytest.mark.slow
def test_import_of_100_000_rows(
    capsys: pytest.CaptureFixture[str], data: Path, tmp_path: Path
) -> None:
    lines = ["email,name,sections,format"]
    lines += [f"reader{n}@example.com,Reader {n},World|Sport,html" for n in range(100_000)]
    lines += ["READER7@example.com,Seven,,text", "broken,,,", "also@broken@example.com,,,"]
    src = write(tmp_path / "big.csv", "\n".join(lines) + "\n")
    assert src.stat().st_size > 1_000_000  # so the progress bar is on
    code, out, err = run(capsys, data, "subscribers", "import", str(src))
    assert code == 0, err
    assert out.strip() == (
        "imported 100000 subscriber(s) to list newsletter: 100000 added, 0 updated, "
        "1 duplicate(s) merged, 2 rejected, 0 suppressed skipped"
    )
    assert "line 100003: broken" in err
    code, out, _ = run(capsys, data, "lists")
    assert out == "newsletter\t100000 member(s), 100000 active\n"


# -- export ----------------------------------------------------------------------------


def test_export_neutralises_formulas_and_round_trips(
    capsys: pytest.CaptureFixture[str], data: Path, tmp_path: Path
) -> None:
    run(capsys, data, "subscribers", "add", "f@example.com", "--name", '=HYPERLINK("x")')
    run(
        capsys,
        data,
        "subscribers",
        "add",
        "g@example.com",
        "--sections",
        "World,Sport",
        "--format",
        "pdf",
    )
    run(capsys, data, "subscribers", "add", "p@example.com", "--pending")
    code, out, err = run(capsys, data, "subscribers", "export")
    assert code == 0 and "3 subscriber(s) exported from list newsletter" in err
    assert out.splitlines()[0] == "email,name,status,list,format,sections,language,created_at"
    assert '\'=HYPERLINK(""x"")' in out
    rows = export_rows(out)
    assert [(r["email"], r["name"], r["status"], r["format"], r["sections"]) for r in rows] == [
        ("f@example.com", '\'=HYPERLINK("x")', "active", "html", ""),
        ("g@example.com", "", "active", "pdf", "Sport|World"),
        ("p@example.com", "", "pending", "html", ""),
    ]
    code, out, _ = run(capsys, data, "subscribers", "export", "--status", "pending")
    assert [r["email"] for r in export_rows(out)] == ["p@example.com"]

    src = write(tmp_path / "export.csv", run(capsys, data, "subscribers", "export")[1])
    other = tmp_path / "other"
    code, out, _ = run(capsys, other, "subscribers", "import", str(src))
    assert code == 0 and "3 added" in out
    again = export_rows(run(capsys, other, "subscribers", "export")[1])

    def comparable(r: dict[str, str]) -> tuple[str, ...]:
        # An import makes everyone active, and the creation time is new.
        return r["email"], r["name"], r["list"], r["format"], r["sections"], r["language"]

    assert [comparable(r) for r in again] == [comparable(r) for r in rows]


def test_export_of_an_unknown_list_is_not_found(
    capsys: pytest.CaptureFixture[str], data: Path
) -> None:
    code, out, err = run(capsys, data, "subscribers", "export", "--list", "nope")
    assert code == 1 and out == "" and "no list 'nope'" in err


# -- one subscriber ----------------------------------------------------------------------


def test_add_show_list_and_remove(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    code, out, _ = run(
        capsys,
        data,
        "subscribers",
        "add",
        "Ann@Example.com",
        "--name",
        "Ann",
        "--sections",
        "World,Business",
        "--format",
        "text",
    )
    assert code == 0
    assert (
        out == "added ann@example.com on list newsletter: active, format text, "
        "sections Business|World\n"
    )
    # Options not given keep what is stored.
    code, out, _ = run(capsys, data, "subscribers", "add", "ann@example.com", "--name", "Ann B")
    assert (
        out == "updated ann@example.com on list newsletter: active, format text, "
        "sections Business|World\n"
    )
    run(capsys, data, "subscribers", "add", "ann@example.com", "--list", "sport", "--pending")
    run(capsys, data, "subscribers", "add", "bob@example.com", "--pending")

    code, out, _ = run(capsys, data, "subscribers", "show", "ANN@example.com")
    assert code == 0
    lines = out.splitlines()
    assert lines[:3] == ["ann@example.com", "  name: Ann B", "  status: active"]
    assert lines[3].startswith("  consent: 20") and lines[3].endswith(" via cli")
    assert lines[-3:] == [
        "  lists:",
        "    newsletter: active, format text, sections Business|World",
        "    sport: pending, format html, sections all",
    ]

    code, out, err = run(capsys, data, "subscribers", "list")
    assert out.splitlines() == [
        "ann@example.com\tAnn B\tactive\ttext\tBusiness|World",
        "bob@example.com\t-\tpending\thtml\tall",
    ]
    assert err == "2 subscriber(s) on list newsletter\n"
    code, out, err = run(capsys, data, "subscribers", "list", "--status", "pending")
    assert out.startswith("bob@example.com\t") and err.startswith("1 subscriber(s)")

    code, out, _ = run(capsys, data, "subscribers", "remove", "ann@example.com", "--list", "sport")
    assert code == 0 and out == "removed ann@example.com from list sport\n"
    code, out, _ = run(capsys, data, "subscribers", "remove", "bob@example.com")
    assert out == "removed bob@example.com from list newsletter\n"
    code, out, _ = run(capsys, data, "subscribers", "remove", "ann@example.com", "--all")
    assert out == "removed ann@example.com from every list (subscriber deleted)\n"
    code, _, err = run(capsys, data, "subscribers", "show", "ann@example.com")
    assert code == 1 and "no subscriber 'ann@example.com'" in err
    code, _, err = run(capsys, data, "subscribers", "remove", "nobody@example.com")
    assert code == 1 and "no subscriber" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["not an address"], "field 'email': 'not an address' is not a valid address"),
        (["x@example.com", "--name", "Ann\r\nBcc: all@example.com"], "field 'name'"),
        (["x@example.com", "--name", "Ann\x00"], "field 'name'"),
        (["x@example.com", "--sections", "World,Sp\nort"], "field 'sections'"),
    ],
)
def test_add_refuses_bad_input(
    capsys: pytest.CaptureFixture[str], data: Path, argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, data, "subscribers", "add", *argv)
    assert code == 2 and out == "" and message in err
    assert count_subscribers(data) == 0


def test_argument_errors_exit_2(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    for argv in (
        ["subscribers", "remove", "a@example.com", "--list", "x", "--all"],
        ["subscribers", "add", "a@example.com", "--format", "rtf"],
        ["subscribers", "list", "--list", "   "],
        ["subscribers", "list", "--status", "sleepy"],
    ):
        with pytest.raises(SystemExit) as exit_info:
            main(["--data-dir", str(data), *argv])
        assert exit_info.value.code == 2, argv
    capsys.readouterr()


def test_export_data_is_everything_as_json(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    run(capsys, data, "subscribers", "add", "d@example.com", "--name", "Dee", "--sections", "World")
    code, out, _ = run(capsys, data, "subscribers", "export-data", "D@example.com")
    assert code == 0
    doc = json.loads(out)
    assert (doc["email"], doc["name"], doc["status"], doc["suppressed"]) == (
        "d@example.com",
        "Dee",
        "active",
        False,
    )
    assert doc["consent"]["source"] == "cli" and doc["consent"]["at"]
    assert doc["lists"] == [
        {
            "list": "newsletter",
            "status": "active",
            "format": "html",
            "language": None,
            "sections": ["World"],
        }
    ]


def test_erase_deletes_and_keeps_the_address_out(
    capsys: pytest.CaptureFixture[str], data: Path, tmp_path: Path
) -> None:
    run(capsys, data, "subscribers", "add", "e@example.com", "--name", "Eve")
    code, out, _ = run(capsys, data, "subscribers", "erase", "E@example.com")
    assert code == 0 and out.startswith("erased e@example.com: personal data deleted")
    assert count_subscribers(data) == 0
    code, _, err = run(capsys, data, "subscribers", "export-data", "e@example.com")
    assert code == 1
    code, _, err = run(capsys, data, "subscribers", "add", "e@example.com")
    assert code == 2 and "suppressed" in err
    src = write(tmp_path / "again.csv", "email\ne@example.com\nf@example.com\n")
    code, out, err = run(capsys, data, "subscribers", "import", str(src))
    assert code == 0 and "1 added" in out and "1 suppressed skipped" in out
    assert "e@example.com: suppressed" in err
    code, _, err = run(capsys, data, "subscribers", "erase", "nobody@example.com")
    assert code == 1 and "no subscriber" in err


def test_import_does_not_resubscribe_who_left(
    capsys: pytest.CaptureFixture[str], data: Path, tmp_path: Path
) -> None:
    run(capsys, data, "subscribers", "add", "left@example.com")
    run(capsys, data, "subscribers", "add", "left@example.com", "--list", "sport")
    run(capsys, data, "subscribers", "remove", "left@example.com")  # off newsletter
    src = write(tmp_path / "s.csv", "email\nleft@example.com\n")
    code, out, err = run(capsys, data, "subscribers", "import", str(src))
    # Removed from the list is not unsubscribed: the row is simply added back.
    assert code == 0 and "1 updated" in out and "stay so" not in err

    store = Store(sqlite_url(data / "publisher.db"))
    with store.begin() as conn:
        sub = store.audience.find(conn, "left@example.com")
        store.audience.unsubscribe(conn, sub.id, "newsletter")
    store.close()
    code, out, err = run(capsys, data, "subscribers", "import", str(src))
    assert code == 0 and "1 address(es) had unsubscribed and stay so" in err
    code, out, _ = run(capsys, data, "subscribers", "list", "--status", "unsubscribed")
    assert out.startswith("left@example.com\t")


def test_lists_counts_members(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    run(capsys, data, "subscribers", "add", "a@example.com")
    run(capsys, data, "subscribers", "add", "b@example.com", "--pending")
    run(capsys, data, "subscribers", "add", "a@example.com", "--list", "sport")
    code, out, err = run(capsys, data, "lists")
    assert code == 0 and err == "2 list(s)\n"
    assert out.splitlines() == [
        "newsletter\t2 member(s), 1 active",
        "sport\t1 member(s), 1 active",
    ]


# -- bounces ------------------------------------------------------------------------------


def test_bounces_process_suppresses_hard_bounces_and_complaints(
    capsys: pytest.CaptureFixture[str], data: Path, tmp_path: Path
) -> None:
    for email in (
        "gone.reader@example.com",
        "annoyed.reader@example.com",
        "full.box@example.com",
        "fine@example.org",
    ):
        run(capsys, data, "subscribers", "add", email)
    inbox = tmp_path / "bounces"
    shutil.copytree(DSN_SAMPLES, inbox)
    (inbox / ".partial").write_text("being written by the mail server")

    code, out, err = run(capsys, data, "bounces", "process", str(inbox))
    assert code == 0
    assert out == (
        "processed 3 report(s): 2 hard bounce(s), 1 complaint(s), "
        "3 address(es) newly suppressed, 1 soft bounce(s) counted; 1 file(s) failed\n"
    )
    assert err.count("\n") == 1 and str(inbox / "plain_reply.eml") in err
    assert sorted(p.name for p in (inbox / "processed").iterdir()) == [
        "arf_complaint.eml",
        "delayed_soft.eml",
        "postfix_hard_two_recipients.eml",
    ]
    assert [p.name for p in (inbox / "failed").iterdir()] == ["plain_reply.eml"]
    assert sorted(p.name for p in inbox.iterdir()) == [".partial", "failed", "processed"]

    code, out, _ = run(capsys, data, "subscribers", "list")
    assert [line.split("\t")[:3:2] for line in out.splitlines()] == [
        ["gone.reader@example.com", "bounced"],
        ["annoyed.reader@example.com", "complained"],
        ["full.box@example.com", "active"],
        ["fine@example.org", "active"],
    ]
    code, _, err = run(capsys, data, "subscribers", "add", "Gone.Reader@example.com")
    assert code == 2 and "suppressed" in err

    # The same report again (redelivered) changes nothing and never overwrites.
    shutil.copy(DSN_SAMPLES / "postfix_hard_two_recipients.eml", inbox)
    code, out, _ = run(capsys, data, "bounces", "process", str(inbox))
    assert out.startswith(
        "processed 1 report(s): 2 hard bounce(s), 0 complaint(s), 0 address(es) newly suppressed"
    )
    assert (inbox / "processed" / "postfix_hard_two_recipients.1.eml").exists()


def test_bounces_process_needs_a_directory(
    capsys: pytest.CaptureFixture[str], data: Path, tmp_path: Path
) -> None:
    code, out, err = run(capsys, data, "bounces", "process", str(tmp_path / "nowhere"))
    assert code == 2 and out == "" and "nowhere: is not a directory" in err
    assert not data.exists()
