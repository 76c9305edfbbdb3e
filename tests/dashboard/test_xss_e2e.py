"""Markup in run names, tags, texts and op names, seen by Chromium: shown as text, never run."""
from __future__ import annotations

from urllib.parse import urlencode

import pytest
from dashboard_events import event, new_file, scalar, text
from graph_samples import GraphDefBuilder
from playwright.sync_api import expect


def payload(where: str) -> str:
    """Script that, if it ever ran, would leave a mark in `window.__pwned`, the console and a dialog."""
    return f"window.__pwned='{where}';console.error('pwned {where}');alert('{where}')"


# Directory names cannot hold "/", so the run names use attribute handlers only.
RUN_IMG = f"<img src=x onerror=\"{payload('run-img')}\">"
RUN_SVG = f"<svg onload=\"{payload('run-svg')}\">"
TAG_IMG = f"<img src=x onerror=\"{payload('tag-img')}\">"
TAG_SCRIPT = f"xss/<script>{payload('tag-script')}</script>"
TEXT_TAG = f"<b onmouseover=\"{payload('text-tag')}\">notes</b>"
OP_IMG = f"<img src=x onerror=\"{payload('op-img')}\">"
OP_SCRIPT = f"<script>{payload('op-script')}</script>"  # "/" makes it a scope and an op
TEXT_LINES = [
    f"# Heading <img src=x onerror=\"{payload('text-img')}\">",
    f"<script>{payload('text-script')}</script>",
    f"[click me](javascript:{payload('text-md-link')})",
    f"<a href=\"javascript:{payload('text-a')}\">raw link</a>",
    f"<iframe src=\"javascript:{payload('text-iframe')}\"></iframe>",
    "**bold** and `code`",
]


@pytest.fixture(scope="module")
def url(tmp_path_factory, flowboard_server):
    """A live flowboard over runs whose names, tags, texts and op names are all markup."""
    logdir = tmp_path_factory.mktemp("xss") / "logs"
    for i, run in enumerate([RUN_IMG, RUN_SVG]):
        new_file(logdir / run, [scalar(TAG_IMG, s, s * (i + 1.0)) for s in range(5)]
                 + [scalar(TAG_SCRIPT, s, 1.0 - s) for s in range(5)]
                 + [text(TEXT_TAG, 1, "\n".join(TEXT_LINES))])
    graph = GraphDefBuilder()
    graph.op(OP_IMG, "Const")
    graph.op(OP_SCRIPT, "Identity", [OP_IMG])
    new_file(logdir / RUN_IMG, [event(0, graph_def=graph.graph.SerializeToString())], n=1)
    return flowboard_server(logdir, "--reload-interval", "0")


# Shows the tooltip of the first run's smoothed line, as a mouse over its point would.
HOVER_FIRST_LINE = """() => {
    const gd = document.querySelector('#tab-scalars .js-plotly-plot');
    const curve = ((gd && gd.data) || []).findIndex((t) => t.meta && t.meta.kind === 'smoothed');
    if (curve < 0) return false;
    Plotly.Fx.hover(gd, [{curveNumber: curve, pointNumber: 2}]);
    return document.querySelectorAll('.hoverlayer .hovertext').length > 0;
}"""


class Watch:
    """Everything on a page that would betray a script having run, or the CSP blocking ours."""

    def __init__(self, page):
        self.page, self.dialogs, self.console, self.errors = page, [], [], []
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def assert_nothing_ran(self):
        # A marker the page itself sets proves the check below can see window state at all.
        assert self.page.evaluate("typeof window.flowboard") == "object"
        assert self.page.evaluate("window.__pwned") is None
        assert self.dialogs == []
        assert not [c for c in self.console if "pwned" in c]
        assert self.errors == []
        injected = self.page.evaluate("""() => [
            ...document.querySelectorAll('img[src="x"], iframe, svg[onload], [onerror], [onload],'
              + ' [onmouseover], a[href^="javascript:" i]')].map((e) => e.outerHTML)
            .concat([...document.scripts].filter((s) => !s.src).map((s) => s.outerHTML))""")
        assert injected == []


@pytest.mark.parametrize("bypass_csp", [False, True], ids=["with-csp", "without-csp"])
def test_markup_in_names_and_texts_is_shown_as_text_and_never_runs(browser, url, bypass_csp):
    """Without the CSP the page's own escaping must hold; with it, it must hold twice over."""
    context = browser.new_context(bypass_csp=bypass_csp)
    page = context.new_page()
    watch = Watch(page)
    page.goto(url)
    runs = page.locator("#run-list")
    expect(runs.get_by_text(RUN_IMG, exact=True)).to_be_visible()
    expect(runs.get_by_text(RUN_SVG, exact=True)).to_be_visible()
    scalars = page.locator("#tab-scalars")
    for tag in (TAG_IMG, TAG_SCRIPT):
        expect(scalars.locator(".card-title", has_text=tag)).to_have_text(tag)
    expect(scalars.locator(".js-plotly-plot").first).to_be_visible()
    page.wait_for_function(HOVER_FIRST_LINE)  # the tooltip names the run
    expect(page.locator(".hoverlayer .hovertext").first).to_contain_text("onerror")
    watch.assert_nothing_ran()

    page.goto(url + "?tab=text")  # a shared link straight to the text view
    texts = page.locator("#tab-text")
    heading = texts.locator("details.group > summary").first  # the tag up to its first "/"
    expect(heading).to_contain_text(TEXT_TAG[:TEXT_TAG.index("/")])
    expect(texts.locator(".card-title").first).to_have_text(TEXT_TAG)
    for line in TEXT_LINES[1:5]:
        expect(texts.get_by_text(line).first).to_be_visible()
    expect(texts.locator("h1").first).to_contain_text("<img src=x onerror=")
    expect(texts.locator("strong", has_text="bold").first).to_be_visible()  # markdown still works
    heading.hover()
    texts.get_by_text(TEXT_LINES[3]).first.click()
    watch.assert_nothing_ran()

    page.goto(url + "?" + urlencode({"tab": "graphs", "g_run": RUN_IMG, "g_sel": OP_IMG}))
    graphs = page.locator("#tab-graphs")
    expect(graphs.locator(".g-panel .g-name")).to_have_text(OP_IMG)  # the op's side panel
    expect(graphs.locator("svg.g-svg text", has_text="onerror").first).to_be_visible()
    expect(graphs.locator(".g-run")).to_contain_text("onerror")  # the run picker
    graphs.locator("svg.g-svg g.node").first.hover()
    watch.assert_nothing_ran()
    context.close()


def test_page_works_under_its_csp_without_violations(browser, url):
    """The page draws its charts with the CSP in force, and the browser reports no violation."""
    page = browser.new_page()
    watch = Watch(page)
    response = page.goto(url)
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.locator("#tab-scalars .js-plotly-plot").first).to_be_visible()
    page.goto(url + "?tab=text")
    expect(page.locator("#tab-text .text-entry").first).to_be_visible()
    assert not [c for c in watch.console if "Content Security Policy" in c]
    watch.assert_nothing_ran()
    inline_ok = page.evaluate("""() => { const s = document.createElement('script');
        s.textContent = 'window.__inline = 1'; document.head.append(s); return window.__inline; }""")
    assert inline_ok is None  # an inline script is refused by the browser
    assert [c for c in watch.console if "Content Security Policy" in c]
    page.close()
