"""Email benchmarks (``python -m benchmarks email``): a ~75 KB Issue to many recipients.

Every figure is a ratio against a baseline measured in the same run, on the
same machine:

1. preparation: per-recipient message preparation (tokens, headers, the MIME
   skeleton filled) against the stdlib ``EmailMessage`` building and
   serialising the same message, on one core;
2. end to end: ``publisher send`` (audience from SQLite, ledger claims and
   records, SMTP pool) to the reference loopback sink
   (``../shared/bench/smtp_sink.py raw``), against a bare ``smtplib`` client
   sending the same bytes over as many connections to a fresh sink;
3. round trips: the same send to the sink delaying every reply by 25 ms,
   over 64 connections, against the bound of one message per four round
   trips per connection; and the stretch, to a copy of the sink that offers
   PIPELINING (RFC 2920), where a message needs two round trips;
4. memory: peak RSS of the send process at N recipients against N/10.

Each send runs in its own process so its peak RSS is its own. Sizes come
from the environment: ``BENCH_EMAIL_N`` (default 100000), ``BENCH_EMAIL_DELAYED``
(default 8000), ``BENCH_EMAIL_POOL`` (default 4).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SINK = ROOT.parent / "shared" / "bench" / "smtp_sink.py"
N = int(os.environ.get("BENCH_EMAIL_N", "100000"))
N_DELAYED = int(os.environ.get("BENCH_EMAIL_DELAYED", "8000"))
POOL = int(os.environ.get("BENCH_EMAIL_POOL", "4"))
DELAY_MS, DELAY_POOL = 25, 64
N_BASELINE = 200
TARGET_KB = 75


# --- the Issue ------------------------------------------------------------------------


def make_issue(target_kb: int = TARGET_KB) -> Any:
    """A synthetic Issue whose whole message is about *target_kb* KB (digest_mode full)."""
    from publisher.content import (
        Article,
        Author,
        Heading,
        Image,
        Issue,
        IssueSection,
        Link,
        Paragraph,
        Publication,
        Quote,
        Text,
    )

    pub = Publication(name="The Bench Dispatch", base_url="https://news.example.org",
                      sender_name="The Bench Dispatch", sender_address="news@news.example.org",
                      postal_address="1 Bench Street, Almaty", sections=("World", "Business"))
    para = ("Freight forwarders have sought routes between China and Europe that avoid "
            "Russia since 2022; the corridor's weak point has always been the sea crossing, "
            "and the new ferries change the arithmetic for shippers on both shores. ")

    def article(i: int) -> Article:
        body = (Paragraph(inlines=(Text(text=para * 2), Link(
                    href=f"https://news.example.org/a/{i}", children=(Text(text="more"),)))),
                Heading(level=2, text="Why it matters"), Paragraph(inlines=(Text(text=para),)),
                Quote(text="Every extra sailing is a week off the journey.",
                      attribution="A port director"),
                Image(src=f"https://img.example.org/{i}.jpg", alt="A ferry at dawn",
                      credit="Photo: the agency"),
                Paragraph(inlines=(Text(text=para * 2),)))
        return Article(id=f"a{i}", headline=f"Story number {i} about ferries and freight",
                       section="World", authors=(Author(name="Dana Seitkali"),),
                       dateline="AKTAU", canonical_url=f"https://news.example.org/a/{i}",
                       dek="Two roll-on vessels enter service at Aktau.", body=body)

    n = 1
    while True:
        arts = tuple(article(i) for i in range(n))
        issue = Issue(publication=pub, number=1, title="The bench Issue", date=date(2026, 12, 4),
                      editor_note=(Paragraph(inlines=(Text(text="Welcome to the bench."),)),),
                      preheader="Ferries, freight and a benchmark.",
                      sections=(IssueSection(name="World", articles=arts),))
        if _sizes(issue)[1] >= target_kb * 1024:
            return issue
        n += 1


def _channel(issue: Any, **email: Any) -> Any:
    from channels.email.channel import EmailChannel
    from publisher.audience.tokens import LinkTokens
    from publisher.settings import EmailOptions, Settings

    settings = Settings(publication=issue.publication, data_dir=Path("."), db_url="sqlite://",
                        email=replace(EmailOptions(), digest_mode="full", **email))
    return EmailChannel(settings, LinkTokens(["bench-key-" + "b" * 22]))


def _sizes(issue: Any) -> tuple[int, int]:
    """Bytes of the HTML part and of the whole message (both parts, encoded)."""
    mail = _channel(issue).prepare(issue)
    p = mail.personal(1, "a@example.org", "A", "Fri, 04 Dec 2026 06:00:00 GMT")
    return len(mail.html(p).encode()), len(mail.mime(p))


# --- 1. preparation ---------------------------------------------------------------------


def bench_preparation(issue: Any) -> dict[str, float]:
    from email.utils import formatdate

    from channels.email.message import build_message, make_address

    mail = _channel(issue).prepare(issue)
    date_ = formatdate(usegmt=True)
    t0 = time.perf_counter()
    size = 0
    for i in range(N):
        size = len(mail.mime(mail.personal(i + 1, f"reader{i}@example.org", f"Reader {i}",
                                           date_)))
    ours = (time.perf_counter() - t0) / N
    sender = make_address(mail.publication.sender_name, mail.publication.sender_address, "From")
    t0 = time.perf_counter()
    for i in range(N_BASELINE):
        p = mail.personal(i + 1, f"reader{i}@example.org", f"Reader {i}", date_)
        msg = build_message(sender=sender, to=make_address(p.name, p.address, "To"),
                            subject=mail.subject, text=mail.text(p), html=mail.html(p),
                            headers={"List-Unsubscribe": p.list_unsubscribe,
                                     "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                                     "List-Id": mail.list_id_field})
        msg.as_bytes()
    base = (time.perf_counter() - t0) / N_BASELINE
    return {"message_kb": size / 1024, "ours_us": ours * 1e6, "per_second": 1 / ours,
            "email_message_ms": base * 1e3, "speedup": base / ours}


# --- sinks and processes --------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Sink:
    """The reference sink in its own process; ``stop()`` returns what it counted."""

    def __init__(self, *args: str, script: Path = SINK) -> None:
        self.port = _free_port()
        self.proc = subprocess.Popen([sys.executable, str(script), *args[:1], str(self.port),
                                      *args[1:]], stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        assert self.proc.stdout.readline().strip() == "READY"

    def stop(self) -> dict[str, Any]:
        self.proc.send_signal(signal.SIGTERM)
        out, _ = self.proc.communicate(timeout=30)
        stats: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
        return stats


_BARE = textwrap.dedent("""
    import json, smtplib, sys, threading, time
    port, n, pool, path = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    data = open(path, "rb").read()
    def worker(k):
        smtp = smtplib.SMTP("127.0.0.1", port)
        for i in range(k):
            smtp.sendmail("news@news.example.org", [f"r{i}@example.org"], data)
        smtp.quit()
    t0, c0 = time.perf_counter(), time.process_time()
    threads = [threading.Thread(target=worker, args=(n // pool + (j < n % pool),))
               for j in range(pool)]
    for t in threads: t.start()
    for t in threads: t.join()
    print(json.dumps({"seconds": time.perf_counter() - t0, "cpu": time.process_time() - c0}))
""")

_SEND = textwrap.dedent("""
    import json, resource, sys, time
    from publisher.app import build_app
    from publisher.dispatch import dispatch_issue
    from publisher.settings import load_settings
    app = build_app(load_settings(sys.argv[1], data_dir=sys.argv[2]))
    t0, c0 = time.perf_counter(), time.process_time()
    report = dispatch_issue(app, 1)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    app.close()
    print(json.dumps({"seconds": seconds, "cpu": cpu, "sent": report.sent,
                      "failed": report.failed,
                      "deferred": report.deferred, "unknown": report.unknown,
                      "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
""")


def _run(script: str, *args: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-c", script, *args], check=True, cwd=ROOT,
                         capture_output=True, text=True, env={**os.environ,
                                                              "PYTHONPATH": str(ROOT)}).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


# --- the store ---------------------------------------------------------------------------


def make_store(folder: Path, issue: Any, n: int) -> None:
    """A SQLite store with *issue* and *n* active html subscribers, written in bulk."""
    import sqlalchemy as sa

    from publisher.store import Store
    from publisher.store.db import sqlite_url
    from publisher.store.tables import lists, memberships, subscribers

    store = Store(sqlite_url(folder / "publisher.db"))
    now = datetime.now(UTC)
    with store.begin() as conn:
        store.issues.save(conn, issue)
        conn.execute(lists.insert().values(id="newsletter", name="newsletter", created_at=now))
        for start in range(0, n, 10_000):
            ids = range(start + 1, min(n, start + 10_000) + 1)
            conn.execute(subscribers.insert(), [
                {"id": i, "email": f"reader{i}@example.org", "name": f"Reader {i}",
                 "status": "active", "consent_at": now, "consent_source": "bench",
                 "consent_ip": None, "created_at": now, "updated_at": now} for i in ids])
            conn.execute(memberships.insert(), [
                {"subscriber_id": i, "list_id": "newsletter", "status": "active",
                 "format": "html", "language": None, "updated_at": now} for i in ids])
        assert conn.execute(sa.select(sa.func.count()).select_from(subscribers)).scalar() == n
    store.close()


def _config(folder: Path, port: int, pool: int) -> Path:
    path = folder / "config.toml"
    path.write_text(textwrap.dedent(f"""
        [publication]
        name = "The Bench Dispatch"
        base_url = "https://news.example.org"
        sender_name = "The Bench Dispatch"
        sender_address = "news@news.example.org"
        postal_address = "1 Bench Street, Almaty"
        sections = ["World", "Business"]
        [email]
        transport = "smtp"
        smtp_host = "127.0.0.1"
        smtp_port = {port}
        smtp_security = "none"
        digest_mode = "full"
        pool_size = {pool}
        retry_backoff = 0
        """), encoding="utf-8")
    return path


def send(issue: Any, n: int, sink_args: tuple[str, ...], pool: int,
         script: Path = SINK) -> dict[str, Any]:
    """``publisher send`` for *n* recipients in a fresh process, to a fresh sink."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_store(folder, issue, n)
        sink = Sink(*sink_args, script=script)
        try:
            result = _run(_SEND, str(_config(folder, sink.port, pool)), str(folder))
        finally:
            stats = sink.stop()
    result["sink_messages"] = stats["messages"]
    result["rate"] = result["sent"] / result["seconds"]
    return result


def bare(issue: Any, n: int, pool: int) -> dict[str, Any]:
    """A bare smtplib client sending the same message bytes over *pool* connections."""
    mail = _channel(issue).prepare(issue)
    data = mail.mime(mail.personal(1, "reader1@example.org", "Reader 1",
                                   "Fri, 04 Dec 2026 06:00:00 GMT"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "message.eml"
        path.write_bytes(data)
        sink = Sink("raw")
        try:
            result = _run(_BARE, str(sink.port), str(n), str(pool), str(path))
        finally:
            stats = sink.stop()
    result["sink_messages"] = stats["messages"]
    result["rate"] = stats["messages"] / result["seconds"]
    return result


# --- a sink that offers PIPELINING, for the stretch figure -------------------------------

_PIPELINING_SINK = """
import runpy
sink = runpy.run_path(SINK_PATH)
RawSMTP = sink["RawSMTP"]
class Pipelining(RawSMTP):
    def reply(self, data, close=False):
        if data.startswith(b"250-sink"):
            data = b"250-sink\\r\\n250-PIPELINING\\r\\n250-8BITMIME\\r\\n250 SIZE 33554432\\r\\n"
        super().reply(data, close)
import asyncio
sink["RawSMTP"] = Pipelining
original = asyncio.BaseEventLoop.create_server
async def create_server(self, factory, *args, **kwargs):
    return await original(self, Pipelining if factory is RawSMTP else factory, *args, **kwargs)
asyncio.BaseEventLoop.create_server = create_server
sink["main"]()
"""


def pipelining_sink_script(folder: Path) -> Path:
    """The reference sink, unchanged, with PIPELINING added to its EHLO answer."""
    path = folder / "pipelining_sink.py"
    path.write_text(_PIPELINING_SINK.replace("SINK_PATH", repr(str(SINK))), encoding="utf-8")
    return path


# --- the report ---------------------------------------------------------------------------


def main() -> None:
    if not SINK.is_file():
        print(f"email: the reference sink {SINK} is missing; skipped")
        return
    t0 = time.perf_counter()
    issue = make_issue()
    html, whole = _sizes(issue)
    print(f"email: Issue of {len(issue.articles)} articles, message {whole / 1024:.0f} KB (HTML "
          f"{html / 1024:.0f} KB); {N:,} recipients; pool {POOL}")
    prep = bench_preparation(issue)
    print(f"  1. preparation: {prep['ours_us']:.1f} us/message ({prep['per_second']:,.0f}/s "
          f"on one core, {prep['message_kb']:.0f} KB each) vs EmailMessage "
          f"{prep['email_message_ms']:.2f} ms: {prep['speedup']:.0f}x faster "
          f"(targets: 100x, 15,000/s)")
    baseline = bare(issue, N, POOL)
    ours = send(issue, N, ("raw",), POOL)
    print(f"  2. end to end to the loopback sink: {ours['rate']:,.0f} msg/s ({ours['sent']:,} "
          f"sent, sink counted {ours['sink_messages']:,}) vs bare smtplib "
          f"{baseline['rate']:,.0f} msg/s: {ours['rate'] / baseline['rate']:.0%} "
          f"(targets: 1,500/s and 60%)")
    delayed = send(issue, N_DELAYED, ("raw", str(DELAY_MS)), DELAY_POOL)
    bound = DELAY_POOL / (4 * DELAY_MS / 1000)
    print(f"  3. sink replying after {DELAY_MS} ms, {DELAY_POOL} connections: "
          f"{delayed['rate']:,.0f} msg/s = {delayed['rate'] / bound:.0%} of the "
          f"{bound:,.0f}/s four-round-trip bound (target: 80%)")
    with tempfile.TemporaryDirectory() as tmp:
        piped = send(issue, N_DELAYED, ("raw", str(DELAY_MS)), DELAY_POOL,
                     script=pipelining_sink_script(Path(tmp)))
    print(f"     with PIPELINING offered: {piped['rate']:,.0f} msg/s = "
          f"{piped['rate'] / bound:.0%} of that bound (stretch: over 100%)")
    small = send(issue, N // 10, ("raw",), POOL)
    print(f"  4. peak RSS of the send: {ours['rss_kib'] / 1024:.0f} MiB at {N:,} vs "
          f"{small['rss_kib'] / 1024:.0f} MiB at {N // 10:,}: "
          f"{ours['rss_kib'] / small['rss_kib']:.2f}x (target: at most 1.2x)")
    print(f"  (benchmark took {time.perf_counter() - t0:.0f} s)")

