// plaid-balance dashboard: draws the charts the server embedded as JSON, with uPlot (shipped with the page).
// Amounts arrive as exact decimal strings; they are turned into numbers only to place points on the
// chart. Everything a person reads (legend values, CSV) uses the exact strings. Times are shown in the
// viewer's own time zone, and say which one it is.
"use strict";
(function () {
  var zone = (Intl.DateTimeFormat().resolvedOptions().timeZone) || "local time";

  function when(seconds, withZone) {
    var options = { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" };
    if (withZone) options.timeZoneName = "short";
    return new Date(seconds * 1000).toLocaleString(undefined, options);
  }

  // Distinct colours for any number of series: hues a golden angle apart, alternating lightness.
  function colour(i) {
    var hue = Math.round((i * 137.508) % 360);
    var light = [38, 52, 30][i % 3];
    return "hsl(" + hue + ", 70%, " + light + "%)";
  }

  function money(text, currency) {
    if (text === null || text === undefined) return "—";
    var neg = text.charAt(0) === "-";
    var body = neg ? text.slice(1) : text;
    var parts = body.split(".");
    var whole = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return (neg ? "-" : "") + whole + (parts.length > 1 ? "." + parts[1] : "") + (currency ? " " + currency : "");
  }

  function draw(plot) {
    var source = document.getElementById(plot.getAttribute("data-chart"));
    if (!source || typeof uPlot === "undefined") return;
    var chart = JSON.parse(source.textContent);
    if (!chart.series.length) return;
    var data = [chart.times];
    var series = [{}];
    chart.series.forEach(function (s, i) {
      data.push(s.values.map(function (v) { return v === null ? null : Number(v); }));
      series.push({ label: s.label, stroke: colour(i), width: 1.6, spanGaps: false, points: { show: chart.times.length <= 40 },
                    value: function (u, v, si, idx) { return idx == null ? "" : money(s.values[idx], chart.currency); } });
    });
    var width = Math.max(200, plot.clientWidth || 900);
    var height = plot.closest(".small") ? 200 : 420;
    // The axis covers the window chosen (or, when the history is shorter, the history there is) and
    // nothing beyond it; one instant gets a minute before it rather than an axis of zero width.
    var start = chart.start === null ? chart.times[0] : chart.start;
    var end = chart.end === null ? chart.times[chart.times.length - 1] : chart.end;
    if (end - start < 60) start = end - 60;
    var u = new uPlot({
      width: width, height: height, series: series, legend: { show: false },
      scales: { x: { time: true, range: function () { return [start, end]; } } },
      axes: [{}, { size: 90, values: function (u, ticks) { return ticks.map(function (t) { return t.toLocaleString("en-US"); }); } }],
      cursor: { drag: { x: true, y: false } },
      hooks: {
        setCursor: [function (u) { update(u.cursor.idx); }],
        // What the x axis covers, for whoever checks it (epoch seconds).
        setScale: [function (u, key) { if (key === "x") plot.setAttribute("data-x-range", u.scales.x.min + "," + u.scales.x.max); }]
      }
    }, data, plot);

    var legend = document.querySelector('[data-legend-for="' + plot.getAttribute("data-chart") + '"]');
    var values = [];
    var moment = document.createElement("p");
    moment.className = "when";
    plot.parentNode.insertBefore(moment, legend || plot.nextSibling);
    function update(idx) {
      if (!moment) return;  // the cursor hook may run while uPlot is still being built
      var at = idx == null ? chart.times[chart.times.length - 1] : chart.times[idx];
      moment.textContent = (idx == null ? "Latest: " : "At ") + when(at, true) + " · times in your time zone (" + zone + ")";
      values.forEach(function (el, i) {
        var v = idx == null ? lastValue(chart.series[i].values) : chart.series[i].values[idx];
        el.textContent = money(v, chart.currency);
      });
    }
    function lastValue(vals) {
      for (var j = vals.length - 1; j >= 0; j--) if (vals[j] !== null) return vals[j];
      return null;
    }
    if (legend) {
      chart.series.forEach(function (s, i) {
        var b = document.createElement("button");
        b.type = "button";
        b.setAttribute("aria-pressed", "true");
        b.setAttribute("data-series", s.key);
        var sw = document.createElement("span");
        sw.className = "swatch";
        sw.style.background = colour(i);
        var label = document.createElement("span");
        label.textContent = s.label;  // bank data: text, never markup
        var val = document.createElement("span");
        val.className = "val";
        b.appendChild(sw); b.appendChild(label); b.appendChild(val);
        b.addEventListener("click", function () {
          var on = b.getAttribute("aria-pressed") !== "true";
          b.setAttribute("aria-pressed", on ? "true" : "false");
          u.setSeries(i + 1, { show: on });
        });
        legend.appendChild(b);
        values.push(val);
      });
    }
    update(null);
    window.addEventListener("resize", function () { u.setSize({ width: Math.max(200, plot.clientWidth), height: height }); });
    plot.setAttribute("data-ready", "true");
  }

  // Every time the server wrote (in UTC) is shown in the viewer's time zone, named.
  document.querySelectorAll("time[datetime]").forEach(function (el) {
    var seconds = Date.parse(el.getAttribute("datetime")) / 1000;
    if (!isNaN(seconds)) {
      el.textContent = when(seconds, true);
      el.title = el.getAttribute("datetime");
    }
  });

  document.querySelectorAll(".plot[data-chart]").forEach(draw);

  // Over a running watch, new balances arrive on their own: a light poll of when the newest one was
  // stored, and the page is drawn again when it changes (never while the user is choosing options).
  var live = document.body.getAttribute("data-live-url");
  var seen = document.body.getAttribute("data-latest");
  if (live) {
    setInterval(function () {
      if (document.hidden || (document.activeElement && document.activeElement.tagName === "SELECT")) return;
      fetch(live, { credentials: "same-origin", cache: "no-store", redirect: "error" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (answer) {
          if (answer && (answer.latest || "") !== seen) window.location.reload();
        }, function () {});
    }, 5000);
  }
})();
