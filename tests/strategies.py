"""Hypothesis strategies that build valid content-model values."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from hypothesis import strategies as st

from publisher.content import (
    Article,
    Author,
    Block,
    Brand,
    Emphasis,
    Heading,
    Image,
    Inline,
    Issue,
    IssueSection,
    Link,
    ListBlock,
    Paragraph,
    Publication,
    Quote,
    Rule,
    Strong,
    Text,
)

# Text the model accepts: no C0 controls but tab and newline.
_chars = st.characters(blacklist_categories=("Cs",), blacklist_characters="".join(
    chr(c) for c in range(32) if c not in (9, 10, 13)) + "\x7f")
text = st.text(_chars, max_size=40)
line = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")),
               min_size=1, max_size=30).filter(lambda s: s.strip() != "")
opt_line = st.none() | line
url = st.sampled_from(["https://example.org/a", "http://x.test/b?c=1", "/relative", "mailto:a@b.c"])

inline: st.SearchStrategy[Inline] = st.recursive(
    st.builds(Text, text=text),
    lambda kids: st.one_of(
        st.builds(Emphasis, children=st.lists(kids, max_size=3).map(tuple)),
        st.builds(Strong, children=st.lists(kids, max_size=3).map(tuple)),
        st.builds(Link, href=url, children=st.lists(kids, max_size=3).map(tuple)),
    ),
    max_leaves=6,
)
inlines = st.lists(inline, min_size=1, max_size=4).map(tuple)

image = st.builds(Image, src=url, alt=st.just("") | line, caption=opt_line, credit=opt_line)
block: st.SearchStrategy[Block] = st.one_of(
    st.builds(Paragraph, inlines=inlines),
    st.builds(Heading, level=st.integers(1, 6), text=line),
    st.builds(Quote, text=line, attribution=opt_line),
    image,
    st.builds(ListBlock, items=st.lists(inlines, min_size=1, max_size=3).map(tuple),
              ordered=st.booleans()),
    st.just(Rule()),
)
aware = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1),
                     timezones=st.sampled_from([UTC, timezone(timedelta(hours=5))]))
ids = st.from_regex(r"\A[a-z0-9][a-z0-9-]{0,20}\Z")

article = st.builds(
    Article, id=ids, headline=line, section=st.just("") | line, dek=opt_line,
    authors=st.lists(st.builds(Author, name=line, email=st.none() | st.just("a@b.org"),
                               url=st.none() | url), max_size=3).map(tuple),
    dateline=opt_line, published_at=st.none() | aware, updated_at=st.none() | aware,
    source=opt_line, copyright=opt_line, canonical_url=st.none() | url,
    language=st.none() | st.sampled_from(["en", "kk", "ru"]),
    tags=st.lists(line, max_size=3).map(tuple), lead_image=st.none() | image,
    summary=opt_line, body=st.lists(block, max_size=6).map(tuple),
)

publication = st.builds(
    Publication, name=line, tagline=text, sender_address=st.just("news@example.org"),
    brand=st.builds(Brand, logo=st.none() | url), sections=st.lists(line, max_size=3).map(tuple),
)


@st.composite
def issues(draw: st.DrawFn) -> Issue:
    arts = draw(st.lists(article, max_size=4, unique_by=lambda a: a.id))
    names = draw(st.lists(line, min_size=1, max_size=3))
    sections = tuple(IssueSection(name=n, articles=tuple(arts[i::len(names)]))
                     for i, n in enumerate(names))
    return Issue(publication=draw(publication), number=draw(st.integers(1, 10_000)),
                 title=draw(line), date=draw(st.dates(date(2000, 1, 1), date(2100, 1, 1))),
                 editor_note=draw(st.lists(block, max_size=3).map(tuple)),
                 preheader=draw(opt_line), sections=sections,
                 status=draw(st.sampled_from(["draft", "ready", "sent"])))
