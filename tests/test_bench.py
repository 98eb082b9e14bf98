"""docs/_tools/bench.py and the results it committed to docs/_static/bench/.

`make bench` itself needs `wrk` and a minute of load, so it is not run here;
these tests check that the committed results are complete, error-free, made
with the commands the server pages show today, and that the table and chart
the choosing-a-server page shows are exactly what results.json says.
"""

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs" / "_tools"))

import bench  # noqa: E402

RESULTS = ROOT / "docs/_static/bench/results.json"
TABLE = ROOT / "docs/_static/bench/results.txt"
CHART = ROOT / "docs/_static/bench/results.svg"


@pytest.fixture(scope="module")
def results():
    return json.loads(RESULTS.read_text())


def test_every_documented_server_was_measured_without_errors(results):
    measured = {s["name"]: s for s in results["servers"]}
    assert list(measured) == [name for name, *_ in bench.SERVERS]
    for server in measured.values():
        assert server["socket_errors"] == 0 and server["non_2xx_3xx"] == 0, server
        assert server["requests"] > 0 and server["requests_per_s"] > 0, server
        assert 0 <= server["other_cpu_percent"] <= 100, server
        latency = server["latency_ms"]
        assert 0 < latency["p50"] <= latency["p90"] <= latency["p99"], server


@pytest.mark.parametrize("name, page, startswith, dists", bench.SERVERS)
def test_results_were_made_with_the_command_the_page_shows(results, name, page, startswith,
                                                           dists):
    """Change a server page's command and this fails until `make bench` runs again."""
    measured = {s["name"]: s for s in results["servers"]}[name]
    assert measured["command"] == bench.page_command(page, startswith).text
    assert measured["page"] == page


def test_results_record_the_machine_versions_and_date(results):
    machine = results["machine"]
    assert machine["cpu"] and machine["cores"] >= 1
    assert machine["django"].startswith("5.2.")
    assert machine["load_tool"].startswith("wrk ")
    assert len(results["date"]) == 10 and results["date"][4] == "-"
    assert results["load"]["duration_s"] > 0 and results["load"]["connections"] > 0


def test_table_is_rendered_from_results_json(results):
    assert TABLE.read_text() == bench.render_table(results)


def test_chart_is_rendered_from_results_json_and_loads_nothing(results):
    svg = CHART.read_text()
    assert svg == bench.render_chart(results)
    assert "<script" not in svg and "xlink:href" not in svg
    for server in results["servers"]:
        assert f"{server['requests_per_s']:,.0f}" in svg
        assert server["name"] in svg


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
