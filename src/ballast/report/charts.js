// Ballast report charts: each div.chart holds its spec as JSON in data-chart (ballast/report/plots.py
// says what a spec holds) and is drawn with ECharts, inlined above: zoom with the wheel, by dragging
// or with the slider, values of every shown series on hover, series toggled from the legend.
(function () {
  "use strict";

  var PALETTE = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c",
                 "#ccb974", "#64b5cd"];
  var TEXT = "#222", MUTED = "#777", LINE = "#e4e4e4";

  function num(v) {
    if (v === null || v === undefined || !isFinite(v)) return "n/a";
    if (v === 0) return "0";
    var a = Math.abs(v);
    if (a !== 0 && (a >= 1e9 || a < 1e-4)) return v.toExponential(4);
    return v.toLocaleString("en-US", { maximumFractionDigits: a >= 1000 ? 2 : a >= 1 ? 4 : 6 });
  }

  function esc(text) {
    return String(text).replace(/[&<>"]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c];
    });
  }

  function dot(color) {
    return '<span style="display:inline-block;width:9px;height:9px;border-radius:50%;margin-right:6px;background:' +
      color + '"></span>';
  }

  // The index of the point of xs shown at x: the last at or before x on a step line (-1 before
  // the first), else the nearest.
  function lookup(xs, x, step) {
    if (!xs.length) return -1;
    var lo = 0, hi = xs.length - 1;
    while (lo < hi) {
      var mid = (lo + hi + 1) >> 1;
      if (xs[mid] <= x) lo = mid; else hi = mid - 1;
    }
    if (step) return xs[lo] <= x ? lo : -1;
    if (lo + 1 < xs.length && Math.abs(xs[lo + 1] - x) < Math.abs(x - xs[lo])) lo += 1;
    return lo;
  }

  // How many lines the legend of these names takes in the chart's width (it wraps, never scrolls).
  function legendRows(el, names) {
    var context = document.createElement("canvas").getContext("2d");
    context.font = "12px sans-serif";
    var width = Math.max(200, el.clientWidth - 84 - 32), rows = 1, used = 0;
    names.forEach(function (name) {
      var item = 25 + 5 + context.measureText(name).width + 10;  // icon, gap, text, gap to the next
      if (used > 0 && used + item > width) { rows += 1; used = 0; }
      used += item;
    });
    return rows;
  }

  function linesOption(el, spec, state) {
    var time = spec.x.type === "time", t0 = spec.x.t0 || 0;
    var H = spec.height || 220, GAP = 56, n = spec.panels.length, slider = spec.slider !== false;
    var colors = {}, names = [], bandNames = {};
    spec.panels.forEach(function (panel) {
      panel.series.forEach(function (s) { colorOf(s); if (s.band) bandNames[s.name] = true; });
    });
    var legend = names.length > 1, TOP = legend ? 34 + 22 * legendRows(el, names) : 30;
    function colorOf(s) {
      if (!(s.name in colors)) {
        colors[s.name] = s.color || PALETTE[names.length % PALETTE.length];
        names.push(s.name);
      }
      return colors[s.name];
    }
    function xOf(x) { return time ? (t0 + x) * 1000 : x; }
    function points(xs, ys) {
      var out = new Array(xs.length);
      for (var i = 0; i < xs.length; i++) out[i] = [xOf(xs[i]), ys[i]];
      return out;
    }
    var grids = [], xAxes = [], yAxes = [], series = [], bands = 0;
    spec.panels.forEach(function (panel, p) {
      grids.push({ left: 84, right: 32, top: TOP + p * (H + GAP), height: H });
      var hist = panel.series.filter(function (s) { return s.hist; })[0];
      xAxes.push({
        type: time ? "time" : "value", gridIndex: p,
        min: hist ? hist.x[0] - hist.width / 2 : "dataMin", max: hist ? hist.x[hist.x.length - 1] + hist.width / 2 : "dataMax",
        name: p === n - 1 && !time ? spec.x.name : "", nameLocation: "middle", nameGap: 26,
        axisLine: { lineStyle: { color: MUTED } }, splitLine: { show: false },
        axisLabel: time ? { hideOverlap: true }
          : { hideOverlap: true, showMaxLabel: !!hist, formatter: function (v) { return num(v); } },
      });
      yAxes.push({
        type: panel.log ? "log" : "value", gridIndex: p, scale: !hist,
        name: (panel.title ? panel.title + " \u00b7 " : "") + panel.y,
        nameLocation: panel.marks ? "middle" : "end", nameGap: panel.marks ? 40 : 12,
        nameTextStyle: { align: panel.marks ? "center" : "left", color: TEXT, fontWeight: "bold" },
        axisLine: { show: true, lineStyle: { color: MUTED } }, splitLine: { lineStyle: { color: LINE } },
      });
      panel.series.forEach(function (s, k) {
        var color = colorOf(s);
        var base = { name: s.name, xAxisIndex: p, yAxisIndex: p, animation: false, emphasis: { disabled: true } };
        var added;
        if (s.band) {
          var stack = "band" + (bands++);
          var diff = s.hi.map(function (h, i) { return h === null || s.lo[i] === null ? null : h - s.lo[i]; });
          series.push(Object.assign({}, base, {
            type: "line", stack: stack, stackStrategy: "all", data: points(s.x, s.lo), showSymbol: false, step: s.step ? "end" : false,
            lineStyle: { opacity: 0 }, itemStyle: { color: color },
          }));
          added = Object.assign({}, base, {
            type: "line", stack: stack, stackStrategy: "all", data: points(s.x, diff), showSymbol: false, step: s.step ? "end" : false,
            lineStyle: { opacity: 0 }, areaStyle: { color: color, opacity: 0.22 }, itemStyle: { color: color },
          });
        } else if (s.scatter) {
          added = Object.assign({}, base, { type: "scatter", data: points(s.x, s.y), symbolSize: 6,
                                            itemStyle: { color: color } });
        } else if (s.hist) {
          added = Object.assign({}, base, { type: "bar", data: points(s.x, s.y), barWidth: "92%",
                                            itemStyle: { color: color, opacity: 0.85 } });
        } else {
          added = Object.assign({}, base, {
            type: "line", data: points(s.x, s.y), showSymbol: !!s.symbol, symbolSize: 5,
            step: s.step ? "end" : false, itemStyle: { color: color },
            lineStyle: { color: color, width: s.width || 1.4, type: s.dash ? "dashed" : "solid" },
          });
        }
        if (k === 0 && (panel.zero || panel.marks)) {
          var marks = [];
          if (panel.zero) marks.push({ yAxis: 0, lineStyle: { color: "#333", width: 1, type: "solid" }, label: { show: false } });
          (panel.marks || []).forEach(function (m) {
            marks.push({ xAxis: xOf(m.x), name: m.name,
                         lineStyle: { color: m.color || "#222", width: 1.4, type: m.dash ? "dashed" : "solid" },
                         label: { show: true, formatter: m.name, color: m.color || "#222", position: "end" } });
          });
          added.markLine = { silent: true, symbol: "none", animation: false, data: marks };
        }
        series.push(added);
      });
    });
    var all = spec.panels.map(function (_p, i) { return i; });

    function tip(params) {
      var first = Array.isArray(params) ? params[0] : params;
      if (!first) return "";
      var v = first.axisValue !== undefined ? first.axisValue : first.value[0];
      var x = time ? v / 1000 - t0 : v;
      var head = time ? new Date(v).toISOString().slice(0, 16).replace("T", " ") + " UTC"
                      : esc(spec.x.name || "x") + " " + num(v);
      var out = ['<div class="ballast-tip"><b>' + head + "</b>"];
      spec.panels.forEach(function (panel) {
        var rows = [];
        panel.series.forEach(function (s) {
          if (state.hidden[s.name]) return;
          var i = lookup(s.x, x, !!s.step);
          if (i < 0) return;
          var value;
          if (s.band) value = num(s.lo[i]) + " to " + num(s.hi[i]);
          else if (s.hist) value = num(s.y[i]) + " (" + num(s.x[i] - s.width / 2) + " to " + num(s.x[i] + s.width / 2) + ")";
          else value = num(s.y[i]) + (!time && !s.step && s.x[i] !== x ? " at " + num(s.x[i]) : "");
          rows.push("<div>" + dot(colors[s.name]) + esc(s.name + (s.tip ? " " + s.tip : "")) + ": <b>" + value + "</b></div>");
        });
        if (rows.length) {
          if (n > 1 || panel.title) {
            out.push('<div style="margin-top:4px;color:' + MUTED + '">' + esc((panel.title ? panel.title + " \u00b7 " : "") + panel.y) + "</div>");
          }
          out.push(rows.join(""));
        }
      });
      out.push("</div>");
      return out.join("");
    }

    var zoom = [{ type: "inside", xAxisIndex: all, filterMode: "none" }];
    if (slider) {
      zoom.push({ type: "slider", xAxisIndex: all, filterMode: "none", height: 18, bottom: 10,
                  labelFormatter: time ? function (v) { return new Date(v).toISOString().slice(0, 10); } : null });
    }
    el.style.height = (TOP + n * H + (n - 1) * GAP + (slider ? 76 : 44)) + "px";
    return {
      animation: false,
      useUTC: true,
      textStyle: { color: TEXT },
      legend: { show: legend, top: 6, left: 84, right: 32, textStyle: { fontSize: 12 },
                data: names.map(function (name) { return bandNames[name] ? { name: name, icon: "roundRect" } : name; }) },
      grid: grids, xAxis: xAxes, yAxis: yAxes, series: series,
      axisPointer: { link: [{ xAxisIndex: "all" }] },
      tooltip: { trigger: "axis", axisPointer: { type: "line", animation: false }, confine: true, formatter: tip,
                 textStyle: { fontSize: 12 } },
      dataZoom: zoom,
    };
  }

  function barsOption(el, spec) {
    var series = spec.series.map(function (s, i) {
      return { type: "bar", name: s.name, stack: "parts", data: s.y, itemStyle: { color: PALETTE[i % PALETTE.length] },
               emphasis: { disabled: true } };
    });
    series.push({ type: "scatter", name: spec.total.name, data: spec.total.y, symbolSize: 11, z: 5,
                  itemStyle: { color: "#111" },
                  markLine: { silent: true, symbol: "none", data: [{ yAxis: 0 }], label: { show: false },
                              lineStyle: { color: "#333", width: 1, type: "solid" } } });
    var slanted = spec.categories.length > 4;
    el.style.height = (slanted ? 420 : 380) + "px";
    return {
      animation: false,
      textStyle: { color: TEXT },
      legend: { type: "scroll", top: 6, left: 84, right: 32 },
      grid: { left: 84, right: 32, top: 56, bottom: slanted ? 110 : 60 },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, confine: true, valueFormatter: num,
                 className: "ballast-tip" },
      xAxis: { type: "category", data: spec.categories,
               axisLabel: { interval: 0, rotate: slanted ? 20 : 0, color: TEXT } },
      yAxis: { type: "value", name: spec.y, nameLocation: "end", nameGap: 12,
               nameTextStyle: { align: "left", color: TEXT, fontWeight: "bold" },
               splitLine: { lineStyle: { color: LINE } } },
      dataZoom: [{ type: "inside", filterMode: "none" }],
      series: series,
    };
  }

  function heatmapOption(el, spec) {
    var worse = ["#1a9850", "#fee08b", "#d73027"];
    var rows = spec.y.categories.length;
    el.style.height = Math.max(300, 110 + 34 * rows) + "px";
    return {
      animation: false,
      textStyle: { color: TEXT },
      title: { text: spec.title, left: "center", top: 4, textStyle: { fontSize: 13, color: TEXT } },
      tooltip: {
        trigger: "item", confine: true,
        formatter: function (p) {
          return '<div class="ballast-tip">' + esc(spec.y.name) + " = " + esc(spec.y.categories[p.value[1]]) + "<br>" +
            esc(spec.x.name) + " = " + esc(spec.x.categories[p.value[0]]) + "<br>" + esc(spec.value) + ": <b>" +
            (p.seriesIndex === 0 ? num(p.value[2]) : "no finished point") + "</b></div>";
        },
      },
      grid: { left: 110, right: 150, top: 40, bottom: 64 },
      xAxis: { type: "category", data: spec.x.categories, name: spec.x.name, nameLocation: "middle", nameGap: 40,
               splitArea: { show: true }, axisLabel: { color: TEXT } },
      yAxis: { type: "category", data: spec.y.categories, name: spec.y.name, nameLocation: "middle", nameGap: 80,
               splitArea: { show: true }, axisLabel: { color: TEXT } },
      visualMap: { type: "continuous", seriesIndex: 0, min: spec.min, max: spec.max, calculable: true,
                   right: 8, top: "middle", itemHeight: 160, formatter: function (v) { return num(v); },
                   inRange: { color: spec.higher_is_worse ? worse : worse.slice().reverse() } },
      series: [
        { type: "heatmap", name: spec.value, data: spec.cells, emphasis: { disabled: true },
          label: { show: true, formatter: function (p) { return num(p.value[2]); }, fontSize: 11 } },
        { type: "heatmap", name: "no finished point", emphasis: { disabled: true },
          data: spec.missing.map(function (c) { return [c[0], c[1], 0]; }), itemStyle: { color: "#dddddd" },
          label: { show: true, formatter: "n/a", color: MUTED } },
      ],
    };
  }

  function draw(el) {
    if (echarts.getInstanceByDom(el)) return;
    var spec = JSON.parse(el.dataset.chart);
    var state = { hidden: {} };
    var option = spec.kind === "bars" ? barsOption(el, spec)
      : spec.kind === "heatmap" ? heatmapOption(el, spec) : linesOption(el, spec, state);
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(option);
    chart.on("legendselectchanged", function (e) {
      Object.keys(e.selected).forEach(function (name) { state.hidden[name] = !e.selected[name]; });
    });
  }

  document.querySelectorAll("div.chart[data-chart]").forEach(function (el) {
    try { draw(el); } catch (error) {
      el.textContent = "Chart error: " + error;
      el.style.height = "auto";
    }
  });
  window.addEventListener("resize", function () {
    document.querySelectorAll("div.chart[data-chart]").forEach(function (el) {
      var chart = echarts.getInstanceByDom(el);
      if (chart) chart.resize();
    });
  });
})();
