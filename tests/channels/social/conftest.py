"""Shared pieces of the social tests: an Issue builder and the Composer."""

from __future__ import annotations

from datetime import date

import pytest

from channels.social.compose import Composer
from publisher.content import Article, Issue, IssueSection, Publication
from publisher.templating import make_environment


def issue_of(*articles: Article, number: int = 1) -> Issue:
    pub = Publication(name="The Steppe Dispatch", base_url="https://news.example.org")
    return Issue(publication=pub, number=number, title="Partners and prices",
                 date=date(2026, 12, 4),
                 sections=(IssueSection(name="World", articles=tuple(articles)),))


@pytest.fixture(scope="session")
def composer() -> Composer:
    return Composer(make_environment())
