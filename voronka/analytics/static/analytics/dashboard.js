// The dashboards' charts (ECharts) and sortable tables. Chart data comes from
// <script type="application/json"> blocks written by the server; a click on a
// funnel segment or a bar opens the list of the records behind it.
(function () {
  "use strict";
  var lang = document.documentElement.lang || "ru";
  var charts = [];

  function readData(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function number(value, digits) {
    return new Intl.NumberFormat(lang, {
      minimumFractionDigits: digits || 0, maximumFractionDigits: digits || 0
    }).format(value);
  }

  function money(value, currency) {
    try {
      return new Intl.NumberFormat(lang, {
        style: "currency", currency: currency || "RUB", maximumFractionDigits: 0
      }).format(value);
    } catch (e) {
      return number(value) + " " + (currency || "");
    }
  }

  function compactMoney(value) {
    return new Intl.NumberFormat(lang, { notation: "compact", maximumFractionDigits: 1 }).format(value);
  }

  function openOnClick(chart, urlOf) {
    chart.on("click", function (params) {
      var url = urlOf(params);
      if (url) window.location.assign(url);
    });
    chart.getZr().on("mousemove", function (evt) {
      chart.getZr().setCursorStyle(evt.target ? "pointer" : "default");
    });
  }

  function funnelChart(el, data) {
    var chart = echarts.init(el, null, { renderer: "canvas" });
    var max = data.reduce(function (m, s) { return Math.max(m, s.value); }, 0) || 1;
    chart.setOption({
      animationDuration: 300,
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          var s = p.data;
          var text = echarts.format.encodeHTML(s.name) + ": <b>" + number(s.value) + "</b>";
          if (s.conversion !== null && s.conversion !== undefined) {
            text += "<br>→ " + number(s.conversion * 100, 1) + "\u00a0%";
          }
          return text;
        }
      },
      series: [{
        type: "funnel",
        sort: "none",  // stage order, not size order
        left: 8, right: 8, top: 8, bottom: 8,
        min: 0, max: max, minSize: "30%", maxSize: "100%", gap: 2,
        label: {
          show: true, position: "inside", color: "#fff",
          formatter: function (p) { return p.name + " · " + number(p.value); },
          overflow: "truncate"
        },
        labelLine: { show: false },
        itemStyle: { borderColor: "#fff", borderWidth: 1 },
        emphasis: { label: { fontWeight: "bold" } },
        data: data.map(function (s) {
          return {
            name: s.name, value: s.value, url: s.url, conversion: s.conversion,
            itemStyle: s.kind === "won" ? { color: "#198754" } : undefined
          };
        })
      }]
    });
    openOnClick(chart, function (p) { return p.data && p.data.url; });
    return chart;
  }

  function revenueChart(el, data) {
    var chart = echarts.init(el, null, { renderer: "canvas" });
    var currency = el.getAttribute("data-currency") || "RUB";
    chart.setOption({
      animationDuration: 300,
      grid: { left: 8, right: 8, top: 36, bottom: 8, containLabel: true },
      legend: { top: 0, data: [data.revenueName, data.dealsName] },
      tooltip: {
        trigger: "axis",
        axisPointer: { type: "shadow" },
        valueFormatter: undefined,
        formatter: function (items) {
          var lines = [echarts.format.encodeHTML(items[0].axisValueLabel)];
          items.forEach(function (item) {
            var shown = item.seriesIndex === 0 ? money(item.value, currency) : number(item.value);
            lines.push(item.marker + echarts.format.encodeHTML(item.seriesName) + ": <b>" + shown + "</b>");
          });
          return lines.join("<br>");
        }
      },
      xAxis: { type: "category", data: data.labels, axisLabel: { hideOverlap: true } },
      yAxis: [
        { type: "value", axisLabel: { formatter: compactMoney }, splitLine: { lineStyle: { type: "dashed" } } },
        { type: "value", minInterval: 1, splitLine: { show: false } }
      ],
      series: [
        { name: data.revenueName, type: "bar", data: data.revenue, itemStyle: { color: "#0d6efd" }, barMaxWidth: 40 },
        { name: data.dealsName, type: "line", yAxisIndex: 1, data: data.deals, symbolSize: 7, itemStyle: { color: "#fd7e14" } }
      ]
    });
    openOnClick(chart, function (p) { return data.urls[p.dataIndex]; });
    return chart;
  }

  // Orders by status: one bar per status in the workflow's order; a click opens its orders.
  var STATUS_COLOURS = {
    delivered: "#198754", cancelled: "#adb5bd", returned: "#dc3545", shipped: "#0dcaf0"
  };
  function statusChart(el, data) {
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      animationDuration: 300,
      grid: { left: 8, right: 32, top: 8, bottom: 8, containLabel: true },
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          return echarts.format.encodeHTML(p.name) + ": <b>" + number(p.value) + "</b>";
        }
      },
      xAxis: { type: "value", minInterval: 1, splitLine: { lineStyle: { type: "dashed" } } },
      yAxis: { type: "category", inverse: true, data: data.map(function (s) { return s.name; }) },
      series: [{
        type: "bar", barMaxWidth: 22,
        label: { show: true, position: "right", formatter: function (p) { return number(p.value); } },
        data: data.map(function (s) {
          return { value: s.value, url: s.url, itemStyle: { color: STATUS_COLOURS[s.key] || "#0d6efd" } };
        })
      }]
    });
    openOnClick(chart, function (p) { return p.data && p.data.value ? p.data.url : null; });
    return chart;
  }

  var makers = { funnel: funnelChart, revenue: revenueChart, statuses: statusChart };
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var make = makers[el.getAttribute("data-chart")];
    var data = readData(el.getAttribute("data-source"));
    if (make && data && window.echarts) charts.push(make(el, data));
  });
  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });

  // Sortable tables: a click on a header sorts by that column; a second click reverses.
  function sortValue(cell, numeric) {
    var raw = cell.getAttribute("data-sort");
    if (!numeric) return (raw || cell.textContent).trim().toLocaleLowerCase(lang);
    return raw === "" || raw === null ? null : parseFloat(raw);
  }
  document.querySelectorAll("table[data-sortable]").forEach(function (table) {
    var buttons = table.querySelectorAll("thead .dash-sort");
    buttons.forEach(function (button, index) {
      button.addEventListener("click", function () {
        var numeric = button.getAttribute("data-sort-type") === "number";
        var current = button.getAttribute("aria-sort");
        // Numbers start largest first, names A to Z.
        var ascending = current ? current === "descending" : !numeric;
        buttons.forEach(function (b) { b.removeAttribute("aria-sort"); });
        button.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = sortValue(a.cells[index], numeric);
          var y = sortValue(b.cells[index], numeric);
          if (x === null && y === null) return 0;
          if (x === null) return 1;  // undefined values last either way
          if (y === null) return -1;
          var order = numeric ? x - y : x.localeCompare(y, lang);
          return ascending ? order : -order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  });

  // Typing a date means a custom period.
  var filters = document.getElementById("dash-filters");
  if (filters) {
    var period = filters.querySelector("select[name=period]");
    filters.querySelectorAll("input[type=date]").forEach(function (input) {
      input.addEventListener("change", function () { if (period) period.value = "custom"; });
    });
  }
})();
