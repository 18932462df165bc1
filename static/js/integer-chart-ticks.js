// Whole-number ticks on the charts of counts of people (the trainers' dashboard).
//
// DSFR Chart draws its <bar-chart> with Chart.js but has no setting for the ticks of the value axis: with a
// few learners Chart.js steps by 0.5 and the axis reads « 1,5 apprenant ». For every <bar-chart
// data-integer-ticks>, this asks Chart.js itself for whole numbers (`ticks.precision = 0`, Chart.js's own
// option) once the chart is drawn. The chart is the web component's `chart` (DSFR Chart is a Vue custom
// element: Vue keeps the component instance on the element as `_instance`). The data tables beside the
// charts carry the values either way; tests/browser/test_courses_browser.py checks the ticks in Chromium.
(function () {
  "use strict";
  var MAX_FRAMES = 600;  // about 10 s: the module that defines <bar-chart> may load after this one

  function chartOf(element) {
    var instance = element._instance;
    return instance && instance.proxy ? instance.proxy.chart : undefined;
  }

  function wholeNumbers(element, framesLeft) {
    var chart = chartOf(element);
    if (!chart) {
      if (framesLeft > 0) window.requestAnimationFrame(function () { wholeNumbers(element, framesLeft - 1); });
      return;
    }
    // Both axes: the category axis ignores the option, the value axis (x when horizontal) gets it. (Set the
    // option only: Chart.js's options are proxies, assigning one to itself would recurse.)
    ["x", "y"].forEach(function (axis) {
      var scale = chart.options.scales && chart.options.scales[axis];
      if (scale && scale.ticks) scale.ticks.precision = 0;
    });
    chart.update();
    // Said as a property, not an attribute: the custom element turns its attributes into props.
    element.integerTicksApplied = true;
  }

  document.querySelectorAll("bar-chart[data-integer-ticks]").forEach(function (element) {
    wholeNumbers(element, MAX_FRAMES);
  });
})();
