"""The sweep report: pages built from small sweep folders of synthetic rows whose numbers the
tests choose, checked against statistics computed here independently; one real tiny sweep."""

import html
import json
import math
import re

import numpy as np
import pytest

from ballast.report.charts import echarts_source
from ballast.report.sweep import build_sweep_report, distribution, wilson_interval
from ballast.store.sweep_folder import SweepFolder, SweepFolderError

T0 = 1_700_000_000
Z = 1.959963984540054


# --- building folders ---------------------------------------------------------------------------


def _spec(axes=(), seeds=20, keep_worst=None, description="", name="synthetic"):
    return {"name": name, "description": description, "base": "/nowhere/base.toml", "seeds": seeds,
            "draws": 0, "axes": [{"key": k, "values": list(v), "dist": None} for k, v in axes],
            "series_every_minutes": 60, "keep_full": [], "keep_worst": keep_worst}


def _row(i, values=None, **figures):
    row = {"run_id": f"run{i:03d}", "seed": i, "draw": 0}
    row.update({f"axis.{k}": v for k, v in (values or {}).items()})
    row.update({"bad_debt_usd": 0.0, "socialised_loss_usd": 0.0, "insurance_fund_min_usd": 1000.0,
                "insurance_fund_depleted_day": None, "agent.lp.return_pct": 0.0})
    row.update(figures)
    row.update({"status": "ok", "error": None})
    return row


def _failed(i, error, values=None):
    row = {"run_id": f"bad{i:03d}", "seed": i, "draw": 0, "status": "error", "error": error}
    row.update({f"axis.{k}": v for k, v in (values or {}).items()})
    return row


def _fund(run_id, balances):
    n = len(balances)
    return {"run_id": [run_id] * n, "ts": [T0 + 3600 * k for k in range(n)],
            "name": ["insurance_fund_usd"] * n, "value": [float(b) for b in balances]}


def _folder(tmp_path, spec, rows, series=(), failed=()):
    folder = SweepFolder(tmp_path / "sweep")
    folder.prepare(spec, [r["run_id"] for r in [*rows, *failed]])
    folder.append(rows, list(series))
    folder.append(list(failed), [])
    return folder.path


def _page(path) -> str:
    return build_sweep_report(path).read_text(encoding="utf-8")


# --- reading the page ---------------------------------------------------------------------------


def _section(page, anchor):
    found = re.search(f'<section id="{anchor}">(.*?)</section>', page, re.S)
    return found.group(1) if found else None


def _rows(fragment):
    """Every table row of an HTML fragment as a list of its cells' text."""
    return [[html.unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", tr, re.S)]
            for tr in re.findall(r"<tr>(.*?)</tr>", fragment, re.S)]


def _charts(fragment):
    """The specs of the charts of an HTML fragment, in page order."""
    return [json.loads(html.unescape(spec)) for spec in re.findall(r'<div class="chart"[^>]* data-chart="([^"]*)"', fragment)]


def _row_starting(fragment, first):
    return next(r for r in _rows(fragment) if r and r[0].startswith(first))


def _number(text):
    return float(text.replace(",", ""))


# --- statistics ---------------------------------------------------------------------------------


def test_var_and_cvar_of_a_return_are_taken_in_the_lower_tail():
    values = [math.sin(7 * i) * 10 + i / 9 for i in range(100)]

    d = distribution(values, higher_is_worse=False)

    for level in (95, 99):
        var = np.quantile(values, 1 - level / 100)
        assert d[f"var_{level}"] == pytest.approx(var, abs=1e-9)
        assert d[f"cvar_{level}"] == pytest.approx(np.mean([v for v in values if v <= var]), abs=1e-9)


def test_var_and_cvar_of_a_loss_are_taken_in_the_upper_tail():
    values = [abs(math.cos(3 * i)) * 1000 for i in range(100)]

    d = distribution(values, higher_is_worse=True)

    for level in (95, 99):
        var = np.quantile(values, level / 100)
        assert d[f"var_{level}"] == pytest.approx(var, abs=1e-9)
        assert d[f"cvar_{level}"] == pytest.approx(np.mean([v for v in values if v >= var]), abs=1e-9)


def test_quantiles_of_a_distribution_interpolate_like_numpy():
    values = [3.0, -1.0, 7.5, 2.0, 2.0, 10.0, None, 4.25]

    d = distribution(values)

    present = [v for v in values if v is not None]
    assert d["count"] == 7
    for q in (1, 5, 25, 50, 75, 95, 99):
        assert d[f"p{q}"] == pytest.approx(np.quantile(present, q / 100), abs=1e-12)
    assert d["std"] == pytest.approx(np.std(present, ddof=1))


def test_wilson_interval_matches_its_closed_form():
    k, n = 5, 20

    low, high = wilson_interval(k, n)

    p = k / n
    half = Z * math.sqrt(n) / (n + Z * Z) * math.sqrt(p * (1 - p) + Z * Z / (4 * n))
    centre = (k + Z * Z / 2) / (n + Z * Z)
    assert (low, high) == pytest.approx((centre - half, centre + half), abs=1e-12)


# --- the page -----------------------------------------------------------------------------------


def test_probability_of_socialised_loss_is_shown_with_its_wilson_interval(tmp_path):
    rows = [_row(i, socialised_loss_usd=100.0 * (i + 1) if i % 4 == 0 else 0.0) for i in range(20)]
    path = _folder(tmp_path, _spec(), rows)

    page = _page(path)

    cells = _row_starting(_section(page, "bad-debt-and-the-insurance-fund"), "socialised loss")
    p = 5 / 20
    half = Z * math.sqrt(p * (1 - p) / 20 + Z * Z / 1600) / (1 + Z * Z / 20)
    centre = (p + Z * Z / 40) / (1 + Z * Z / 20)
    assert cells[1:] == ["20", "5", "25.00", f"{100 * (centre - half):.2f}", f"{100 * (centre + half):.2f}"]


def test_distribution_table_shows_var_and_cvar_of_each_agent_return(tmp_path):
    returns = [round(math.sin(5 * i) * 8 - i / 10, 4) for i in range(40)]
    path = _folder(tmp_path, _spec(seeds=40), [_row(i, **{"agent.lp.return_pct": r}) for i, r in enumerate(returns)])

    page = _page(path)

    table = _section(page, "distributions")
    header = _rows(table)[0]
    cells = _row_starting(table, "agent.lp.return_pct")
    var = np.quantile(returns, 0.05)
    cvar = np.mean([r for r in returns if r <= var])
    assert cells[header.index("count")] == "40"
    assert _number(cells[header.index("var_95")]) == pytest.approx(var, abs=1e-4)
    assert _number(cells[header.index("cvar_95")]) == pytest.approx(cvar, abs=1e-4)


def test_time_to_insurance_fund_depletion_is_summarised_over_depleted_points(tmp_path):
    days = [1.0, 2.5, 4.0, None, None, None]
    path = _folder(tmp_path, _spec(seeds=6), [_row(i, insurance_fund_depleted_day=d) for i, d in enumerate(days)])

    page = _page(path)

    risk = _section(page, "bad-debt-and-the-insurance-fund")
    assert _row_starting(risk, "empty insurance fund")[1:3] == ["6", "3"]
    header, cells = _rows(risk.split("Time to insurance fund depletion")[1])[:2]
    assert cells[0] == "3"
    assert _number(cells[header.index("p50 (days)")]) == pytest.approx(2.5)
    assert _number(cells[header.index("mean (days)")]) == pytest.approx(2.5)


def test_heatmap_shows_the_mean_of_each_cell_of_two_grid_axes(tmp_path):
    axes = [("agents.lp.collateral_usd", [1000, 2000]), ("agents.noise.arrivals_per_hour", [10, 30, 60])]
    rows = []
    for seed in range(2):
        for a in (1000, 2000):
            for b in (10, 30, 60):
                value = a / 1000 + b / 10 + seed  # cell mean: a/1000 + b/10 + 0.5
                rows.append(_row(len(rows), {axes[0][0]: a, axes[1][0]: b}, **{"agent.lp.return_pct": value}))
    path = _folder(tmp_path, _spec(axes=axes, seeds=2), rows)

    page = _page(path)

    heatmaps = _section(page, "heatmaps")
    assert [_number(c) for c in _row_starting(heatmaps, "2000")[1:]] == [3.5, 5.5, 8.5]
    (chart,) = _charts(heatmaps)
    assert chart["kind"] == "heatmap" and chart["y"]["categories"] == ["1000", "2000"]
    assert chart["x"] == {"name": "arrivals_per_hour", "categories": ["10", "30", "60"]}
    assert sorted(chart["cells"]) == [[0, 0, 2.5], [0, 1, 3.5], [1, 0, 4.5], [1, 1, 5.5], [2, 0, 7.5], [2, 1, 8.5]]
    assert chart["missing"] == [] and (chart["min"], chart["max"]) == (2.5, 8.5) and not chart["higher_is_worse"]


def test_heatmap_metric_is_bad_debt_when_a_point_has_bad_debt(tmp_path):
    axes = [("x.a", [1, 2]), ("x.b", [3, 4])]
    rows = [_row(i, {"x.a": a, "x.b": b}, bad_debt_usd=float(10 * a + b))
            for i, (a, b) in enumerate([(1, 3), (1, 4), (2, 3), (2, 4)])]
    path = _folder(tmp_path, _spec(axes=axes, seeds=1), rows)

    page = _page(path)

    heatmaps = _section(page, "heatmaps")
    assert "Mean bad_debt_usd (USD)" in heatmaps
    assert [_number(c) for c in _row_starting(heatmaps, "1")[1:]] == [13.0, 14.0]


def test_entry_day_curve_gives_median_and_band_per_entry_day_and_other_axis(tmp_path):
    axes = [("agents.lp.enter_at_day", [1, 5]), ("agents.noise.arrivals_per_hour", [10, 30])]
    returns: dict[tuple, list[float]] = {}
    rows = []
    for seed in range(7):
        for day in (1, 5):
            for flow in (10, 30):
                value = day * 0.3 - flow / 20 + math.sin(seed * day + flow)
                returns.setdefault((day, flow), []).append(value)
                rows.append(_row(len(rows), {axes[0][0]: day, axes[1][0]: flow}, **{"agent.lp.return_pct": value}))
    path = _folder(tmp_path, _spec(axes=axes, seeds=7), rows)

    page = _page(path)

    curve = _section(page, "entry-day-curve")
    (chart,) = _charts(curve)
    lines = {(s["name"], bool(s.get("band"))): s for s in chart["panels"][0]["series"]}
    assert set(lines) == {("arrivals_per_hour=10", False), ("arrivals_per_hour=10", True),
                          ("arrivals_per_hour=30", False), ("arrivals_per_hour=30", True)}
    median, band = lines[("arrivals_per_hour=30", False)], lines[("arrivals_per_hour=30", True)]
    assert median["x"] == [1, 5] and median["y"][1] == pytest.approx(np.median(returns[(5, 30)]), abs=1e-6)
    assert band["lo"][1] == pytest.approx(np.quantile(returns[(5, 30)], 0.05), abs=1e-6)
    table = [r for r in _rows(curve) if r[0] == "30" and r[1].startswith("5")]
    values = returns[(5, 30)]
    assert len(table) == 1
    assert table[0][2] == "7"
    assert [_number(c) for c in table[0][3:]] == pytest.approx(
        [np.median(values), np.quantile(values, 0.05), np.quantile(values, 0.95)], abs=1e-4)


def test_heatmap_metric_is_the_keep_worst_metric_when_the_sweep_names_one(tmp_path):
    axes = [("x.a", [1, 2]), ("x.b", [3, 4])]
    rows = [_row(i, {"x.a": a, "x.b": b}, bad_debt_usd=1.0, **{"agent.late.return_pct": float(a - b)})
            for i, (a, b) in enumerate([(1, 3), (1, 4), (2, 3), (2, 4)])]
    spec = _spec(axes=axes, seeds=1, keep_worst={"n": 2, "metric": "agent.late.return_pct", "lowest": True})
    path = _folder(tmp_path, spec, rows)

    page = _page(path)

    heatmaps = _section(page, "heatmaps")
    assert "Mean agent.late.return_pct (%)" in heatmaps
    assert [_number(c) for c in _row_starting(heatmaps, "2")[1:]] == [-1.0, -2.0]


def test_no_heatmap_and_no_entry_curve_without_such_axes(tmp_path):
    axes = [("markets.SOL-PERP.quote_max_insurance_usd", [1000, 2000])]
    rows = [_row(i, {axes[0][0]: 1000 * (1 + i % 2)}) for i in range(4)]
    path = _folder(tmp_path, _spec(axes=axes, seeds=2), rows)

    page = _page(path)

    assert _section(page, "heatmaps") is None
    assert _section(page, "entry-day-curve") is None


def test_failed_points_are_listed_with_their_errors(tmp_path):
    axes = [("agents.lp.enter_at_day", [1, 2])]
    rows = [_row(i, {axes[0][0]: 1}) for i in range(3)]
    failed = [_failed(0, "ValueError: price went negative", {axes[0][0]: 2}),
              _failed(1, "ZeroDivisionError: division by zero", {axes[0][0]: 2})]
    path = _folder(tmp_path, _spec(axes=axes, seeds=3), rows, failed=failed)

    page = _page(path)

    sweep = _section(page, "sweep")
    assert _row_starting(sweep, "finished")[1] == "3"
    assert _row_starting(sweep, "failed")[1] == "2"
    errors = {r[0]: r[-1] for r in _rows(sweep) if r[0].startswith("bad")}
    assert errors == {"bad000": "ValueError: price went negative", "bad001": "ZeroDivisionError: division by zero"}


def test_worst_points_give_the_rerun_command_when_their_scenario_exists(tmp_path):
    keep = {"n": 2, "metric": "agent.lp.return_pct", "lowest": True}
    rows = [_row(i, **{"agent.lp.return_pct": float(r)}) for i, r in enumerate([5, -3, 2, -7, 1])]
    path = _folder(tmp_path, _spec(seeds=5, keep_worst=keep), rows)
    (path / "worst").mkdir()
    (path / "worst" / "run003.toml").write_text('name = "worst"\n')

    page = _page(path)

    worst = _rows(_section(page, "worst-points"))[1:]
    assert [(r[1], _number(r[-2])) for r in worst] == [("run003", -7.0), ("run001", -3.0)]
    assert worst[0][-1] == f"ballast backtest {path / 'worst' / 'run003.toml'}"
    assert worst[1][-1] == "no scenario file (see below)"


def test_insurance_fund_paths_are_drawn_from_the_series(tmp_path):
    rows = [_row(i, **{"agent.lp.return_pct": float(i)}) for i in range(6)]
    series = [_fund(r["run_id"], [1000, 900 - 100 * i, 800 - 150 * i]) for i, r in enumerate(rows)]
    path = _folder(tmp_path, _spec(seeds=6), rows, series)

    page = _page(path)

    (chart,) = _charts(_section(page, "insurance-fund-paths"))
    series = {s["name"]: s for s in chart["panels"][0]["series"]}
    assert chart["x"]["name"] == "days from the start" and chart["panels"][0]["y"] == "insurance fund (USD)"
    assert series["median"]["x"] == [0, pytest.approx(1 / 24), pytest.approx(2 / 24)]
    assert series["median"]["y"] == [1000, np.median([900 - 100 * i for i in range(6)]), np.median([800 - 150 * i for i in range(6)])]
    assert series["p5 to p95"]["band"] and series["p5 to p95"]["hi"][1] == pytest.approx(np.quantile([900 - 100 * i for i in range(6)], 0.95))
    worst = [name for name in series if name.startswith("run")]
    assert worst and worst[0].startswith("run000 (return_pct 0")


def test_a_sweep_without_series_says_so(tmp_path):
    path = _folder(tmp_path, _spec(seeds=1), [_row(0)])

    page = _page(path)

    assert "holds no insurance_fund_usd series" in _section(page, "insurance-fund-paths")


def test_a_sweep_whose_points_all_failed_gives_notes(tmp_path):
    folder = SweepFolder(tmp_path / "sweep")
    failed = [_failed(0, "RuntimeError: one"), _failed(1, "RuntimeError: two")]
    folder.prepare(_spec(seeds=2), [r["run_id"] for r in failed])
    folder.append(failed, [])

    page = _page(folder.path)

    assert "No finished points" in _section(page, "distributions")
    assert "No finished points" in _section(page, "bad-debt-and-the-insurance-fund")
    assert "RuntimeError: two" in _section(page, "sweep")


def test_a_sweep_without_points_gives_notes(tmp_path):
    folder = SweepFolder(tmp_path / "sweep")
    folder.prepare(_spec(seeds=2), [])

    page = _page(folder.path)

    assert _row_starting(_section(page, "sweep"), "points recorded")[1] == "0"
    assert "No finished points" in _section(page, "distributions")


def test_the_page_loads_nothing_and_names_no_url_but_in_echarts(tmp_path):
    axes = [("agents.lp.enter_at_day", [1, 2]), ("agents.noise.arrivals_per_hour", [10, 20])]
    rows = [_row(i, {axes[0][0]: 1 + i % 2, axes[1][0]: 10 * (1 + i // 2 % 2)},
                 **{"agent.lp.return_pct": math.sin(i), "bad_debt_usd": float(i % 3)}) for i in range(8)]
    series = [_fund(r["run_id"], [100, 50 + i, 10 * i]) for i, r in enumerate(rows)]
    spec = _spec(axes=axes, seeds=2, description="see https://example.org and HTTP://x")
    path = _folder(tmp_path, spec, rows, series, failed=[_failed(9, "OSError: http://host unreachable")])

    page = _page(path)

    assert len(_charts(page)) >= 4
    assert page.count(echarts_source()) == 1
    own = page.replace(echarts_source(), "")
    assert "http" not in own.lower()
    assert own.count("<script>") == 2 and "<img" not in own
    assert not re.search(r"\b(src|href|srcset|action|poster)\s*=", own, re.I)
    assert "url(" not in own.lower() and "<link" not in own.lower()


def test_a_folder_that_is_not_a_sweep_is_refused(tmp_path):
    with pytest.raises(SweepFolderError):
        build_sweep_report(tmp_path)


def test_a_real_tiny_sweep_gets_a_report(tmp_path):
    from ballast.sweep import load_sweep, run_sweep

    (tmp_path / "base.toml").write_text(
        'name = "tiny"\nduration_days = 0.05\n[[markets]]\nname = "SOL-PERP"\n[markets.oracle]\nkind = "gbm"\n'
        '[[agents]]\nkind = "bal_provider"\nname = "lp"\ncollateral_usd = 100000\namount_usd = 50000\n'
        'enter_at_day = 0.01\n[[agents]]\nkind = "noise_taker"\nname = "noise"\ncollateral_usd = 100000\n'
        'arrivals_per_hour = 30\n')
    (tmp_path / "sweep.toml").write_text(
        'name = "tiny_report"\nbase = "base.toml"\nseeds = 2\n'
        'keep_worst = { n = 1, metric = "agent.lp.return_pct" }\n'
        '[[axes]]\nkey = "agents.lp.enter_at_day"\nvalues = [0.01, 0.02]\n')
    run_sweep(load_sweep(tmp_path / "sweep.toml"), tmp_path / "out", workers=1)

    page = _page(tmp_path / "out")

    assert _row_starting(_section(page, "sweep"), "finished")[1] == "4"
    assert len(_charts(_section(page, "entry-day-curve"))) == 1
    assert "ballast backtest " in _section(page, "worst-points")
    assert len(_charts(_section(page, "insurance-fund-paths"))) == 1
