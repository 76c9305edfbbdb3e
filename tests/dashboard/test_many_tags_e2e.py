"""A run with thousands of tags: the page shows a few cards per group at once, and more on
request, instead of stalling on a card per tag."""
from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

import flowlog as fl


@pytest.fixture(scope="module")
def url(tmp_path_factory, flowboard_server):
    logdir = tmp_path_factory.mktemp("tags")
    with fl.SummaryWriter(logdir / "run") as w:
        for t in range(20_000):
            w.add_scalar(f"group{t % 40}/tag_{t:05d}", float(t % 7), 0)
    return flowboard_server(logdir)


def test_thousands_of_tags_show_a_few_cards_per_group_and_more_on_request(url, checked_page):
    page = checked_page
    start = time.monotonic()
    page.goto(url)
    expect(page.locator(".card").first).to_be_visible()
    assert time.monotonic() - start < 20  # it stalled for minutes with a card per tag
    group = page.locator('details.group[data-group="group0"]')
    expect(group.locator(".card")).to_have_count(7)  # 300 cards shared by 40 groups
    more = group.locator("button.more-cards")
    expect(more).to_have_text("Show 30 more of 493")
    more.click()
    expect(group.locator(".card")).to_have_count(37)
    expect(page.locator('details.group[data-group="group1"] .card')).to_have_count(7)
