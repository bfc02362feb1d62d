/* Chapter 1's temperature slider (issue 12): softmax(z / T) of the chapter's scores.
 *
 * Plain JavaScript, no library, no network. The element
 *   <div class="explorable" id="temperature-explorable" data-classes='["dog", ...]'
 *        data-scores="[1.8, ...]" data-temperatures="[0.1, ..., 10]" data-start="1"
 *        data-digits="3"></div>
 * becomes a slider over the listed temperatures and one row per class: its score, a bar and
 * its probability, shown to data-digits decimals (the precision of the values the chapter
 * glues from softmaxlib beside it, which the browser test compares with what is shown here).
 *
 * Softmax is computed as softmaxlib does in exact arithmetic: every score is shifted by the
 * largest, so no exponential overflows, and divided by T before exponentiating.
 *
 * The words it writes (the label, the column heads, the table's accessible name) come from
 * WORDS, chosen by the page's language, <html lang>: "ja" in the Japanese edition (日本語版),
 * English otherwise. Numbers, ids, classes and the computation are the same in both.
 */
(function () {
  "use strict";

  var WORDS = {
    en: {
      temperature: "Temperature ",
      table: "softmax(z / T) by class",
      heads: ["class", "score", "", "probability"],
    },
    ja: {
      temperature: "温度 ",
      table: "クラスごとの softmax(z / T)",
      heads: ["クラス", "スコア", "", "確率"],
    },
  };
  var LANG = (document.documentElement.lang || "").toLowerCase().split("-")[0];
  var W = WORDS[LANG === "ja" ? "ja" : "en"];

  /** softmax(z / T): exp((z_i - max z) / T) over their sum. */
  function softmax(z, T) {
    var m = Math.max.apply(null, z);
    var e = z.map(function (v) {
      return Math.exp((v - m) / T);
    });
    var s = e.reduce(function (a, b) {
      return a + b;
    }, 0);
    return e.map(function (v) {
      return v / s;
    });
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      node.setAttribute(k, attrs[k]);
    });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function build(root) {
    if (root.dataset.ready) return;
    root.dataset.ready = "true";
    var prefix = root.id.replace(/-explorable$/, "");
    var classes = JSON.parse(root.dataset.classes);
    var scores = JSON.parse(root.dataset.scores);
    var temps = JSON.parse(root.dataset.temperatures);
    var digits = parseInt(root.dataset.digits || "3", 10);
    var start = temps.indexOf(parseFloat(root.dataset.start || "1"));
    if (start < 0) start = 0;

    var controls = el("div", { class: "explorable-controls" });
    var label = el("label", { for: prefix + "-slider" }, W.temperature);
    var shown = el("output", { id: prefix + "-T", for: prefix + "-slider", "aria-live": "polite" });
    label.appendChild(shown);
    var slider = el("input", {
      type: "range",
      id: prefix + "-slider",
      min: "0",
      max: String(temps.length - 1),
      step: "1",
      value: String(start),
    });
    controls.appendChild(label);
    controls.appendChild(slider);
    root.appendChild(controls);

    var rows = el("div", { class: "explorable-rows", role: "table", "aria-label": W.table });
    var head = el("div", { class: "explorable-row explorable-head", role: "row" });
    W.heads.forEach(function (h) {
      head.appendChild(el("span", { role: "columnheader" }, h));
    });
    rows.appendChild(head);
    var bars = [];
    var values = [];
    classes.forEach(function (name, i) {
      var row = el("div", { class: "explorable-row", role: "row" });
      row.appendChild(el("span", { role: "rowheader", class: "explorable-name" }, name));
      row.appendChild(el("span", { role: "cell", class: "explorable-num", id: prefix + "-score-" + i }, scores[i].toFixed(1)));
      var track = el("span", { role: "presentation", class: "explorable-track" });
      var bar = el("span", { class: "explorable-bar" });
      track.appendChild(bar);
      row.appendChild(track);
      var value = el("span", { role: "cell", class: "explorable-num", id: prefix + "-p-" + i, "data-class": name });
      row.appendChild(value);
      rows.appendChild(row);
      bars.push(bar);
      values.push(value);
    });
    root.appendChild(rows);

    function update() {
      var T = temps[parseInt(slider.value, 10)];
      var text = "T = " + String(T);
      shown.textContent = text;
      slider.setAttribute("aria-valuetext", text);
      var p = softmax(scores, T);
      p.forEach(function (q, i) {
        values[i].textContent = q.toFixed(digits);
        bars[i].style.width = (100 * q).toFixed(1) + "%";
      });
    }
    slider.addEventListener("input", update);
    slider.addEventListener("change", update);
    update();
  }

  function init() {
    document.querySelectorAll(".explorable#temperature-explorable").forEach(build);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
