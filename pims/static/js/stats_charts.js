/* Charts of the report pages, drawn with the vendored ECharts from the data
   the page embeds (json_script "stats-charts"); no network access. */
(function () {
  "use strict";
  var data = document.getElementById("stats-charts");
  if (!data || !window.echarts) { return; }
  var charts = JSON.parse(data.textContent);

  var builders = {
    pyramid: function (d) {
      return {
        title: { text: "人口金字塔", left: "center" },
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" },
          valueFormatter: function (v) { return Math.abs(v); } },
        legend: { data: ["男", "女"], top: 24 },
        grid: { left: 70, right: 20, top: 56, bottom: 30 },
        xAxis: { type: "value", axisLabel: { formatter: function (v) { return Math.abs(v); } } },
        yAxis: { type: "category", data: d.labels, axisTick: { show: false } },
        series: [
          { name: "男", type: "bar", stack: "p", data: d.male.map(function (v) { return -v; }) },
          { name: "女", type: "bar", stack: "p", data: d.female }
        ]
      };
    },
    structure: function (d) {
      return {
        title: { text: "各区划年龄结构", left: "center" },
        tooltip: { trigger: "axis" },
        legend: { data: ["0–14岁", "15–64岁", "65岁及以上"], top: 24 },
        grid: { left: 50, right: 20, top: 56, bottom: 60 },
        xAxis: { type: "category", data: d.labels, axisLabel: { rotate: 30 } },
        yAxis: { type: "value" },
        series: [
          { name: "0–14岁", type: "bar", stack: "a", data: d.young },
          { name: "15–64岁", type: "bar", stack: "a", data: d.working },
          { name: "65岁及以上", type: "bar", stack: "a", data: d.old }
        ]
      };
    },
    trend: function (d) {
      return {
        title: { text: "出生、死亡趋势（按审核月份）", left: "center" },
        tooltip: { trigger: "axis" },
        legend: { data: ["出生", "死亡"], top: 24 },
        grid: { left: 50, right: 20, top: 56, bottom: 30 },
        xAxis: { type: "category", data: d.periods },
        yAxis: { type: "value", minInterval: 1 },
        series: [
          { name: "出生", type: "line", data: d.births },
          { name: "死亡", type: "line", data: d.deaths }
        ]
      };
    },
    methods: function (d) {
      return {
        title: { text: "已婚育龄妇女避孕方法构成", left: "center" },
        tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
        legend: { bottom: 0, type: "scroll" },
        series: [{ type: "pie", radius: ["30%", "62%"], top: 30, data: d.items }]
      };
    }
  };

  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var name = el.getAttribute("data-chart");
    if (!builders[name] || !charts[name]) { return; }
    var chart = window.echarts.init(el);
    chart.setOption(builders[name](charts[name]));
    window.addEventListener("resize", function () { chart.resize(); });
  });
}());
