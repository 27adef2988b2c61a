/* The dashboard's charts (pims.stats.dashboard), drawn with the vendored
   ECharts from the JSON each panel embeds (json_script, not run as code).
   Every chart's figures are also in the table under it. */
(function () {
  "use strict";
  if (!window.echarts) { return; }

  function pyramid(d) {
    var options = [];
    d.charts.forEach(function (c, i) {
      options.push({
        name: c.name,
        male: c.male.map(function (v) { return -v; }),
        female: c.female,
        labels: c.labels,
        index: i
      });
    });
    var n = options.length;
    return {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" },
        valueFormatter: function (v) { return Math.abs(v); } },
      legend: { top: 0 },
      title: options.map(function (o, i) {
        return { text: o.name, left: ((i + 0.5) * 100 / n) + "%", top: 24, textAlign: "center",
          textStyle: { fontSize: 13 } };
      }),
      grid: options.map(function (o, i) {
        return { left: (i * 100 / n + 6) + "%", width: (100 / n - 9) + "%", top: 56, bottom: 24 };
      }),
      xAxis: options.map(function (o, i) {
        return { type: "value", gridIndex: i, axisLabel: { formatter: function (v) { return Math.abs(v); } } };
      }),
      yAxis: options.map(function (o, i) {
        return { type: "category", gridIndex: i, data: o.labels, axisTick: { show: false } };
      }),
      series: options.reduce(function (all, o, i) {
        return all.concat([
          { name: "男", type: "bar", stack: "p" + i, xAxisIndex: i, yAxisIndex: i, data: o.male },
          { name: "女", type: "bar", stack: "p" + i, xAxisIndex: i, yAxisIndex: i, data: o.female }
        ]);
      }, [])
    };
  }

  function lines(d) {
    return {
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", top: 0 },
      grid: { left: 50, right: 20, top: 40, bottom: 30 },
      xAxis: { type: "category", data: d.labels },
      yAxis: { type: "value", minInterval: 1 },
      series: d.series.map(function (s) {
        return { name: s.name, type: "line", data: s.data, lineStyle: { type: s.dashed ? "dashed" : "solid" } };
      })
    };
  }

  function bars(d) {
    return {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      grid: { left: 50, right: 20, top: 40, bottom: 70 },
      xAxis: { type: "category", data: d.labels, axisLabel: { rotate: 30 } },
      yAxis: { type: "value", minInterval: 1 },
      series: d.series.map(function (s) { return { name: s.name, type: "bar", stack: "s", data: s.data }; })
    };
  }

  var builders = { pyramid: pyramid, lines: lines, bars: bars };
  document.querySelectorAll("[data-dashboard-chart]").forEach(function (el) {
    var source = document.getElementById(el.getAttribute("data-dashboard-chart"));
    if (!source) { return; }
    var spec = JSON.parse(source.textContent);
    if (!builders[spec.type]) { return; }
    var chart = window.echarts.init(el);
    chart.setOption(builders[spec.type](spec));
    window.addEventListener("resize", function () { chart.resize(); });
  });
}());
