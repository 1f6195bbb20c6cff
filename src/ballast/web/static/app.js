// Ballast pages: the theme switch, ECharts charts drawn from data attributes, countdowns.
(function () {
  "use strict";

  function themeToggle() {
    var button = document.getElementById("theme-toggle");
    if (!button) return;
    var stored = localStorage.getItem("ballast-theme");
    if (stored && button.dataset.signedIn !== "yes") setTheme(stored);
    button.addEventListener("click", function () {
      var next = document.documentElement.dataset.theme === "dark" ? "light" : "dark";
      setTheme(next);
      localStorage.setItem("ballast-theme", next);
      if (button.dataset.signedIn === "yes") {
        var body = new URLSearchParams({ theme: next, csrf_token: button.dataset.csrf });
        fetch("/theme", { method: "POST", body: body, credentials: "same-origin" });
      }
    });
  }

  function setTheme(name) {
    document.documentElement.dataset.theme = name;
    var label = document.querySelector("#theme-toggle .theme-name");
    if (label) label.textContent = (name === "dark" ? "Light" : "Dark") + " theme";
  }

  function css(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim(); }

  var PALETTE = ["--accent", "--good", "--warn", "--bad", "--muted"];

  // A chart spec (macros.html `chart`) drawn with ECharts: a time (or value) x axis, one line or
  // bar series per entry, hover values, a legend that toggles series, zoom by wheel and slider.
  function drawChart(el) {
    if (el.dataset.drawn === el.dataset.chart) return;
    el.dataset.drawn = el.dataset.chart;
    var spec = JSON.parse(el.dataset.chart);
    if (!spec.x || spec.x.length === 0) { el.textContent = "No data yet."; return; }
    el.style.height = (el.dataset.height || "240") + "px";
    var time = spec.time !== false && spec.kind !== "bars";
    var chart = echarts.getInstanceByDom(el) || echarts.init(el);
    chart.setOption({
      animation: false,
      textStyle: { color: css("--text") },
      color: PALETTE.map(css),
      tooltip: { trigger: "axis" },
      legend: { top: 4, textStyle: { color: css("--text") } },
      grid: { left: 64, right: 24, top: 44, bottom: 56 },
      dataZoom: [{ type: "inside" }, { type: "slider", height: 18, bottom: 8 }],
      xAxis: { type: time ? "time" : (spec.kind === "bars" ? "category" : "value"), name: spec.xLabel || "",
               axisLine: { lineStyle: { color: css("--muted") } } },
      yAxis: { type: "value", name: spec.yLabel || "", scale: spec.kind !== "bars",
               axisLine: { lineStyle: { color: css("--muted") } }, splitLine: { lineStyle: { color: css("--line") } } },
      series: spec.series.map(function (s) {
        return {
          name: s.label + (s.unit ? " (" + s.unit + ")" : ""),
          type: spec.kind === "bars" ? "bar" : "line", showSymbol: false, barCategoryGap: "5%",
          data: spec.x.map(function (x, i) { return [time ? x * 1000 : x, s.values[i]]; }),
        };
      }),
    }, true);
  }

  function drawCharts(root) { (root || document).querySelectorAll("[data-chart]").forEach(drawChart); }

  function countdowns() {
    document.querySelectorAll("[data-countdown-to]").forEach(function (el) {
      var left = parseInt(el.dataset.countdownTo, 10) - parseInt(el.dataset.now, 10);
      el.textContent = left > 0 ? formatSeconds(left) : "ready";
    });
  }

  function formatSeconds(s) {
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    return (d ? d + "d " : "") + (d || h ? String(h).padStart(2, "0") + "h " : "") + String(m).padStart(2, "0") + "m";
  }

  document.addEventListener("DOMContentLoaded", function () { themeToggle(); drawCharts(); countdowns(); });
  document.addEventListener("htmx:afterSettle", function (e) { drawCharts(e.target); countdowns(); });
  window.addEventListener("resize", function () {
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var chart = window.echarts && echarts.getInstanceByDom(el);
      if (chart) chart.resize();
    });
  });
  window.ballast = { drawCharts: drawCharts };
})();
