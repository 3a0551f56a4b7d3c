// The service dashboard's charts (ECharts): requests over time, response and handling
// times, SLA compliance, complaints by category. The data comes from
// <script type="application/json"> blocks written by the server; a click on a bar or a
// point opens the list of the requests behind it. Sorting tables and the filter bar are
// handled by analytics/dashboard.js, loaded before this file.
(function () {
  "use strict";
  if (!window.echarts) return;
  var lang = document.documentElement.lang || "ru";
  var charts = [];

  function readData(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function number(value, digits) {
    if (value === null || value === undefined) return "—";
    return new Intl.NumberFormat(lang, {
      minimumFractionDigits: digits || 0, maximumFractionDigits: digits || 0
    }).format(value);
  }

  function esc(text) {
    return echarts.format.encodeHTML(String(text));
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

  function axisTooltip(format) {
    return {
      trigger: "axis",
      axisPointer: { type: "shadow" },
      formatter: function (items) {
        var lines = [esc(items[0].axisValueLabel)];
        items.forEach(function (item) {
          lines.push(item.marker + esc(item.seriesName) + ": <b>" + format(item) + "</b>");
        });
        return lines.join("<br>");
      }
    };
  }

  function base(data) {
    return {
      animationDuration: 300,
      grid: { left: 8, right: 8, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: data.labels, axisLabel: { hideOverlap: true } }
    };
  }

  // Requests (bars) and complaints among them (bars) per week or month.
  function volumeChart(el, data) {
    var chart = echarts.init(el, null, { renderer: "canvas" });
    var option = base(data);
    option.legend = { top: 0, data: [data.names.requests, data.names.complaints] };
    option.tooltip = axisTooltip(function (item) { return number(item.value); });
    option.yAxis = { type: "value", minInterval: 1, splitLine: { lineStyle: { type: "dashed" } } };
    option.series = [
      { name: data.names.requests, type: "bar", data: data.requests, barMaxWidth: 36,
        itemStyle: { color: "#0d6efd" } },
      { name: data.names.complaints, type: "bar", data: data.complaints, barMaxWidth: 36,
        itemStyle: { color: "#dc3545" } }
    ];
    chart.setOption(option);
    openOnClick(chart, function (p) {
      return (p.seriesIndex === 0 ? data.requestUrls : data.complaintUrls)[p.dataIndex];
    });
    return chart;
  }

  // Mean and median response time (minutes, left axis) and handling time (hours, right axis).
  function timesChart(el, data) {
    var chart = echarts.init(el, null, { renderer: "canvas" });
    var option = base(data);
    var names = data.names;
    option.grid.top = 64;  // room for a legend of four series over two lines
    option.legend = {
      top: 0, data: [names.responseMean, names.responseMedian, names.handlingMean, names.handlingMedian]
    };
    option.tooltip = axisTooltip(function (item) { return number(item.value, 1); });
    option.yAxis = [
      { type: "value", name: "min", splitLine: { lineStyle: { type: "dashed" } } },
      { type: "value", name: "h", splitLine: { show: false } }
    ];
    function line(name, values, axis, color, dashed) {
      return {
        name: name, type: "line", yAxisIndex: axis, data: values, connectNulls: true,
        symbolSize: 7, itemStyle: { color: color },
        lineStyle: dashed ? { type: "dashed" } : undefined
      };
    }
    option.series = [
      line(names.responseMean, data.responseMean, 0, "#0d6efd", false),
      line(names.responseMedian, data.responseMedian, 0, "#0d6efd", true),
      line(names.handlingMean, data.handlingMean, 1, "#fd7e14", false),
      line(names.handlingMedian, data.handlingMedian, 1, "#fd7e14", true)
    ];
    chart.setOption(option);
    openOnClick(chart, function (p) {
      return (p.seriesIndex < 2 ? data.responseUrls : data.handlingUrls)[p.dataIndex];
    });
    return chart;
  }

  // The share of requests with an SLA that met both targets, per week or month.
  function slaChart(el, data) {
    var chart = echarts.init(el, null, { renderer: "canvas" });
    var option = base(data);
    option.tooltip = axisTooltip(function (item) {
      var i = item.dataIndex;
      if (item.value === null || item.value === undefined) return "—";
      return number(item.value, 1) + "\u00a0% (" + esc(data.names.met) + " " +
        number(data.slaMet[i]) + " / " + number(data.slaTotal[i]) + ")";
    });
    option.yAxis = {
      type: "value", min: 0, max: 100,
      axisLabel: { formatter: "{value}\u00a0%" }, splitLine: { lineStyle: { type: "dashed" } }
    };
    option.series = [{
      name: data.names.compliance, type: "line", data: data.compliance, connectNulls: true,
      symbolSize: 8, areaStyle: { opacity: 0.08 }, itemStyle: { color: "#198754" }
    }];
    chart.setOption(option);
    openOnClick(chart, function (p) { return data.slaUrls[p.dataIndex]; });
    return chart;
  }

  // Complaints received and resolved per category, horizontal bars.
  function complaintsChart(el, data) {
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      animationDuration: 300,
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      legend: { top: 0, data: [data.names.received, data.names.resolved] },
      tooltip: axisTooltip(function (item) { return number(item.value); }),
      xAxis: { type: "value", minInterval: 1, splitLine: { lineStyle: { type: "dashed" } } },
      yAxis: { type: "category", inverse: true, data: data.labels,
               axisLabel: { width: 160, overflow: "truncate" } },
      series: [
        { name: data.names.received, type: "bar", data: data.received, barMaxWidth: 18,
          itemStyle: { color: "#dc3545" } },
        { name: data.names.resolved, type: "bar", data: data.resolved, barMaxWidth: 18,
          itemStyle: { color: "#198754" } }
      ]
    });
    openOnClick(chart, function (p) { return data.urls[p.dataIndex]; });
    return chart;
  }

  var makers = {
    "service-volume": volumeChart,
    "service-times": timesChart,
    "service-sla": slaChart,
    "service-complaints": complaintsChart
  };
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var make = makers[el.getAttribute("data-chart")];
    var data = readData(el.getAttribute("data-source"));
    if (make && data) charts.push(make(el, data));
  });
  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
})();
