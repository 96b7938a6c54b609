/* The explorer's training charts (viz/explorer_page.py inlines this before explorer.js): the cost curve and the
 * norms ||dW[l]|| per layer. `explorerCharts({el, sel, fmt})` takes explorer.js's helpers and returns
 * {chart, seriesColors, normsLegend}. Up to 8 series get 8 distinct colours and a list legend; more get the
 * turbo colour map sampled once per layer (dW1 dark blue ... dW[L] dark red), a colour bar for a legend and a
 * selector that picks one layer out, so the legend stays inside the chart whatever the depth. */
function explorerCharts(helpers) {
  "use strict";
  const {el, sel, fmt} = helpers;
  const COLORS = ["#2563eb", "#16a34a", "#ea580c", "#9333ea", "#db2777", "#0891b2", "#65a30d", "#b45309"];
  const W = 620, H = 300, L = 70, R = 100, T = 30, B = 42;

  // Turbo (Google's rainbow map, perceptually ordered), as its published polynomial fit; x in [0, 1].
  function turbo(x) {
    const c = (k) => Math.round(255 * Math.max(0, Math.min(1, k.reduceRight((acc, a) => acc * x + a, 0))));
    const r = c([0.13572138, 4.61539260, -42.66032258, 132.13108234, -152.94239396, 59.28637943]);
    const g = c([0.09140261, 2.19418839, 4.84296658, -14.18503333, 4.27729857, 2.82956604]);
    const b = c([0.10667330, 12.64194608, -60.58204836, 110.36276771, -89.90310912, 27.34824973]);
    return "rgb(" + r + ", " + g + ", " + b + ")";
  }
  // The colour of each of n series: distinct categorical colours up to 8, else turbo sampled per series
  // (its ends trimmed: the darkest blue and red read as black on a white page).
  function seriesColors(n) {
    if (n <= COLORS.length) return COLORS.slice(0, n);
    return Array.from({length: n}, (_, k) => turbo(0.05 + 0.9 * k / (n - 1)));
  }
  function ticks(lo, hi, n) {
    if (hi === lo) return [lo];
    const step0 = (hi - lo) / n, mag = Math.pow(10, Math.floor(Math.log10(step0)));
    const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => s >= step0);
    const out = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
    return out;
  }
  function tickText(v) {
    const a = Math.abs(v);
    return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(0) : String(+v.toPrecision(4));
  }
  function text(attrs, content) {
    const t = sel("text", attrs);
    t.textContent = content;
    return t;
  }
  // A list legend (one row per series) when it fits between T and H - B, else a colour bar from the first
  // series' name to the last one's.
  function legend(svgEl, series, colors) {
    if (series.length < 2) return;
    const x = W - R + 10;
    if (series.length <= COLORS.length) {
      series.forEach((s, k) => {
        const y = T + 14 * k + 6;
        svgEl.append(sel("line", {x1: x, x2: x + 18, y1: y, y2: y, stroke: colors[k], "stroke-width": 3,
          class: "legend-key", "data-series": s.name}));
        svgEl.append(text({x: x + 22, y: y + 4, class: "legend-text"}, s.name));
      });
      return;
    }
    const top = T + 18, bottom = H - B - 18, n = series.length, h = (bottom - top) / n;
    svgEl.append(text({x: x, y: top - 6, class: "legend-text"}, "layer"));
    series.forEach((s, k) => {
      const r = sel("rect", {x: x, y: (top + h * k).toFixed(2), width: 14, height: (h + 0.4).toFixed(2),
        fill: colors[k], class: "legend-key", "data-series": s.name});
      const tip = sel("title");
      tip.textContent = s.name;
      r.append(tip);
      svgEl.append(r);
    });
    const marks = [0, Math.floor((n - 1) / 2), n - 1]; // first, middle, last: three names stay legible
    for (const k of new Set(marks)) {
      svgEl.append(text({x: x + 18, y: (top + h * (k + 0.5) + 4).toFixed(1), class: "legend-text"}, series[k].name));
    }
  }
  function chart(title, xs, series, yLabel, logScale) {
    const values = series.flatMap((s) => s.values).filter((v) => v !== null && (!logScale || v > 0));
    const svgEl = sel("svg", {width: W, height: H, viewBox: "0 0 " + W + " " + H, role: "img"});
    svgEl.append(text({x: L, y: 18, class: "title"}, title));
    if (!values.length) return svgEl;
    const tr = logScale ? Math.log10 : (v) => v;
    let lo = tr(Math.min(...values)), hi = tr(Math.max(...values));
    if (hi === lo) { lo -= 0.5; hi += 0.5; }
    const x0 = Math.min(...xs), x1 = Math.max(...xs) === x0 ? x0 + 1 : Math.max(...xs);
    const px = (x) => L + (W - L - R) * (x - x0) / (x1 - x0);
    const py = (v) => T + (H - T - B) * (1 - (tr(v) - lo) / (hi - lo));
    const integers = xs.every(Number.isInteger);
    for (const x of ticks(x0, x1, 6).filter((x) => !integers || Number.isInteger(x))) {
      svgEl.append(sel("line", {class: "grid", x1: px(x), x2: px(x), y1: T, y2: H - B}));
      svgEl.append(text({x: px(x), y: H - B + 14, "text-anchor": "middle"}, String(x)));
    }
    const yt = logScale ? ticks(Math.floor(lo), Math.ceil(hi), 5).filter((e) => e >= lo - 1e-9 && e <= hi + 1e-9)
      .map((e) => Math.pow(10, e)) : ticks(lo, hi, 5);
    for (const v of yt) {
      svgEl.append(sel("line", {class: "grid", x1: L, x2: W - R, y1: py(v), y2: py(v)}));
      svgEl.append(text({x: L - 6, y: py(v) + 4, "text-anchor": "end"}, tickText(v)));
    }
    svgEl.append(sel("line", {class: "axis", x1: L, x2: W - R, y1: H - B, y2: H - B}),
      sel("line", {class: "axis", x1: L, x2: L, y1: T, y2: H - B}));
    svgEl.append(text({x: (L + W - R) / 2, y: H - 8, "text-anchor": "middle"}, "iteration"));
    svgEl.append(text({x: 14, y: (T + H - B) / 2, transform: "rotate(-90 14 " + (T + H - B) / 2 + ")",
      "text-anchor": "middle"}, yLabel + (logScale ? " (log scale)" : "")));
    const colors = seriesColors(series.length);
    series.forEach((s, k) => {
      const group = sel("g", {class: "series", "data-series": s.name});
      let points = [];
      const flush = () => {
        if (points.length) group.append(sel("polyline", {points: points.join(" "), stroke: colors[k]}));
        points = [];
      };
      s.values.forEach((v, i) => {
        if (v === null || (logScale && v <= 0)) { flush(); return; }
        points.push(px(xs[i]).toFixed(1) + "," + py(v).toFixed(1));
        if (s.values.length <= 200) {
          const dot = sel("circle", {cx: px(xs[i]).toFixed(1), cy: py(v).toFixed(1), r: 2.5, fill: colors[k]});
          const tip = sel("title"); tip.textContent = s.name + " after iteration " + xs[i] + ": " + fmt(v);
          dot.append(tip);
          group.append(dot);
        }
      });
      flush();
      svgEl.append(group);
    });
    legend(svgEl, series, colors);
    return svgEl;
  }
  // A selector under a chart of many series: picking one draws it thick on top of the others, faded.
  function highlighter(box, names) {
    const choice = el("select", {id: "norms-highlight", "aria-label": "pick one layer out"},
      el("option", {value: ""}, "all layers"), ...names.map((n) => el("option", {value: n}, n)));
    choice.addEventListener("change", () => {
      const svgEl = box.querySelector("svg");
      svgEl.classList.toggle("picking", choice.value !== "");
      svgEl.querySelectorAll("[data-series]").forEach((g) => {
        g.classList.toggle("picked", g.dataset.series === choice.value);
        if (g.dataset.series === choice.value && g.tagName === "g") g.parentNode.append(g); // drawn last: on top
      });
    });
    return el("label", {class: "picker"}, "highlight ", choice);
  }
  return {chart, seriesColors, highlighter};
}
