"""GitHub tables in text summaries, rendered by the page's markdown in a real Chromium as
TensorBoard's markdown renders them: outer pipes optional, alignment row, markup kept as text."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

import flowlog as fl

RESULTS = """Results of the sweep:

| model | accuracy | notes |
|:------|:--------:|------:|
| small | 0.91 | **best** per parameter |
| large | 0.95 | `a|b` costs 4x |
"""

# What a table in the page holds: per row, [tag, text, text-align] of each cell.
READ_TABLES = """(src) => {
  const root = window.flowboardMarkdown.markdown(src);
  return {
    tables: [...root.querySelectorAll("table")].map((t) => [...t.querySelectorAll("tr")].map(
      (tr) => [...tr.children].map((c) => [c.tagName.toLowerCase(), c.textContent, c.style.textAlign]))),
    paragraphs: [...root.querySelectorAll("p")].map((p) => p.textContent),
    elements: [...root.querySelectorAll("*")].map((e) => e.tagName.toLowerCase()),
    links: [...root.querySelectorAll("a")].map((a) => a.href),
  };
}"""


@pytest.fixture(scope="module")
def url(tmp_path_factory, flowboard_server):
    logdir = tmp_path_factory.mktemp("markdown")
    with fl.SummaryWriter(logdir / "sweep") as w:
        w.add_text("results", RESULTS, 0)
    return flowboard_server(logdir)


@pytest.fixture
def page(open_page, url):
    page = open_page(1200, 800)
    page.goto(url + "?tab=text")
    return page


def test_text_view_renders_a_logged_table_with_its_alignment(page):
    table = page.locator("#tab-text .markdown table")
    expect(table).to_have_count(1)
    expect(table.locator("th")).to_have_text(["model", "accuracy", "notes"])
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table.locator("tbody tr").nth(1).locator("td")).to_have_text(
        ["large", "0.95", "a|b costs 4x"])
    expect(table.locator("td strong")).to_have_text("best")
    aligns = table.locator("tbody tr").first.locator("td").evaluate_all(
        "(cells) => cells.map((c) => getComputedStyle(c).textAlign)")
    assert aligns == ["left", "center", "right"]
    expect(page.locator("#tab-text .markdown p").first).to_have_text("Results of the sweep:")


def cells(table):
    return [[text for _, text, _ in row] for row in table]


def test_tables_with_and_without_outer_pipes_read_alike(page):
    plain = page.evaluate(READ_TABLES, "a | b\n--- | ---\n1 | 2\n3 | 4")
    piped = page.evaluate(READ_TABLES, "| a | b |\n| --- | --- |\n| 1 | 2 |\n| 3 | 4 |")
    assert plain["tables"] == piped["tables"]
    assert cells(plain["tables"][0]) == [["a", "b"], ["1", "2"], ["3", "4"]]
    assert [tag for tag, _, _ in plain["tables"][0][0]] == ["th", "th"]
    one_side = page.evaluate(READ_TABLES, "| a | b\n|---|---\n| 1 | 2")
    assert cells(one_side["tables"][0]) == [["a", "b"], ["1", "2"]]


def test_rows_escapes_and_where_a_table_ends(page):
    got = page.evaluate(READ_TABLES, "x | y\n:-: | --:\n1\n2 | 3 | 4\n5 \\| 6 | 7\n\nafter")
    table = got["tables"][0]
    # Short rows are padded, long rows cut to the header's width; `\|` is a pipe in a cell.
    assert cells(table) == [["x", "y"], ["1", ""], ["2", "3"], ["5 | 6", "7"]]
    assert [align for _, _, align in table[0]] == ["center", "right"]
    assert got["paragraphs"] == ["after"]
    # A paragraph line just before the header row ends at the table.
    before = page.evaluate(READ_TABLES, "intro\na | b\n-|-\n1 | 2")
    assert before["paragraphs"] == ["intro"] and len(before["tables"]) == 1


@pytest.mark.parametrize("src", [
    "| a | b |\n| 1 | 2 |",  # no delimiter row: TensorBoard draws a paragraph
    "a | b | c\n--- | ---\n1 | 2 | 3",  # the delimiter row has fewer cells than the header
    "a\n---",  # a line over dashes without any pipe
])
def test_pipes_without_a_real_delimiter_row_stay_text(page, src):
    got = page.evaluate(READ_TABLES, src)
    assert got["tables"] == [] and got["paragraphs"]


def test_markup_in_cells_stays_text(page):
    src = ("| <img src=x onerror=alert(1)> | [link](javascript:alert(2)) |\n|---|---|\n"
           "| <script>alert(3)</script> | [ok](https://example.com/) |")
    got = page.evaluate(READ_TABLES, src)
    assert cells(got["tables"][0])[0] == ["<img src=x onerror=alert(1)>",
                                          "[link](javascript:alert(2))"]
    assert cells(got["tables"][0])[1][0] == "<script>alert(3)</script>"
    assert not {"img", "script"} & set(got["elements"])
    assert got["links"] == ["https://example.com/"]


def test_a_tensor_of_strings_is_a_table_of_markdown_cells(page):
    got = page.evaluate("""() => {
      const grid = window.flowboardMarkdown.renderText([["**a**", "x | y\\n-|-\\n1 | 2"], ["c", "d"]]);
      const one = window.flowboardMarkdown.renderText(["# Title"]);
      return [grid.querySelectorAll(":scope > table > tbody > tr").length,
              grid.querySelector("td strong").textContent, grid.querySelectorAll("td table th").length,
              one.querySelector("h1").textContent, one.querySelectorAll("table").length];
    }""")
    assert got == [2, "a", 2, "Title", 0]
