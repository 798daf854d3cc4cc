"""The dashboard (scripts/dashboard.py): built from a real dbt build of the
tiny generated business, it must

* be one self-contained file (no network reference of any kind);
* show, for the latest month, exactly the numbers the marts hold;
* open in headless Chromium without a console error, with every chart
  rendered (every chart, once every mart it reads is built), and leave a
  screenshot in output/artifacts/dashboard.png for CI to keep.

Chromium is Debian's `chromium` package; scripts/ensure_chromium.sh
installs it when it is missing (as root, as in CI).
"""

from __future__ import annotations

import base64
import datetime as dt
import math
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "scripts"))

import dashboard  # noqa: E402
from _common import BUILD_WITHOUT_TESTS  # noqa: E402

AS_OF_DATE = "2026-10-31"
SEED = 42
ARTIFACT_DIR = REPO_ROOT / "output" / "artifacts"
SCREENSHOT = ARTIFACT_DIR / "dashboard.png"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
]


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])


def _dbt_executable() -> Path:
    return Path(sys.executable).parent / "dbt"


def _mart_models() -> set[str]:
    return {path.stem for path in (REPO_ROOT / "models" / "marts").glob("*.sql")}


@dataclass
class Built:
    warehouse: Path
    marts: list[str]
    html_path: Path
    html: str
    work: Path
    env: dict[str, str]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Generate the tiny business, dbt-run every mart the dashboard reads that
    exists as a model, and render the dashboard from it."""
    if not _dbt_executable().exists():
        pytest.skip(f"dashboard tests need dbt at {_dbt_executable()}")
    work = tmp_path_factory.mktemp("dashboard")
    raw_dir = work / "raw"
    generated = subprocess.run(
        [sys.executable, "scripts/generate_data.py", "--scale", "tiny", "--seed", str(SEED),
         "--end-date", AS_OF_DATE, "--out", str(raw_dir), "--quiet"],
        cwd=REPO_ROOT, capture_output=True, text=True,
    )
    assert generated.returncode == 0, f"generate_data.py failed:\n{_tail(generated.stdout)}\n{_tail(generated.stderr)}"

    marts = sorted(set(dashboard.DASHBOARD_MARTS) & _mart_models())
    assert "mrr_movements" in marts, "the dashboard needs at least models/marts/mrr_movements.sql"
    # Every mart (the semantic layer reads some the dashboard does not) and the time spine.
    selectors = [f"+{mart}" for mart in sorted(_mart_models())] + ["+path:models/semantic"]
    warehouse = work / "subscription_metrics.duckdb"
    env = {
        **os.environ,
        "WAREHOUSE_PATH": str(warehouse),
        "DBT_PROFILES_DIR": str(REPO_ROOT),
        "DBT_TARGET_PATH": str(work / "target"),
        "DBT_LOG_PATH": str(work / "logs"),
        "DUCKDB_TEMP_DIR": str(work / "duckdb_tmp"),
    }
    dbt_vars = json.dumps({"raw_data_dir": str(raw_dir), "as_of_date": AS_OF_DATE})
    run = subprocess.run(
        # build without tests = run, plus the seeds the models read
        [str(_dbt_executable()), *BUILD_WITHOUT_TESTS,
         "--select", *selectors, "--vars", dbt_vars],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True,
    )
    assert run.returncode == 0, f"dbt run failed:\n{_tail(run.stdout)}\n{_tail(run.stderr)}"

    html_path = dashboard.build_dashboard(warehouse, work / "dashboard.html", as_of_date=AS_OF_DATE,
                                          reporting_currency="USD")
    return Built(warehouse, marts, html_path, html_path.read_text(encoding="utf-8"), work, env)


# ---------------------------------------------------------------------------
# Reading the page back
# ---------------------------------------------------------------------------


class PageReader(HTMLParser):
    """Collects the tiles, the chart cards and the embedded data of the page."""

    def __init__(self) -> None:
        super().__init__()
        self.tiles: dict[str, dict[str, str]] = {}
        self.cards: dict[str, dict[str, str]] = {}
        self.body: dict[str, str] = {}
        self._tile: str | None = None
        self._tile_part: str | None = None
        self._in_data = False
        self.data_text = ""
        self.external_refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {key: value or "" for key, value in attrs}
        for key in ("src", "href"):
            value = attributes.get(key, "")
            if value and not value.startswith(("data:", "#")):
                self.external_refs.append(f"<{tag} {key}={value}>")
        if tag == "body":
            self.body = attributes
        if "data-metric" in attributes:
            self._tile = attributes["data-metric"]
            self.tiles[self._tile] = {**attributes, "text": "", "label": "", "change": ""}
        elif self._tile and attributes.get("class", "").startswith("tile-change"):
            self._tile_part = "change"
        elif self._tile and attributes.get("class") == "tile-value":
            self._tile_part = "text"
        elif self._tile and attributes.get("class") == "tile-label":
            self._tile_part = "label"
        if "data-chart" in attributes:
            self.cards[attributes["data-chart"]] = attributes
        if tag == "script" and attributes.get("id") == "dashboard-data":
            self._in_data = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "div" and self._tile_part:
            self._tile_part = None
        if tag == "script":
            self._in_data = False

    def handle_data(self, data: str) -> None:
        if self._in_data:
            self.data_text += data
        elif self._tile and self._tile_part:
            self.tiles[self._tile][self._tile_part] += data

    def payload(self) -> dict[str, Any]:
        return json.loads(self.data_text)


def read_page(text: str) -> PageReader:
    reader = PageReader()
    reader.feed(text)
    reader.close()
    return reader


def fetch_one(warehouse: Path, sql: str, params: list[Any] | None = None) -> dict[str, Any]:
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        cursor = con.execute(sql, params or [])
        names = [column[0] for column in cursor.description]
        row = cursor.fetchone()
    assert row is not None, f"no row for: {sql}"
    return dict(zip(names, row))


def shown_number(text: str) -> Decimal:
    """The number a tile shows: 'USD 1,234.56' -> 1234.56, '98.8%' -> 98.8."""
    cleaned = text.replace("USD", "").replace(",", "").replace("%", "").rstrip("x").replace("\xa0", " ").strip()
    return Decimal(cleaned)


# ---------------------------------------------------------------------------
# Static checks
# ---------------------------------------------------------------------------


@pytest.mark.dbt
def test_dashboard_is_one_self_contained_file(built: Built) -> None:
    page = read_page(built.html)
    assert page.external_refs == [], f"the dashboard must not load anything: {page.external_refs}"
    for pattern in (r"https?://(?!www\.w3\.org/2000/svg)", r"@import", r"url\((?!\s*['\"]?data:)", r"<script[^>]+src=",
                    r"fetch\(", r"XMLHttpRequest", r"<iframe"):
        assert not re.search(pattern, built.html), f"network reference in the dashboard: {pattern}"
    assert "Content-Security-Policy" in built.html  # and the page forbids any load besides itself
    assert page.body["data-as-of-date"] == AS_OF_DATE
    assert page.body["data-currency"] == "USD"
    assert f"As of <b id=\"as-of-date\">{AS_OF_DATE}</b>" in built.html


@pytest.mark.dbt
def test_every_chart_has_data_when_its_marts_are_built(built: Built) -> None:
    page = read_page(built.html)
    payload = page.payload()
    assert set(page.cards) == {chart_id for chart_id, *_ in dashboard.CARDS}
    for chart_id, section in payload["sections"].items():
        needs = set(section["marts"])
        if needs <= set(built.marts):
            assert section["status"] == "ok", f"{chart_id}: {section['status']} {section['message']}"
        else:
            assert section["status"] == "missing", chart_id
            assert "Not built in this warehouse" in section["message"]
    expected = sum(1 for section in payload["sections"].values() if section["status"] == "ok")
    assert payload["charts_expected"] == expected == int(page.body["data-charts-expected"])
    if set(dashboard.DASHBOARD_MARTS) <= _mart_models():
        assert expected == len(dashboard.CARDS), "every mart exists, so every chart must be filled"


@pytest.mark.dbt
def test_dashboard_numbers_equal_the_marts_for_the_latest_month(built: Built) -> None:
    page = read_page(built.html)
    payload = page.payload()
    latest = fetch_one(built.warehouse, "select * from marts.mrr_movements order by month desc limit 1")
    assert payload["latest_month"] == latest["month"].isoformat()

    expected: dict[str, tuple[Any, str]] = {
        "ending_mrr": (latest["ending_mrr"], "money"),
        "arr": (latest["arr"], "money"),
        "net_new_mrr": (latest["net_new_mrr"], "money"),
        "customers_end": (latest["customers_end"], "count"),
        "arpa": (latest["arpa"], "money"),
        "net_revenue_retention": (latest["net_revenue_retention"], "percent"),
        "gross_revenue_retention": (latest["gross_revenue_retention"], "percent"),
        "gross_mrr_churn_rate": (latest["gross_mrr_churn_rate"], "percent"),
        "quick_ratio": (latest["quick_ratio"], "ratio"),
    }
    if "churn_summary" in built.marts:
        churn = fetch_one(
            built.warehouse,
            "select logo_churn_rate from marts.churn_summary "
            "where period_type = 'month' and segment = 'all' and period_start = ?",
            [latest["month"]],
        )
        expected["logo_churn_rate"] = (churn["logo_churn_rate"], "percent")
        assert churn["logo_churn_rate"] == pytest.approx(latest["logo_churn_rate"])
    if "hidden_churn_risk" in built.marts:
        risk = fetch_one(
            built.warehouse,
            "select sum(mrr_at_risk) as mrr_at_risk, count(*) filter (where is_at_risk) as at_risk "
            "from marts.hidden_churn_risk where snapshot_date = (select max(snapshot_date) from marts.hidden_churn_risk)",
        )
        expected["mrr_at_risk"] = (risk["mrr_at_risk"], "money")
        at_risk = payload["sections"]["at_risk"]["data"]
        assert at_risk["at_risk_customers"] == risk["at_risk"]
        assert Decimal(str(at_risk["mrr_at_risk"])) == risk["mrr_at_risk"]
        assert at_risk["snapshot_date"] == AS_OF_DATE

    if "customer_lifetime_value" in built.marts:
        clv = fetch_one(built.warehouse,
                        "select avg(projected_clv) as clv from marts.customer_lifetime_value where is_active")
        expected["active_customer_clv"] = (clv["clv"], "money")
    if "clv_by_segment" in built.marts:
        unit = fetch_one(built.warehouse, "select ltv_to_cac from marts.clv_by_segment "
                                          "where segment = 'all' and acquisition_channel = 'all'")
        expected["ltv_to_cac"] = (unit["ltv_to_cac"], "multiple")

    for key, (value, kind) in expected.items():
        assert key in page.tiles, f"tile {key} missing"
        tile = page.tiles[key]
        assert tile["data-kind"] == kind
        # The exact value, as the mart holds it ...
        if isinstance(value, Decimal) or isinstance(value, int):
            assert Decimal(tile["data-value"]) == Decimal(value), key
        else:
            assert float(tile["data-value"]) == pytest.approx(value, rel=1e-12), key
        # ... and the figure a reader sees.
        shown = shown_number(tile["text"])
        if kind == "money":
            assert tile["text"].startswith("USD"), tile["text"]
            assert shown == Decimal(str(value)).quantize(Decimal("0.01")), (key, tile["text"], value)
        elif kind == "percent":
            assert shown == Decimal(str(round(100 * value, 1))), (key, tile["text"], value)
        elif kind == "ratio":
            assert shown == Decimal(str(round(value, 2))), (key, tile["text"], value)
        elif kind == "multiple":
            assert tile["text"].endswith("x") and shown == Decimal(str(round(value, 1))), (key, tile["text"], value)
        else:
            assert shown == value, (key, tile["text"], value)

    # The charts draw the same latest month.
    bridge = payload["sections"]["mrr_bridge"]["data"]
    for column in dashboard.MOVEMENT_COLUMNS[1:]:
        assert Decimal(str(bridge[column])) == latest[column], column
    movements = payload["sections"]["mrr_movements"]["data"]
    assert movements["month"][-1] == latest["month"].isoformat()
    assert Decimal(str(movements["net_new_mrr"][-1])) == latest["net_new_mrr"]
    trend = payload["sections"]["mrr_trend"]["data"]
    assert Decimal(str(trend["total"][-1])) == latest["ending_mrr"]
    assert sum(Decimal(str(segment["values"][-1])) for segment in trend["segments"]) == latest["ending_mrr"]
    if "churn_summary" in built.marts:
        rates = payload["sections"]["churn_rates"]["data"]
        assert rates["logo_churn_rate"][-1] == pytest.approx(expected["logo_churn_rate"][0])
        assert rates["gross_mrr_churn_rate"][-1] == pytest.approx(latest["gross_mrr_churn_rate"])
    if "clv_by_segment" in built.marts:
        import duckdb

        with duckdb.connect(str(built.warehouse), read_only=True) as con:
            count = con.execute("select count(*) from marts.clv_by_segment").fetchone()[0]
        assert len(payload["sections"]["clv_by_segment"]["data"]["rows"]) == count


def test_missing_marts_leave_labelled_placeholders(tmp_path: Path) -> None:
    """A warehouse with only some marts still renders, with placeholders."""
    import duckdb

    warehouse = tmp_path / "partial.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema marts")
        con.execute(
            """
            create table marts.mrr_movements as
            select
                cast(month as date) as month,
                cast(100 * i as decimal(18, 2)) as starting_mrr,
                cast(20 as decimal(18, 2)) as new_mrr,
                cast(5 as decimal(18, 2)) as expansion_mrr,
                cast(3 as decimal(18, 2)) as contraction_mrr,
                cast(2 as decimal(18, 2)) as churned_mrr,
                cast(0 as decimal(18, 2)) as reactivation_mrr,
                cast(0 as decimal(18, 2)) as fx_impact_mrr,
                cast(100 * i + 20 as decimal(18, 2)) as ending_mrr,
                cast(20 as decimal(18, 2)) as net_new_mrr,
                cast((100 * i + 20) * 12 as decimal(18, 2)) as arr,
                cast(i as bigint) as customers_start,
                cast(i + 1 as bigint) as customers_end,
                cast(1 as bigint) as new_customers,
                cast(0 as bigint) as churned_customers,
                cast(0 as bigint) as reactivated_customers,
                cast(100.0 as double) as arpa,
                cast(5.0 as double) as quick_ratio,
                cast(0.0 as double) as logo_churn_rate,
                cast(0.05 as double) as gross_mrr_churn_rate,
                cast(0.0 as double) as net_mrr_churn_rate,
                cast(1.0 as double) as net_revenue_retention,
                cast(0.95 as double) as gross_revenue_retention
            from (select unnest(generate_series(date '2026-01-01', date '2026-03-01', interval 1 month)) as month,
                         unnest(range(1, 4)) as i)
            """
        )
    out = dashboard.build_dashboard(warehouse, tmp_path / "out" / "dash.html", reporting_currency="EUR")
    page = read_page(out.read_text(encoding="utf-8"))
    payload = page.payload()
    assert payload["sections"]["mrr_bridge"]["status"] == "ok"
    assert payload["sections"]["mrr_movements"]["status"] == "ok"
    assert payload["sections"]["mrr_trend"]["status"] == "missing"  # needs mrr_movements_by_segment
    assert payload["sections"]["cohort_heatmap"]["status"] == "missing"
    assert payload["charts_expected"] == 2
    # as_of_date falls back to the end of the latest month; money is in the given currency.
    assert page.body["data-as-of-date"] == "2026-03-31"
    assert page.tiles["ending_mrr"]["text"] == "EUR 320.00"
    assert page.tiles["customers_end"]["text"] == "4"
    assert not list(out.parent.glob(".dashboard-*")), "no temporary file left behind"


def test_exposure_declares_what_the_dashboard_reads() -> None:
    import yaml

    exposures = yaml.safe_load((REPO_ROOT / "models" / "exposures.yml").read_text())["exposures"]
    dashboard_exposure = next(item for item in exposures if item["name"] == "subscription_metrics_dashboard")
    assert dashboard_exposure["type"] == "dashboard"
    declared = sorted(re.fullmatch(r"ref\('(\w+)'\)", ref).group(1) for ref in dashboard_exposure["depends_on"])
    assert declared == sorted(dashboard.DASHBOARD_MARTS)


def test_cli_reports_a_missing_warehouse(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert dashboard.main(["--warehouse", str(tmp_path / "nope.duckdb"), "--out", str(tmp_path / "d.html")]) == 1
    assert "warehouse not found" in capsys.readouterr().err


# ---------------------------------------------------------------------------
# Headless Chromium through the DevTools protocol
# ---------------------------------------------------------------------------


def ensure_chromium() -> str:
    """Path of a Chromium, installed with apt-get when missing (CI runs as root)."""
    found = shutil.which(os.environ.get("CHROMIUM_BIN", "")) if os.environ.get("CHROMIUM_BIN") else None
    if found:
        return found
    result = subprocess.run(["bash", str(REPO_ROOT / "scripts" / "ensure_chromium.sh")], capture_output=True, text=True)
    if result.returncode == 0 and result.stdout.strip():
        return result.stdout.strip().splitlines()[-1]
    message = f"headless Chromium unavailable (scripts/ensure_chromium.sh exit {result.returncode}): {_tail(result.stderr, 8)}"
    if result.returncode == 3 and not os.environ.get("CI"):
        # Not root and no apt-get: installing is impossible here (never skipped in CI).
        pytest.skip(message)
    pytest.fail(message)


class DevTools:
    """A minimal Chrome DevTools Protocol client over one page's websocket."""

    def __init__(self, websocket_url: str) -> None:
        import websocket  # websocket-client

        self._ws = websocket.create_connection(websocket_url, timeout=30, suppress_origin=True)
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, params: dict[str, Any] | None = None, timeout: float = 30) -> dict[str, Any]:
        self._next_id += 1
        message_id = self._next_id
        self._ws.send(json.dumps({"id": message_id, "method": method, "params": params or {}}))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = json.loads(self._ws.recv())
            if message.get("id") == message_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)
        raise TimeoutError(method)

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"evaluate failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, event: str, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.events:
                if message.get("method") == event:
                    return message
            self.call("Runtime.evaluate", {"expression": "0"})  # pumps pending events
            time.sleep(0.05)
        raise TimeoutError(event)

    def close(self) -> None:
        self._ws.close()


def _devtools_port(profile: Path, process: subprocess.Popen, timeout: float = 30) -> int:
    port_file = profile / "DevToolsActivePort"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_file.exists():
            lines = port_file.read_text().split()
            if lines and lines[0].isdigit():
                return int(lines[0])
        if process.poll() is not None:
            break
        time.sleep(0.1)
    raise RuntimeError("Chromium did not open its DevTools port")


def _page_websocket(port: int, timeout: float = 15) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as response:
                targets = json.loads(response.read())
            pages = [target for target in targets if target.get("type") == "page"]
            if pages:
                return pages[0]["webSocketDebuggerUrl"]
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
    raise RuntimeError("no page target in Chromium")


def _console_problems(events: list[dict[str, Any]]) -> list[str]:
    problems = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in {"error", "assert", "warning"}:
            texts = [str(arg.get("value", arg.get("description", ""))) for arg in params.get("args", [])]
            problems.append(f"console.{params['type']}: {' '.join(texts)}")
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            problems.append(f"exception: {details.get('exception', {}).get('description') or details.get('text')}")
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") in {"error", "warning"}:
            entry = params["entry"]
            problems.append(f"log {entry.get('level')} ({entry.get('source')}): {entry.get('text')} {entry.get('url', '')}")
    return problems


def _network_requests(events: list[dict[str, Any]]) -> list[str]:
    urls = [event["params"]["request"]["url"] for event in events if event.get("method") == "Network.requestWillBeSent"]
    return [url for url in urls if not url.startswith(("file:", "data:", "about:"))]


@pytest.mark.dbt
@pytest.mark.slow
def test_dashboard_renders_in_headless_chromium(built: Built, tmp_path: Path) -> None:
    browser = ensure_chromium()
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    log = (tmp_path / "chromium.log").open("w")
    process = subprocess.Popen(
        [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0",
         "--remote-debugging-address=127.0.0.1", "--window-size=1400,1000", "about:blank"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    devtools: DevTools | None = None
    try:
        port = _devtools_port(profile, process)
        devtools = DevTools(_page_websocket(port))
        for domain in ("Page", "Runtime", "Log", "Network"):
            devtools.call(f"{domain}.enable")
        devtools.call("Emulation.setDeviceMetricsOverride",
                      {"width": 1400, "height": 1000, "deviceScaleFactor": 1, "mobile": False})
        devtools.events.clear()
        devtools.call("Page.navigate", {"url": built.html_path.as_uri()})
        devtools.wait_for("Page.loadEventFired")

        expected = int(devtools.evaluate("document.body.dataset.chartsExpected"))
        deadline = time.monotonic() + 20
        rendered = -1
        while time.monotonic() < deadline:
            rendered = int(devtools.evaluate("document.body.dataset.chartsRendered || '0'"))
            if rendered >= expected:
                break
            time.sleep(0.1)
        cards = devtools.evaluate(
            "JSON.stringify([...document.querySelectorAll('[data-chart]')].map(c => ({id: c.dataset.chart, "
            "status: c.dataset.status, svgs: c.querySelectorAll('svg').length, "
            "marks: c.querySelectorAll('svg rect, svg path, svg circle').length})))"
        )
        state = {card["id"]: card for card in json.loads(cards)}
        title = devtools.evaluate("document.title")
        as_of = devtools.evaluate("document.getElementById('as-of-date').textContent")
        ending_bar = devtools.evaluate(
            "(() => { const bar = document.querySelector('[data-chart=\"mrr_bridge\"] rect[data-step=\"Ending MRR\"]');"
            " return bar ? bar.getAttribute('data-value') : null; })()"
        )

        # The screenshot CI keeps: the whole page at 1400 px wide.
        height = int(devtools.evaluate("Math.ceil(document.documentElement.scrollHeight)"))
        devtools.call("Emulation.setDeviceMetricsOverride",
                      {"width": 1400, "height": height, "deviceScaleFactor": 1, "mobile": False})
        time.sleep(0.3)
        shot = devtools.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
        ARTIFACT_DIR.mkdir(parents=True, exist_ok=True)
        SCREENSHOT.write_bytes(base64.b64decode(shot["data"]))
        devtools.call("Runtime.evaluate", {"expression": "0"})  # collect late events
        problems = _console_problems(devtools.events)
        requests = _network_requests(devtools.events)
    finally:
        if devtools is not None:
            devtools.close()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()

    assert SCREENSHOT.stat().st_size > 10_000, "screenshot looks empty"
    assert problems == [], f"console errors on the dashboard: {problems}"
    assert requests == [], f"the dashboard tried to use the network: {requests}"
    assert title == f"Subscription metrics — as of {AS_OF_DATE}"
    assert as_of == AS_OF_DATE
    assert rendered == expected, f"{rendered} of {expected} charts rendered: {state}"
    for chart_id, card in state.items():
        section_marts = next(section.marts for section in dashboard.SECTIONS if section.chart_id == chart_id)
        if set(section_marts) <= set(built.marts):
            assert card["status"] == "rendered", f"{chart_id} not rendered: {card}"
            assert card["svgs"] >= 1 and card["marks"] >= 3, f"{chart_id} drew nothing: {card}"
    if set(dashboard.DASHBOARD_MARTS) <= _mart_models():
        assert rendered == len(dashboard.CARDS), f"every mart exists, every chart must render: {state}"
    latest = fetch_one(built.warehouse, "select ending_mrr from marts.mrr_movements order by month desc limit 1")
    assert ending_bar is not None and Decimal(str(ending_bar)) == latest["ending_mrr"]



# ---------------------------------------------------------------------------
# The semantic layer agrees with the dashboard
# ---------------------------------------------------------------------------


@pytest.mark.dbt
@pytest.mark.slow
def test_metricflow_validates_and_matches_the_dashboard(built: Built) -> None:
    """`mf validate-configs` passes against the built warehouse, and the
    MetricFlow metrics of the latest month equal the dashboard's tiles."""
    mf = Path(sys.executable).parent / "mf"
    if not mf.exists():
        pytest.skip(f"needs MetricFlow (dbt-metricflow) at {mf}")
    # mf reads <project>/target/semantic_manifest.json: parse into a private
    # project directory that links to the repository's sources.
    project = built.work / "mf_project"
    project.mkdir()
    for name in ("dbt_project.yml", "profiles.yml", "models", "macros", "tests", "seeds", "analyses", "snapshots"):
        if (REPO_ROOT / name).exists():
            (project / name).symlink_to(REPO_ROOT / name)
    env = {**built.env, "DBT_PROFILES_DIR": str(project)}
    env.pop("DBT_TARGET_PATH")
    env.pop("DBT_LOG_PATH")
    dbt_vars = json.dumps({"raw_data_dir": str(built.work / "raw"), "as_of_date": AS_OF_DATE})
    parsed = subprocess.run([str(_dbt_executable()), "parse", "--vars", dbt_vars], cwd=project, env=env,
                            capture_output=True, text=True)
    assert parsed.returncode == 0, _tail(parsed.stdout)
    assert (project / "target" / "semantic_manifest.json").exists()

    validated = subprocess.run([str(mf), "validate-configs"], cwd=project, env=env, capture_output=True, text=True)
    report = (validated.stdout + validated.stderr).replace("\r", "\n")
    assert validated.returncode == 0 and "✖" not in report, _tail(report)
    assert report.count("ERRORS: 0,") >= 6, _tail(report)

    csv_path = built.work / "mf_latest.csv"
    metrics = ["mrr", "arr", "net_new_mrr", "customers", "arpa", "net_revenue_retention", "gross_revenue_retention",
               "logo_churn_rate", "quick_ratio", "mrr_at_risk"]
    queried = subprocess.run(
        [str(mf), "query", "--metrics", ",".join(metrics), "--group-by", "metric_time__month",
         "--order", "-metric_time__month", "--limit", "1", "--csv", str(csv_path)],
        cwd=project, env=env, capture_output=True, text=True,
    )
    assert queried.returncode == 0, _tail(queried.stdout + queried.stderr)
    import csv

    with csv_path.open(newline="") as handle:
        row = next(csv.DictReader(handle))
    assert row["metric_time__month"].startswith(json.loads(read_page(built.html).data_text)["latest_month"])
    tiles = read_page(built.html).tiles
    tile_for = {"mrr": "ending_mrr", "customers": "customers_end"}
    for metric in metrics:
        value = float(tiles[tile_for.get(metric, metric)]["data-value"])
        assert float(row[metric]) == pytest.approx(value, rel=1e-9, abs=0.005), metric

    # Customer value: not by month (CLV belongs to customers, LTV:CAC to a trailing year).
    value_queries = {
        "active_customer_clv": [],
        "ltv_to_cac": ["--where", "{{ Dimension('clv_group__segment') }} = 'all' and "
                                  "{{ Dimension('clv_group__acquisition_channel') }} = 'all'"],
    }
    for metric, extra in value_queries.items():
        if metric not in tiles:
            continue
        out = built.work / f"mf_{metric}.csv"
        result = subprocess.run([str(mf), "query", "--metrics", metric, *extra, "--csv", str(out)],
                                cwd=project, env=env, capture_output=True, text=True)
        assert result.returncode == 0, _tail(result.stdout + result.stderr)
        with out.open(newline="") as handle:
            value = float(next(csv.DictReader(handle))[metric])
        assert value == pytest.approx(float(tiles[metric]["data-value"]), rel=1e-9, abs=0.005), metric


# ---------------------------------------------------------------------------
# Like for like: a partial month is not compared with a whole one
# ---------------------------------------------------------------------------


def test_report_month_is_the_latest_complete_month() -> None:
    months = [dt.date(2026, 9, 1), dt.date(2026, 10, 1), dt.date(2026, 11, 1), dt.date(2026, 12, 1)]
    assert dashboard.report_month_for(months, "2026-12-05") == (dt.date(2026, 11, 1), dt.date(2026, 12, 1))
    assert dashboard.report_month_for(months, "2026-12-31") == (dt.date(2026, 12, 1), None)
    assert dashboard.report_month_for(months, "2026-11-30") == (dt.date(2026, 11, 1), dt.date(2026, 12, 1))
    assert dashboard.report_month_for(months[:1], "2026-09-12") == (dt.date(2026, 9, 1), None)  # nothing complete yet
    assert dashboard.report_month_for([], "2026-09-12") == (None, None)
    assert dashboard.month_end(dt.date(2028, 2, 1)) == dt.date(2028, 2, 29)


@pytest.mark.dbt
def test_a_partial_month_leaves_the_tiles_on_the_last_complete_one(built: Built, tmp_path: Path) -> None:
    """As of the 15th, the tiles show the month before against the one before
    that (both whole months), say so, and the flow charts stop there too."""
    months = [row["month"] for row in [fetch_one(built.warehouse, "select max(month) as month from marts.mrr_movements")]]
    latest = months[0]
    as_of = (latest + dt.timedelta(days=14)).isoformat()
    shown = (latest - dt.timedelta(days=1)).replace(day=1)
    before = (shown - dt.timedelta(days=1)).replace(day=1)
    path = dashboard.build_dashboard(built.warehouse, tmp_path / "partial.html", as_of_date=as_of)
    text = path.read_text(encoding="utf-8")
    page = read_page(text)
    payload = page.payload()
    assert payload["latest_month"] == shown.isoformat()
    assert payload["partial_month"]["month"] == latest.isoformat() and payload["partial_month"]["days"] == 15
    month_row = fetch_one(built.warehouse, "select * from marts.mrr_movements where month = ?", [shown])
    previous_row = fetch_one(built.warehouse, "select * from marts.mrr_movements where month = ?", [before])
    for key in ("ending_mrr", "net_new_mrr", "customers_end"):
        assert Decimal(page.tiles[key]["data-value"]) == Decimal(str(month_row[key])), key
    # The change is against the month before, named on the tile.
    change = float(month_row["net_new_mrr"]) - float(previous_row["net_new_mrr"])
    net_new_text = page.tiles["net_new_mrr"]["change"]
    assert f"vs {before.strftime('%b %Y')}" in net_new_text
    assert ("▲" if change > 0 else "▼") in net_new_text
    assert 'id="partial-month"' in text and latest.strftime("%B %Y") in text
    movements = payload["sections"]["mrr_movements"]["data"]["month"]
    assert max(movements) == shown.isoformat()
    assert max(payload["sections"]["churn_rates"]["data"]["month"]) == shown.isoformat()
    assert payload["sections"]["mrr_bridge"]["data"]["month"] == shown.isoformat()
    assert max(payload["sections"]["mrr_trend"]["data"]["months"]) == latest.isoformat()  # a stock keeps the month to date
    # As of the month's last day nothing is partial: the page is the usual one.
    assert "partial-month" not in built.html


def test_sbg_expected_lifetime_is_the_sum_of_the_survival_curve() -> None:
    for alpha, beta in [(2.0, 3.0), (3.8, 15.0), (414.91, 19585.10), (2.5, 0.7)]:
        log_b = math.lgamma(alpha) + math.lgamma(beta) - math.lgamma(alpha + beta)
        survival = [math.exp(math.lgamma(alpha) + math.lgamma(beta + t) - math.lgamma(alpha + beta + t) - log_b)
                    for t in range(200_000)]
        assert dashboard.expected_lifetime(alpha, beta) == pytest.approx(sum(survival), rel=2e-3)
    assert dashboard.expected_lifetime(0.9, 5.0) is None  # the mean does not exist
    assert dashboard.expected_lifetime(None, 5.0) is None


def test_dashboard_script_and_styles_are_files_the_page_inlines(tmp_path: Path) -> None:
    script = dashboard.SCRIPT_FILE.read_text(encoding="utf-8")
    styles = dashboard.STYLE_FILE.read_text(encoding="utf-8")
    assert dashboard.SCRIPT_FILE.suffix == ".js" and dashboard.STYLE_FILE.suffix == ".css"
    page = dashboard.render_html({"currency": "USD", "as_of_date": "2026-10-31", "latest_month": "2026-10-01",
                                  "sections": {chart_id: {"status": "missing", "message": "m", "marts": []}
                                               for chart_id, *_ in dashboard.CARDS},
                                  "charts_expected": 0, "generated_at": "now", "warehouse_name": "w.duckdb"}, "")
    assert script.strip() in page and styles.strip() in page
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the script's syntax is checked by the browser test only")
    checked = subprocess.run([node, "--check", str(dashboard.SCRIPT_FILE)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


def test_same_days_last_month_clips_to_its_length() -> None:
    assert dashboard.same_days_last_month(dt.date(2026, 12, 5)) == (dt.date(2026, 11, 1), dt.date(2026, 11, 5))
    assert dashboard.same_days_last_month(dt.date(2026, 3, 31)) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert dashboard.same_days_last_month(dt.date(2028, 3, 30)) == (dt.date(2028, 2, 1), dt.date(2028, 2, 29))
    assert dashboard.same_days_last_month(dt.date(2027, 1, 1)) == (dt.date(2026, 12, 1), dt.date(2026, 12, 1))


@pytest.mark.dbt
def test_a_partial_month_is_compared_like_for_like(built: Built, tmp_path: Path) -> None:
    """As of the 15th, month-to-date tiles put days 1-15 beside days 1-15 of
    the month before, and say so. Expected values come from the movement
    ledger (mrr_ledger), not from daily_mrr, which the dashboard reads."""
    latest = fetch_one(built.warehouse, "select max(month) as month from marts.mrr_movements")["month"]
    as_of = latest + dt.timedelta(days=14)
    since, until = (latest - dt.timedelta(days=1)).replace(day=1), latest - dt.timedelta(days=1)
    until = until.replace(day=15)
    path = dashboard.build_dashboard(built.warehouse, tmp_path / "mtd.html", as_of_date=as_of.isoformat())
    text = path.read_text(encoding="utf-8")
    page = read_page(text)

    def expected(first: dt.date, last: dt.date) -> dict[str, Any]:
        return fetch_one(built.warehouse, """
            with state as (
                select customer_id, arg_max(mrr_after, movement_date) as mrr
                from marts.mrr_ledger where movement_date <= ? group by customer_id
            ), flows as (
                select
                    coalesce(sum(mrr_change) filter (where movement = 'new'), 0) as new_mrr,
                    coalesce(-sum(mrr_change) filter (where movement = 'churn'), 0) as churned_mrr,
                    coalesce(sum(mrr_change), 0) as net_new_mrr
                from marts.mrr_ledger where movement_date between ? and ?
            )
            select (select coalesce(sum(mrr), 0) from state) as mrr,
                   (select count(*) from state where mrr > 0) as customers, flows.*
            from flows
        """, [last, first, last])

    now, before = expected(latest, as_of), expected(since, until)
    assert before["mrr"] > 0 and now["new_mrr"] + now["churned_mrr"] + before["new_mrr"] > 0, "a test that can fail"
    for key in ("mrr", "customers", "new_mrr", "churned_mrr", "net_new_mrr"):
        tile = page.tiles[f"mtd_{key}"]
        assert Decimal(tile["data-value"]) == Decimal(str(now[key])), key
        change = float(now[key]) - float(before[key])
        label = f"vs {since.strftime('%b')} 1-15"
        assert label in tile["change"] or (change == 0 and "no change" in tile["change"]), (key, tile["change"])
        if change:
            assert ("▲" if change > 0 else "▼") in tile["change"], key
    assert 'id="month-to-date"' in text and "like for like: days 1-15" in text
    payload = page.payload()
    assert payload["month_to_date"]["compared_to"] == until.isoformat()
    # The usual page (as of a month's last day) has no month-to-date strip.
    assert "tiles-month-to-date" not in built.html
