"""docs/_tools/bench.py and the results it committed to docs/_static/bench/.

`make bench` itself needs `wrk` and a few minutes of load, so it is not run
here; these tests check that the committed results are complete, made with
the commands the server pages show today, without errors (or with the errors
named in the table the page shows), and that the tables and charts the
choosing-a-server page shows, in each language, are exactly what
results.json says, legible on a phone and in the order of the tables.
"""

import json
import re
import sys
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs" / "_tools"))

import bench  # noqa: E402

BENCH = ROOT / "docs/_static/bench"
RESULTS = BENCH / "results.json"
# The files the page shows, one of each per language.
FILES = {
    "en": ("docs/_static/bench/results.en.txt", "docs/_static/bench/results.en.svg"),
    "zh_CN": ("docs/_static/bench/results.zh_CN.txt", "docs/_static/bench/results.zh_CN.svg"),
}
PAGE = ROOT / "docs/choosing-a-server.md"
SVG = "{http://www.w3.org/2000/svg}"
PHONE_COLUMN = 390  # CSS px of content width on a phone
SMALLEST_TEXT = 11  # CSS px


@pytest.fixture(scope="module")
def results():
    return json.loads(RESULTS.read_text())


def test_both_languages_have_a_table_and_a_chart_and_nothing_else_is_left():
    assert bench.LANGUAGES == tuple(FILES)
    expected = {"results.json"} | {Path(f).name for pair in FILES.values() for f in pair}
    written = {p.name for p in BENCH.glob("results*")}
    assert written == expected


def test_every_documented_server_was_measured_in_every_scenario(results):
    measured = [s["name"] for s in results["servers"]]
    assert measured == [name for name, *_ in bench.SERVERS]
    load = results["load"]
    assert load["async"]["connections"] == list(bench.ASYNC_CONNECTIONS)
    assert len(load["async"]["connections"]) >= 3 and max(load["async"]["connections"]) >= 1024
    assert load["sse"]["connections"] == bench.SSE_CONNECTIONS >= 1000
    for server in results["servers"]:
        for result in [server["sync"], *server["async"]]:
            assert result["requests"] > 0 and result["requests_per_s"] > 0, server["name"]
            assert 0 <= result["other_cpu_percent"] <= 100, server["name"]
            latency = result["latency_ms"]
            assert 0 < latency["p50"] <= latency["p90"] <= latency["p99"], server["name"]
        assert [r["connections"] for r in server["async"]] == load["async"]["connections"]
        sse = server["sse"]
        assert sse["opened"] + sse["errors"] == sse["connections"] == load["sse"]["connections"]
        assert sse["processes"] >= 1 and sse["rss_after_kib"] > sse["rss_before_kib"] > 0
        assert sse["kib_per_connection"] > 0


def test_the_async_view_waited_on_its_upstream(results):
    """No request to /quote/ can take less than the upstream's delay."""
    delay = results["load"]["async"]["upstream_delay_ms"]
    assert delay == bench.UPSTREAM_DELAY * 1000 == 100
    for server in results["servers"]:
        for result in server["async"]:
            assert result["latency_ms"]["p50"] >= delay, server["name"]
            # Each connection makes at most one request per delay.
            ceiling = result["connections"] * 1000 / delay
            assert result["requests_per_s"] <= ceiling, (server["name"], result)


def test_errors_are_zero_or_named_in_both_tables(results):
    failed = bench.error_list(results)
    for language, (table, _) in FILES.items():
        text = (ROOT / table).read_text()
        t = bench.TEXT[language]
        if not failed:
            assert t["errors_none"] in " ".join(text.split())
            continue
        for name, scenario, errors in failed:
            line = t["error_line"].format(name=name, errors=errors,
                                          scenario=bench.scenario_name(t, scenario))
            assert line in text.splitlines(), (language, line)
    # The synchronous page, at 64 connections, never fails on any server.
    assert [f for f in failed if f[1]["kind"] == "sync"] == []


def test_the_page_says_which_servers_had_errors(results):
    """The paragraph under the chart names each server and scenario with errors."""
    page = " ".join(PAGE.read_text().split())
    said = page.split("In this run ", 1)[1].split("Read the numbers with care", 1)[0]
    failed = bench.error_list(results)
    for name, scenario, errors in failed:
        assert name in said and str(errors) in said, (name, scenario)
        if scenario["kind"] == "sse":
            assert f"opened {scenario['opened']:,} of the {scenario['connections']:,} SSE" in said
    clean = [n for n, *_ in bench.SERVERS if n not in {f[0] for f in failed}]
    assert "every request to the synchronous page and to the async view was answered" in said
    assert not [f for f in failed if f[1]["kind"] == "async"]
    assert not any(n in said for n in clean)


@pytest.mark.parametrize("name, page, startswith, dists", bench.SERVERS)
def test_results_were_made_with_the_command_the_page_shows(results, name, page, startswith,
                                                           dists):
    """Change a server page's command and this fails until `make bench` runs again."""
    measured = {s["name"]: s for s in results["servers"]}[name]
    assert measured["command"] == bench.page_command(page, startswith).text
    assert measured["page"] == page
    assert (measured["streaming_command"]
            == bench.page_command(bench.STREAMING_PAGE, startswith).text)


def test_results_record_the_machine_versions_and_date(results):
    machine = results["machine"]
    assert machine["cpu"] and machine["cores"] >= 1
    assert machine["django"].startswith("5.2.")
    assert machine["load_tool"].startswith("wrk ")
    assert len(results["date"]) == 10 and results["date"][4] == "-"
    load = results["load"]
    assert load["duration_s"] > 0 and load["sync"]["connections"] > 0
    assert load["open_files_limit"] > 2 * max(load["async"]["connections"])


@pytest.mark.parametrize("language", FILES)
def test_table_and_chart_are_rendered_from_results_json(results, language):
    table, chart = FILES[language]
    assert (ROOT / table).read_text() == bench.render_table(results, language)
    assert (ROOT / chart).read_text() == bench.render_chart(results, language)


def texts(chart: str) -> list[ET.Element]:
    return list(ET.fromstring(chart).iter(f"{SVG}text"))


@pytest.mark.parametrize("language", FILES)
def test_chart_loads_nothing_and_shows_every_server_and_value(results, language):
    svg = (ROOT / FILES[language][1]).read_text()
    assert "<script" not in svg and "href" not in svg and "url(" not in svg
    shown = [t.text for t in texts(svg)]
    number, number1 = bench.TEXT[language]["number"], bench.TEXT[language]["number1"]
    for server in results["servers"]:
        # One label in each scenario, in the page's language.
        assert shown.count(bench.server_name(bench.TEXT[language], server["name"])) == 3
        assert number.format(server["sync"]["requests_per_s"]) in shown
        for result in server["async"]:
            value = number.format(result["requests_per_s"])
            assert value in shown or bench.TEXT[language]["value_errors"].format(
                value=value, errors=bench.errors_of(result)) in shown
        assert any(s.startswith(number1.format(server["sse"]["kib_per_connection"]) + " KiB")
                   for s in shown)


@pytest.mark.parametrize("language", FILES)
def test_chart_bars_are_in_the_order_of_the_table(results, language):
    svg = (ROOT / FILES[language][1]).read_text()
    table = (ROOT / FILES[language][0]).read_text()
    names = [bench.server_name(bench.TEXT[language], s["name"]) for s in results["servers"]]
    if language == "zh_CN":  # a setup's name is translated, as the pages call it
        assert "Gunicorn 搭配 Uvicorn 工作进程" in names and "Gunicorn's ASGI worker" not in names
    labels = [t.text for t in texts(svg) if t.text in names]
    # Three scenarios, the same order each time, from top to bottom.
    assert labels == names * 3
    ys = [float(t.get("y")) for t in texts(svg) if t.text in names]
    assert ys == sorted(ys)
    # The table's rows, scenario by scenario: the same order again, and in
    # the async table the same order at each number of connections.
    rows = [line.split("  ")[0] for line in table.splitlines()]
    rows = [row for row in rows if row in names]
    levels = len(results["load"]["async"]["connections"])
    assert rows == names + names * levels + names


@pytest.mark.parametrize("language", FILES)
def test_chart_text_is_at_least_11_css_px_on_a_phone(language):
    """The page inlines the SVG at the width of its column, at most its max-width."""
    root = ET.fromstring((ROOT / FILES[language][1]).read_text())
    view_width = float(root.get("viewBox").split()[2])
    assert root.get("width") == "100%"
    max_width = float(re.search(r"max-width:\s*([\d.]+)px", root.get("style"))[1])
    rendered = min(PHONE_COLUMN, max_width)
    sizes = [float(t.get("font-size")) for t in root.iter(f"{SVG}text")]
    assert sizes and min(sizes) * rendered / view_width >= SMALLEST_TEXT
    # On a wide screen it stops growing, and the largest text stays moderate.
    assert max(sizes) * max_width / view_width <= 24


@pytest.mark.parametrize("language", FILES)
def test_chart_values_stay_clear_of_the_bars_and_inside_the_chart(language):
    """Each value is written after the end of its bar, and fits in the width."""
    root = ET.fromstring((ROOT / FILES[language][1]).read_text())
    view_width = float(root.get("viewBox").split()[2])
    rects = list(root.iter(f"{SVG}rect"))
    assert rects
    values = {}
    for t in root.iter(f"{SVG}text"):
        values.setdefault(round(float(t.get("y")), 1), []).append(t)
    for rect in rects:
        end = float(rect.get("x")) + float(rect.get("width"))
        y = round(float(rect.get("y")) + float(rect.get("height")) - 2.5, 1)
        after = [t for t in values[y] if float(t.get("x")) > end]
        assert len(after) == 1, (rect.attrib, [t.text for t in values[y]])
        value = after[0]
        assert float(value.get("x")) + bench._text_width(value.text, float(
            value.get("font-size"))) <= view_width + 0.5, value.text
    # No gridlines to draw values on: the bars and the text are all there is.
    assert not list(root.iter(f"{SVG}line")) and not list(root.iter(f"{SVG}path"))


@pytest.mark.parametrize("language", FILES)
def test_chart_follows_light_and_dark_mode(language):
    svg = (ROOT / FILES[language][1]).read_text()
    style = ET.fromstring(svg).find(f"{SVG}style").text
    assert "@media (prefers-color-scheme: dark)" in style
    assert 'body[data-theme="dark"] .bench-chart' in style
    assert 'body[data-theme="light"] .bench-chart' in style
    # No background of its own: it is drawn on the page's.
    assert "background" not in style and 'class="bg"' not in svg


def cjk(text: str) -> int:
    return sum(unicodedata.east_asian_width(c) == "W" for c in text)


def test_chinese_chart_and_table_are_in_chinese_and_english_ones_are_not():
    zh_text = " ".join(t.text for t in texts((ROOT / FILES["zh_CN"][1]).read_text()))
    en_text = " ".join(t.text for t in texts((ROOT / FILES["en"][1]).read_text()))
    assert "每秒请求数" in zh_text and "内存" in zh_text and "同步页面" in zh_text
    # Chinese writes numbers without thousands separators.
    assert not re.search(r"\d,\d{3}", zh_text)
    assert cjk(en_text) == 0 and cjk((ROOT / FILES["en"][0]).read_text()) == 0
    zh_table = (ROOT / FILES["zh_CN"][0]).read_text()
    assert "服务器" in zh_table and "请求/秒" in zh_table and "错误" in zh_table
    assert 'lang="zh-CN"' in (ROOT / FILES["zh_CN"][1]).read_text()


def test_chinese_table_columns_line_up():
    """Chinese headings take two columns a character: the rows still line up."""
    lines = (ROOT / FILES["zh_CN"][0]).read_text().splitlines()
    separators = [i for i, line in enumerate(lines) if line and set(line) <= {"-", " "}]
    assert len(separators) == 3
    for i in separators:
        assert bench.width(lines[i - 1]) == bench.width(lines[i]) == bench.width(lines[i + 1])


def test_the_page_shows_each_languages_files():
    page = PAGE.read_text()
    assert "```{language-file} _static/bench/results.{language}.svg\n:as: svg\n```" in page
    assert "```{language-file} _static/bench/results.{language}.txt\n```" in page


WRK_OUTPUT = """\
Running 10s test @ http://127.0.0.1:8000/
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   172.83ms   69.63ms    1.02s    53.66%
    Req/Sec   187.70    119.17   343.00     50.52%
  Latency Distribution
     50%  850.00us
     75%  234.93ms
     90%  265.54ms
     99%    1.20s
  3686 requests in 10.01s, 979.10KB read
  Socket errors: connect 0, read 3, write 0, timeout 2
  Non-2xx or 3xx responses: 7
Requests/sec:    368.24
Transfer/sec:     97.81KB
"""


def test_wrk_output_is_read_with_its_units_and_errors():
    result = bench.parse_wrk(WRK_OUTPUT)
    assert result == {
        "requests": 3686,
        "requests_per_s": 368.2,
        "latency_ms": {"p50": 0.85, "p90": 265.54, "p99": 1200.0},
        "socket_errors": 5,
        "non_2xx_3xx": 7,
    }
    assert bench.errors_of(result) == 12


def test_table_width_counts_chinese_characters_twice():
    assert bench.width("服务器") == 6 and bench.width("p50 ms") == 6
    assert bench.table([("服务器", "x"), ("Uvicorn", "12")]) == [
        "服务器    x", "-------  --", "Uvicorn  12"]
