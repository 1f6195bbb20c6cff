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

// --- BAL, Positions and Settings pages: dialogs, Max buttons (pages/bal.py, positions.py, settings.py) ---
(function () {
  "use strict";

  function focusInto(root) {
    var target = root.querySelector("[aria-invalid='true']") ||
      root.querySelector("[role='alert']:not(:empty):not(.field-error)") ||
      root.querySelector(".notice.ok[tabindex]") ||
      root.querySelector("input:not([type=hidden]):not([disabled]), select, textarea, button:not([data-close-dialog])");
    if (target) target.focus();
  }

  // A panel swapped into a dialog's body opens the dialog (modal: Escape closes it) and moves
  // the focus into it: to the field in error, the refusal, the confirmation or the first input.
  document.addEventListener("htmx:afterSwap", function (e) {
    var body = e.target;
    if (!body.matches || !body.matches("[data-dialog-body]")) return;
    var dialog = body.closest("dialog");
    if (!dialog) return;
    if (!dialog.open) {
      dialog.returnFocusTo = document.activeElement;
      dialog.showModal();
    }
    focusInto(body);
  });

  document.addEventListener("close", function (e) {
    var dialog = e.target;
    if (!dialog.matches || !dialog.matches("dialog[data-dialog]")) return;
    var body = dialog.querySelector("[data-dialog-body]");
    if (body) body.innerHTML = "";
    // back to the button that opened it (or its twin, when a live refresh replaced it)
    var opener = dialog.returnFocusTo;
    if (opener && !document.contains(opener) && opener.getAttribute && opener.getAttribute("aria-label")) {
      opener = document.querySelector("[aria-label='" + opener.getAttribute("aria-label").replace(/'/g, "\\'") + "']");
    }
    if (opener && document.contains(opener)) opener.focus();
  }, true);

  // Typing into a field that was refused clears its stale message (the next submit checks again).
  document.addEventListener("input", function (e) {
    var input = e.target;
    if (!input.getAttribute || input.getAttribute("aria-invalid") !== "true" || !input.form) return;
    input.removeAttribute("aria-invalid");
    var slot = input.form.querySelector("[data-error-for='" + input.name + "']");
    if (slot) slot.textContent = "";
    var box = input.closest(".field");
    if (box) box.classList.remove("has-error");
  });

  document.addEventListener("click", function (e) {
    var closer = e.target.closest && e.target.closest("[data-close-dialog]");
    if (closer) {
      var dialog = closer.closest("dialog");
      if (dialog) dialog.close();
      return;
    }
    // A "Max" button fills its input (data-fill: a selector) and asks for the preview again.
    var filler = e.target.closest && e.target.closest("[data-fill]");
    if (filler) {
      var input = document.querySelector(filler.dataset.fill);
      if (input) {
        input.value = filler.dataset.value;
        input.dispatchEvent(new Event("input", { bubbles: true }));
        input.focus();
      }
    }
  });
})();

// --- Insurance fund, Pools, Trade and Backtests pages (pages/insurance.py, pools.py, trade.py, backtests.py) ---
(function () {
  "use strict";

  function css(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim(); }

  // A chart spec with "markX" (an x value, e.g. the pool price's bucket) gets a dashed vertical
  // line there, labelled with "markLabel"; drawn after the chart itself.
  function markCharts(root) {
    if (!window.echarts) return;
    (root || document).querySelectorAll("[data-chart]").forEach(function (el) {
      var spec;
      try { spec = JSON.parse(el.dataset.chart); } catch (e) { return; }
      if (spec.markX === undefined || spec.markX === null) return;
      var chart = echarts.getInstanceByDom(el);
      if (!chart) return;
      chart.setOption({ series: [{ markLine: {
        symbol: "none", silent: true, animation: false,
        lineStyle: { type: "dashed", color: css("--warn"), width: 2 },
        label: { formatter: spec.markLabel || "", color: css("--text"), position: "end" },
        data: [{ xAxis: spec.markX }],
      } }] });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { markCharts(); });
  document.addEventListener("htmx:afterSettle", function (e) { markCharts(e.target); });
})();
