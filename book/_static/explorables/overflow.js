/* Where exp overflows and underflows, by format (chapter 2, issue 12).
 *
 * Reads the row's offsets and the starting format and score from the data- attributes of
 * <div id="overflow-explorable">, then builds its own controls: a format (float16, float32,
 * float64) and a score x. It shows e^x in that format (a normal number, a subnormal number,
 * inf or 0), the format's three thresholds, and the softmax of the row x + offsets computed
 * twice, by the textbook formula e^x_i / sum_j e^x_j and with the max shift, rounding every
 * operation to the format the way numpy does: float16 arithmetic is done in float32 and
 * rounded to float16, and a float16 sum accumulates in float32. JavaScript has only float64:
 * float32 rounding is Math.fround, float16 rounding is roundToHalf below. Plain JavaScript, no
 * network, no kernel: the page's glued softmaxlib values are the reference the browser test
 * compares with, at the precision shown (2 decimals for thresholds, 4 significant digits for
 * probabilities).
 *
 * The words it writes come from WORDS, chosen by the page's language, <html lang>: "ja" in the
 * Japanese edition (日本語版), English otherwise. Numbers, ids, the format names and the
 * computation are the same in both; data-kind on the classification keeps its English key.
 */
(function () {
  "use strict";

  var WORDS = {
    en: {
      format: "Format ",
      score: "score x ",
      slider: "score x (slider)",
      exp: "e^x in this format",
      kindIs: "that is",
      naive: function (row) { return "textbook softmax of (" + row + ")"; },
      shifted: "shifted softmax of the same row",
      thMax: "e^x overflows above ln(largest)",
      thTiny: "subnormal below ln(smallest normal)",
      thZero: "rounds to 0 below ln(smallest subnormal / 2)",
      kinds: {
        "overflows to inf": "overflows to inf",
        "underflows to 0": "underflows to 0",
        subnormal: "subnormal",
        normal: "normal",
      },
    },
    ja: {
      format: "形式 ",
      score: "スコア x ",
      slider: "スコア x（スライダー）",
      exp: "この形式での e^x",
      kindIs: "その値は",
      naive: function (row) { return "教科書どおりの式による (" + row + ") のソフトマックス関数"; },
      shifted: "最大値シフトした式による同じ行のソフトマックス関数",
      thMax: "ln(最大の数)：これを超えると e^x がオーバーフロー",
      thTiny: "ln(最小の正規化数)：これ未満で非正規化数",
      thZero: "ln(最小の非正規化数 / 2)：これ未満で 0 に丸め",
      kinds: {
        "overflows to inf": "inf にオーバーフローします",
        "underflows to 0": "0 にアンダーフローします",
        subnormal: "非正規化数です",
        normal: "正規化数です",
      },
    },
  };
  var LANG = (document.documentElement.lang || "").toLowerCase().split("-")[0];
  var W = WORDS[LANG === "ja" ? "ja" : "en"];

  // IEEE 754 binary16, binary32 and binary64: largest finite, smallest normal and smallest
  // subnormal number; the slider spans a little more than the format's thresholds.
  var FORMATS = {
    float16: { max: 65504, tiny: Math.pow(2, -14), sub: Math.pow(2, -24), span: 20 },
    float32: {
      max: (2 - Math.pow(2, -23)) * Math.pow(2, 127),
      tiny: Math.pow(2, -126),
      sub: Math.pow(2, -149),
      span: 110,
    },
    float64: { max: Number.MAX_VALUE, tiny: Math.pow(2, -1022), sub: Number.MIN_VALUE, span: 760 },
  };

  // Round a float64 to the nearest float16 (ties to even); inf beyond max + half an ulp.
  function roundToHalf(v) {
    if (!Number.isFinite(v) || v === 0) return v;
    var a = Math.abs(v);
    if (a >= 65520) return v > 0 ? Infinity : -Infinity;
    var e = Math.floor(Math.log2(a));
    if (Math.pow(2, e) > a) e -= 1; // log2 may round up just below a power of two
    if (Math.pow(2, e + 1) <= a) e += 1;
    if (e < -14) e = -14; // subnormal: the spacing stays 2^-24
    var spacing = Math.pow(2, e - 10);
    var q = a / spacing; // exact: a power-of-two scaling
    var r = Math.floor(q);
    var frac = q - r;
    if (frac > 0.5 || (frac === 0.5 && r % 2 === 1)) r += 1;
    var out = r * spacing;
    return v > 0 ? out : -out;
  }

  // cast: a float64 input converted to the format (numpy's astype, one rounding).
  // op: the result of one operation, computed exactly or in float64, as numpy stores it.
  // acc: a running sum's accumulator (float16 sums accumulate in float32).
  var ROUNDING = {
    float16: {
      cast: roundToHalf,
      op: function (v) { return roundToHalf(Math.fround(v)); },
      acc: Math.fround,
    },
    float32: { cast: Math.fround, op: Math.fround, acc: Math.fround },
    float64: {
      cast: function (v) { return v; },
      op: function (v) { return v; },
      acc: function (v) { return v; },
    },
  };

  function kindOf(v, fmt) {
    if (v === Infinity) return "overflows to inf";
    if (v === 0) return "underflows to 0";
    return v < fmt.tiny ? "subnormal" : "normal";
  }

  // Python's format(v, ".4g"), the format the glued values use; NaN as "NaN".
  function g4(v) {
    if (Number.isNaN(v)) return "NaN";
    if (v === Infinity) return "inf";
    if (v === 0) return "0";
    var exp = Math.floor(Math.log10(Math.abs(Number(v.toPrecision(4)))));
    if (exp < -4 || exp >= 4) {
      var parts = v.toExponential(3).split("e");
      var mant = parts[0].replace(/\.?0+$/, "");
      var n = parseInt(parts[1], 10);
      return mant + "e" + (n < 0 ? "-" : "+") + (Math.abs(n) < 10 ? "0" : "") + Math.abs(n);
    }
    var t = v.toFixed(Math.max(0, 3 - exp));
    return t.indexOf(".") >= 0 ? t.replace(/\.?0+$/, "") : t;
  }

  function fixed2(v) {
    var t = v.toFixed(2);
    return t.charAt(0) === "-" ? "\u2212" + t.slice(1) : t;
  }

  function softmaxIn(row, rnd, shift) {
    var m = shift ? Math.max.apply(null, row) : 0;
    var e = row.map(function (v) { return rnd.op(Math.exp(shift ? rnd.op(v - m) : v)); });
    var s = 0;
    e.forEach(function (t) { s = rnd.acc(s + t); });
    s = rnd.op(s);
    return e.map(function (t) { return rnd.op(t / s); });
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function setup(root) {
    var offsets = root.dataset.offsets.split(",").map(Number);
    var controls = el("div", { class: "overflow-controls" });

    var dtypeLabel = el("label", { for: "overflow-dtype" }, W.format);
    var dtype = el("select", { id: "overflow-dtype" });
    Object.keys(FORMATS).forEach(function (name) {
      dtype.appendChild(el("option", { value: name }, name));
    });
    dtype.value = root.dataset.dtype || "float64";
    dtypeLabel.appendChild(dtype);

    var xLabel = el("label", { for: "overflow-x" }, W.score);
    var x = el("input", { id: "overflow-x", type: "number", step: "0.01" });
    xLabel.appendChild(x);
    var slider = el("input", {
      id: "overflow-x-range", type: "range", step: "0.01",
      "aria-label": W.slider,
    });
    controls.appendChild(dtypeLabel);
    controls.appendChild(xLabel);
    controls.appendChild(slider);

    var out = el("dl", { class: "overflow-out", "aria-live": "polite" });
    function line(label, id) {
      out.appendChild(el("dt", {}, label));
      var dd = el("dd", { id: id });
      out.appendChild(dd);
      return dd;
    }
    var rowText = offsets.map(function (o) {
      return o === 0 ? "x" : "x " + (o < 0 ? "\u2212 " : "+ ") + Math.abs(o);
    }).join(", ");
    var expOut = line(W.exp, "overflow-exp");
    var kindOut = line(W.kindIs, "overflow-kind");
    var naiveOut = line(W.naive(rowText), "overflow-naive");
    var shiftedOut = line(W.shifted, "overflow-shifted");
    var thMax = line(W.thMax, "overflow-th-max");
    var thTiny = line(W.thTiny, "overflow-th-tiny");
    var thZero = line(W.thZero, "overflow-th-zero");

    function update(fromSlider) {
      var name = dtype.value;
      var fmt = FORMATS[name];
      var rnd = ROUNDING[name];
      if (fromSlider) x.value = slider.value;
      var xv = Number(x.value);
      if (!Number.isFinite(xv)) return;
      if (!fromSlider) slider.value = String(Math.max(-fmt.span, Math.min(fmt.span, xv)));
      var ex = rnd.op(Math.exp(rnd.cast(xv)));
      expOut.textContent = g4(ex);
      kindOut.textContent = W.kinds[kindOf(ex, fmt)];
      kindOut.dataset.kind = kindOf(ex, fmt);
      var row = offsets.map(function (o) { return rnd.cast(xv + o); });
      naiveOut.textContent = softmaxIn(row, rnd, false).map(g4).join(", ");
      shiftedOut.textContent = softmaxIn(row, rnd, true).map(g4).join(", ");
      thMax.textContent = fixed2(Math.log(fmt.max));
      thTiny.textContent = fixed2(Math.log(fmt.tiny));
      // sub / 2 is 0 in float64 itself: subtract the logarithms instead.
      thZero.textContent = fixed2(Math.log(fmt.sub) - Math.LN2);
    }

    function setRange() {
      var span = FORMATS[dtype.value].span;
      slider.min = String(-span);
      slider.max = String(span);
    }

    dtype.addEventListener("change", function () { setRange(); update(false); });
    x.addEventListener("input", function () { update(false); });
    slider.addEventListener("input", function () { update(true); });

    root.appendChild(controls);
    root.appendChild(out);
    setRange();
    x.value = root.dataset.x || "0";
    update(false);
  }

  function init() {
    var root = document.getElementById("overflow-explorable");
    if (root && !root.dataset.ready) {
      root.dataset.ready = "1";
      setup(root);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
