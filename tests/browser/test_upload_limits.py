"""The upload box in a real browser against a real ``streamlit run app.py`` (issue 14).

- The server's upload endpoint itself refuses a file over the app's limit (HTTP 413), not only the
  widget: ``server.maxUploadSize`` is :data:`geo.settings.MAX_INPUT_MB`. The request is replayed from
  inside the page with the session, file id and XSRF token of a real upload, as a client that skips
  the widget's own check would send it.
- A hostile upload shows one short line in the page: no traceback, no server path.
"""

from __future__ import annotations

from urllib.parse import urlencode

from geo import settings

TIMEOUT_MS = 90_000
HEADER = "event_id,event_date,group,location,fatalities\n"

# PUT a multipart body holding `size` bytes to `url`, with the headers the app's own upload used.
PUT_JS = """
async ([url, headers, size]) => {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(size)]), 'big.csv');
  const keep = {};
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase().startsWith('x-')) keep[k] = v;
  }
  const resp = await fetch(url, {method: 'PUT', body: form, headers: keep, credentials: 'same-origin'});
  return resp.status;
}
"""


def open_data_page(page, base_url: str) -> None:
    page.goto(f"{base_url}/data?{urlencode({'basemap': 'none'})}", wait_until="domcontentloaded")
    page.locator('[data-testid="stFileUploader"] input[type="file"]').wait_for(state="attached", timeout=TIMEOUT_MS)


def upload(page, name: str, data: bytes) -> None:
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": data}]
    )


def test_the_upload_endpoint_refuses_files_over_the_apps_limit(bundled_server, offline_page):
    page = offline_page.page
    open_data_page(page, bundled_server.url)
    with page.expect_request(lambda r: "/_stcore/upload_file/" in r.url and r.method == "PUT") as seen:
        upload(page, "small.csv", (HEADER + "U-1,2024-06-01,NRF,Khinj district,1\n").encode())
    request = seen.value
    assert request.response().status in (200, 204)
    headers = request.all_headers()
    limit = settings.MAX_INPUT_MB * 1024 * 1024
    over = page.evaluate(PUT_JS, [request.url, headers, limit + 2 * 1024 * 1024])
    assert over == 413, f"the server accepted {limit + 2 * 1024 * 1024:,} bytes (HTTP {over})"
    under = page.evaluate(PUT_JS, [request.url, headers, 1024])
    assert under in (200, 204)  # the same request, small: accepted (so 413 is the size, not the replay)


def test_a_hostile_upload_shows_one_line_in_the_page(bundled_server, offline_page):
    page = offline_page.page
    open_data_page(page, bundled_server.url)
    deep = ('{"type":"FeatureCollection","features":' + "[" * 100_000 + "]" * 100_000 + "}").encode()
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        files=[{"name": "deep.geojson", "mimeType": "application/geo+json", "buffer": deep}]
    )
    alert = page.locator('[data-testid="stAlertContentError"]').filter(has_text="This file cannot be read")
    alert.first.wait_for(timeout=TIMEOUT_MS)
    text = alert.first.inner_text().strip()
    assert text.startswith("This file cannot be read: deep.geojson: JSON nested 100,001 levels deep")
    assert "\n" not in text and "Traceback" not in text and str(settings.REPO_ROOT) not in text
    assert page.locator('[data-testid="stException"]').count() == 0
    assert "upload 'deep.geojson' failed: deep.geojson: JSON nested" in bundled_server.log()  # logged server-side
