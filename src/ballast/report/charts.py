"""The page side of the report's charts: a `<div class="chart">` per chart holding its spec
(plots.py) as JSON, and once per page the Apache ECharts library and the script that draws
every such div from its spec (charts.js: zoom by wheel, drag and slider, values on hover,
series toggled from the legend). Both scripts are inline: the page loads nothing.

ECharts is the copy the web app serves (ballast/web/static/vendor, `make vendor`), read as a
file of the ballast package: the report layer does not import ballast.web.
"""

from __future__ import annotations

import functools
import html as _html
import importlib.resources
import json
from typing import Any

__all__ = ["CHART_CLASS", "ECHARTS_FILE", "ECHARTS_VERSION", "chart_div", "chart_script", "echarts_source", "escape",
           "scripts"]

ECHARTS_VERSION = "6.1.0"
ECHARTS_FILE = f"web/static/vendor/echarts-{ECHARTS_VERSION}.min.js"  # in the ballast package
CHART_CLASS = "chart"
_NOTICE = (f"Charts drawn with Apache ECharts {ECHARTS_VERSION} (Apache License 2.0), embedded below. "
           "Apache ECharts, Copyright 2017-2026 The Apache Software Foundation.")


def _read(package: str, name: str) -> str:
    path = importlib.resources.files(package).joinpath(*name.split("/"))
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(f"the report's charts need ballast/{name} ({package}); `make vendor` writes it") from None
    if "</script" in text.lower():
        raise ValueError(f"{name} holds '</script': it cannot be inlined in a page")
    return text


@functools.cache
def echarts_source() -> str:
    """The minified ECharts library, unchanged."""
    return _read("ballast", ECHARTS_FILE)


@functools.cache
def chart_script() -> str:
    """The script that draws each chart div (charts.js beside this module)."""
    return _read("ballast.report", "charts.js")


def escape(text: str) -> str:
    """HTML-escaped text (fit for a double-quoted attribute too) in which "http" (any case) is
    written with a character reference, which the browser reads back unchanged: the page's own
    text never holds a URL."""
    out = _html.escape(text, quote=True)
    if "http" not in out.lower():
        return out
    pieces, lowered, index = [], out.lower(), 0
    while (found := lowered.find("http", index)) >= 0:
        pieces.append(out[index:found] + f"&#{ord(out[found])};" + out[found + 1:found + 4])
        index = found + 4
    return "".join(pieces) + out[index:]


def chart_div(spec: dict[str, Any], label: str) -> str:
    """The container of one chart: its spec as compact JSON in data-chart, `label` as its
    accessible name."""
    data = json.dumps(spec, separators=(",", ":"), allow_nan=False, ensure_ascii=False)
    return (f'<div class="{CHART_CLASS}" role="img" aria-label="{escape(label)}" '
            f'data-chart="{escape(data)}"></div>')


def scripts() -> str:
    """ECharts and the drawing script, each in one inline script element, with the notice."""
    return (f'<p class="note">{_html.escape(_NOTICE)}</p>'
            f"<script>\n{echarts_source()}\n</script>\n<script>\n{chart_script()}\n</script>\n")
