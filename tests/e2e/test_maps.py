"""Maps as people see them in Chromium: both languages, desktop and phone, framed elsewhere."""

from http.server import BaseHTTPRequestHandler, HTTPServer
from threading import Thread

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize(
    ("path", "regions", "named"),
    [
        ("/regions/140000/", 11, "Linfen"),
        ("/zh-hans/regions/140000/", 11, "临汾市"),
        ("/regions/141000/", 17, "Huozhou"),
        ("/zh-hans/regions/141000/", 17, "霍州市"),
        ("/metrics/livestream-campaign-sales/", 11, "Linfen"),
        ("/zh-hans/programs/", 11, "临汾市"),
    ],
)
def test_a_map_is_drawn_and_fits_the_screen(
    browser, live_server, demo, path, regions, named, viewport
):
    context = browser.new_context(viewport=VIEWPORTS[viewport])
    page = context.new_page()
    page.goto(live_server.url + path)
    drawn = page.locator("svg.map").first
    drawn.scroll_into_view_if_needed()
    expect(drawn).to_be_visible()
    assert drawn.locator("a path").count() == regions
    box = drawn.bounding_box()
    assert 300 <= box["width"] <= VIEWPORTS[viewport]["width"]
    assert box["height"] > box["width"] * 0.5  # drawn to its shape, not squashed
    assert drawn.locator("text", has_text=named).first.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[viewport]["width"]
    ARTIFACTS.mkdir(exist_ok=True)
    name = path.strip("/").replace("/", "-") or "home"
    drawn.screenshot(path=ARTIFACTS / f"map-{name}-{viewport}.png")
    context.close()


def test_a_region_on_the_map_leads_to_its_page(page, live_server, demo):
    page.goto(live_server.url + "/regions/140000/")
    page.locator('svg.map a[href="/regions/141000/"]').first.click()
    expect(page).to_have_url(live_server.url + "/regions/141000/")
    expect(page.locator("h1")).to_contain_text("Linfen")


@pytest.fixture
def other_site():
    """Another origin on this machine, serving the page given to it: a site that frames ours."""
    served = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = served["page"].encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    Thread(target=server.serve_forever, daemon=True).start()
    yield served, f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()


def test_another_site_can_frame_the_embed_and_not_the_page(page, live_server, demo, other_site):
    served, address = other_site
    embed = live_server.url + "/zh-hans/metrics/livestream-campaign-sales/map/embed/"
    refused = live_server.url + "/metrics/livestream-campaign-sales/"
    served["page"] = (
        f'<iframe id="ok" src="{embed}" width="660" height="800"></iframe>'
        f'<iframe id="no" src="{refused}" width="660" height="400"></iframe>'
    )
    page.goto(address)
    framed = page.frame_locator("#ok")
    expect(framed.locator("svg title").first).to_contain_text("直播带货活动销售额")
    expect(framed.locator("a", has_text="查看数据及其来源")).to_be_visible()
    # The page itself is refused: nothing of the site shows in its frame.
    page.wait_for_timeout(500)
    expect(page.frame_locator("#no").locator("nav.main-nav")).to_have_count(0)


def test_the_map_downloads_as_a_png(page, live_server, demo):
    page.goto(live_server.url + "/regions/141000/")
    with page.expect_download() as download:
        page.locator(".figure-share a", has_text="PNG").first.click()
    saved = download.value.path().read_bytes()
    assert saved[:8] == b"\x89PNG\r\n\x1a\n"
