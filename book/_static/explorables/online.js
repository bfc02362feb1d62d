/* The online normaliser, one chunk at a time (chapter 10, issue 12).
 *
 * Reads the scores and the chunk size from the data- attributes of
 * <div id="online-explorable">, then builds its own controls. "Next chunk" merges the next
 * chunk into the running summary (m, d): m the largest score so far, d the sum of
 * exp(x - m) over the scores so far. When a chunk raises the maximum from m to m', the old
 * sum is rescaled by exp(m - m') before the chunk's terms are added. The start, (-inf, 0),
 * is treated as the identity: no -inf minus -inf is ever computed (that is NaN). After the
 * last chunk, a second pass gives the softmax exp(x_i - m) / d. Plain JavaScript, no
 * network, no kernel: the page's glued softmaxlib values are the reference the browser test
 * compares with, at the precision shown (4 decimals for d and p, 1 for m).
 *
 * The words it writes come from WORDS, chosen by the page's language, <html lang>: "ja" in the
 * Japanese edition (日本語版), English otherwise. Numbers, ids and the computation are the same
 * in both. A sentence with numbers in it is a function of those numbers, already formatted.
 */
(function () {
  "use strict";

  var WORDS = {
    en: {
      title: function (n, size) { return "Scores, in " + n + " chunks of " + size + ":"; },
      next: "Next chunk",
      reset: "Reset",
      merged: "chunks merged",
      step: function (k, n) { return k + " of " + n; },
      m: "running maximum m",
      d: "running sum d = \u03a3 exp(x \u2212 m)",
      pTitle: "Softmax (second pass, exp(x \u2212 m) / d):",
      pLater: "(after the last chunk)",
      start: "Start from (m, d) = (\u2212\u221e, 0), the summary of no scores.",
      first: function (k, m) {
        return "Chunk " + k + ": the maximum is now " + m + "; add its terms exp(x \u2212 m).";
      },
      stays: function (k, m) {
        return "Chunk " + k + ": the maximum stays " + m + "; add its terms exp(x \u2212 m).";
      },
      raises: function (k, old, m, scale) {
        return "Chunk " + k + " raises the maximum from " + old + " to " + m +
          ": the old sum is multiplied by exp(" + old + " \u2212 " + m + ") = " + scale +
          " before the chunk's terms are added.";
      },
    },
    ja: {
      title: function (n, size) { return "スコア（" + size + "個ずつ、" + n + "チャンク）："; },
      next: "次のチャンク",
      reset: "リセット",
      merged: "マージしたチャンク数",
      step: function (k, n) { return k + " / " + n; },
      m: "ここまでの最大値 m",
      d: "ここまでの和 d = \u03a3 exp(x \u2212 m)",
      pTitle: "ソフトマックス関数（2回目のパス、exp(x \u2212 m) / d）：",
      pLater: "（最後のチャンクのあとに表示します）",
      start: "(m, d) = (\u2212\u221e, 0) から始めます。スコアがひとつもないときの要約です。",
      first: function (k, m) {
        return "チャンク" + k + "：最大値は " + m + " になります。このチャンクの項 exp(x \u2212 m) を加えます。";
      },
      stays: function (k, m) {
        return "チャンク" + k + "：最大値は " + m + " のままです。このチャンクの項 exp(x \u2212 m) を加えます。";
      },
      raises: function (k, old, m, scale) {
        return "チャンク" + k + "で最大値が " + old + " から " + m + " に上がります。" +
          "このチャンクの項を加える前に、古い和に exp(" + old + " \u2212 " + m + ") = " + scale +
          " を掛けます。";
      },
    },
  };
  var LANG = (document.documentElement.lang || "").toLowerCase().split("-")[0];
  var W = WORDS[LANG === "ja" ? "ja" : "en"];

  function fmt(v, digits) {
    if (v === -Infinity) return "\u2212\u221e";
    if (Number.isNaN(v)) return "NaN";
    // toFixed never prints "-0.0000": a tiny negative cannot occur here, but be safe.
    var t = v.toFixed(digits);
    return /^-0\.?0*$/.test(t) ? t.slice(1) : t;
  }

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // Merge the chunk's scores into the summary (m, d) and return the new summary.
  function merge(m, d, chunk) {
    var cm = Math.max.apply(null, chunk);
    var mNew = Math.max(m, cm);
    if (mNew === -Infinity) return { m: m, d: d, scale: 1 }; // nothing finite yet: identity
    var scale = m === -Infinity ? 0 : Math.exp(m - mNew); // d is 0 while m is -inf
    var sum = 0;
    chunk.forEach(function (x) { sum += Math.exp(x - mNew); });
    return { m: mNew, d: d * scale + sum, scale: scale };
  }

  function setup(root) {
    var scores = root.dataset.scores.split(",").map(Number);
    var size = parseInt(root.dataset.chunk, 10);
    var chunks = [];
    for (var i = 0; i < scores.length; i += size) chunks.push(scores.slice(i, i + size));

    var title = el("p", { class: "online-title" });
    title.textContent = W.title(chunks.length, size);
    var row = el("div", { class: "online-chunks", role: "list" });
    var chunkEls = chunks.map(function (c, k) {
      var box = el("span", { class: "online-chunk", role: "listitem",
                             id: "online-chunk-" + (k + 1) },
                   c.map(function (x) { return fmt(x, 1); }).join(", "));
      row.appendChild(box);
      return box;
    });

    var buttons = el("div", { class: "online-buttons" });
    var next = el("button", { type: "button", id: "online-next" }, W.next);
    var reset = el("button", { type: "button", id: "online-reset" }, W.reset);
    buttons.appendChild(next);
    buttons.appendChild(reset);

    var state = el("dl", { class: "online-state", "aria-live": "polite" });
    function item(label, id) {
      state.appendChild(el("dt", {}, label));
      var dd = el("dd", { id: id });
      state.appendChild(dd);
      return dd;
    }
    var stepEl = item(W.merged, "online-step");
    var mEl = item(W.m, "online-m");
    var dEl = item(W.d, "online-d");
    var noteEl = el("p", { class: "online-note", id: "online-note" });
    var pTitle = el("p", { class: "online-title" }, W.pTitle);
    var pEl = el("p", { class: "online-p", id: "online-p", "aria-live": "polite" });

    [title, row, buttons, state, noteEl, pTitle, pEl].forEach(function (e) {
      root.appendChild(e);
    });

    var m, d, k;
    function show() {
      stepEl.textContent = W.step(k, chunks.length);
      mEl.textContent = fmt(m, 1);
      dEl.textContent = fmt(d, 4);
      chunkEls.forEach(function (box, j) {
        box.classList.toggle("online-done", j < k);
        box.classList.toggle("online-next", j === k);
      });
      next.disabled = k === chunks.length;
      if (k === chunks.length) {
        pEl.textContent = scores.map(function (x) { return fmt(Math.exp(x - m) / d, 4); })
          .join(", ");
      } else {
        pEl.textContent = W.pLater;
      }
    }
    function start() {
      m = -Infinity; d = 0; k = 0;
      noteEl.textContent = W.start;
      show();
    }
    next.addEventListener("click", function () {
      if (k === chunks.length) return;
      var old = m;
      var r = merge(m, d, chunks[k]);
      m = r.m; d = r.d; k += 1;
      if (old === -Infinity || r.m === old) {
        noteEl.textContent = (old === -Infinity ? W.first : W.stays)(k, fmt(m, 1));
      } else {
        noteEl.textContent = W.raises(k, fmt(old, 1), fmt(m, 1), fmt(r.scale, 4));
      }
      show();
    });
    reset.addEventListener("click", start);
    start();
  }

  function init() {
    var root = document.getElementById("online-explorable");
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
