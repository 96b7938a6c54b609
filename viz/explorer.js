/* The explorer page's script (viz/explorer_page.py inlines it). It reads the data in #explorer-data
 * (see viz/explorer_data.py) and the Graphviz drawing in #viewport, and adds: pan and zoom, the node
 * panel, the search box, the step control and the training charts. It makes no request of any kind. */
(function () {
  "use strict"; // inside the function: the page inlines viz/explorer_charts.js before this file
  const data = JSON.parse(document.getElementById("explorer-data").textContent);
  const $ = (id) => document.getElementById(id);
  const SVGNS = "http://www.w3.org/2000/svg";
  const tensors = data.tensors;
  const steps = data.steps;
  const viewport = $("viewport");
  const svg = viewport.querySelector("svg");
  const nodes = {}; // drawing id (t5, op_t5, d_t5, dop_t5) -> its <g>
  const edges = []; // [tail id, head id, <g>]
  let view = null; // the viewBox shown now: {x, y, w, h}
  let home = null; // the whole drawing
  let selected = null;
  let current = 0; // step shown: 0 is the start, 1..steps.length the steps

  // ----- small helpers ---------------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v; else e.setAttribute(k, v);
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c);
    return e;
  }
  function sel(tag, attrs) {
    const e = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    return e;
  }
  function fmt(x) {
    if (x === null || x === undefined) return "\u2013";
    const a = Math.abs(x);
    if (a !== 0 && (a < 1e-3 || a >= 1e5)) return x.toExponential(3);
    return String(+x.toPrecision(5));
  }
  function pct(x) { return x === null || x === undefined ? "\u2013" : (100 * x).toFixed(1) + "%"; }
  function shapeText(s) { return "(" + s.join(", ") + (s.length === 1 ? "," : "") + ")"; }
  function nameOf(id) {
    const [key, role] = data.svg[id];
    const t = tensors[key];
    if (role === "grad") return "d" + t.name;
    if (role === "op") return t.op;
    if (role === "step") return t.op + "'";
    return t.name;
  }
  function describe(id) {
    const [key, role] = data.svg[id];
    const t = tensors[key];
    if (role === "grad") return "d" + t.name + " " + shapeText(t.shape) + "  gradient";
    if (role === "op") return t.op + ": " + (t.forward || "");
    if (role === "step") return "backward step " + t.step + ": " + t.op + "' takes d" + t.name + " back to its inputs";
    return t.name + " " + shapeText(t.shape) + "  " + t.kind;
  }

  // ----- the drawing: ids, tooltips, pan and zoom -----------------------------------------------
  function setView(v) {
    view = v;
    svg.setAttribute("viewBox", [v.x, v.y, v.w, v.h].join(" "));
  }
  function toDrawing(clientX, clientY) {
    const p = svg.createSVGPoint();
    p.x = clientX; p.y = clientY;
    return p.matrixTransform(svg.getScreenCTM().inverse());
  }
  function zoom(factor, clientX, clientY) {
    const r = svg.getBoundingClientRect();
    const c = toDrawing(clientX === undefined ? r.left + r.width / 2 : clientX,
      clientY === undefined ? r.top + r.height / 2 : clientY);
    const w = Math.min(Math.max(view.w * factor, home.w / 40), home.w * 3);
    const f = w / view.w;
    setView({x: c.x - (c.x - view.x) * f, y: c.y - (c.y - view.y) * f, w: view.w * f, h: view.h * f});
  }
  function boxOf(id) { // the node's box in drawing units
    const r = nodes[id].getBoundingClientRect();
    const a = toDrawing(r.left, r.top), b = toDrawing(r.right, r.bottom);
    return {x: a.x, y: a.y, w: b.x - a.x, h: b.y - a.y};
  }
  // Readable means a label of the drawing is at least MIN_PX tall on screen: the page opens at the whole
  // drawing only where that holds, else at READABLE_PX around the first step, and each step brings its nodes
  // into view at that size ("follow"); "fit" shows the whole drawing, whatever the size of its labels.
  const MIN_PX = 11, READABLE_PX = 13;
  let fontSize = 12; // the drawing's label size in drawing units (Graphviz's points), read from the SVG
  let following = true;
  function screenBox() { return viewport.getBoundingClientRect(); }
  function scaleNow() { return svg.getScreenCTM().a; } // screen pixels per drawing unit
  function visible() { // the part of the drawing on screen, in drawing units
    const v = screenBox(), a = toDrawing(v.left, v.top), b = toDrawing(v.right, v.bottom);
    return {x: a.x, y: a.y, w: b.x - a.x, h: b.y - a.y};
  }
  function clampView(v) { // no blank beyond the drawing's edges along an axis where the view is the smaller
    const c = (p, len, lo, full) => len >= full ? lo + (full - len) / 2 : Math.min(Math.max(p, lo), lo + full - len);
    return {x: c(v.x, v.w, home.x, home.w), y: c(v.y, v.h, home.y, home.h), w: v.w, h: v.h};
  }
  function viewAround(scale, cx, cy) { // `scale` screen pixels per unit, centred on (cx, cy) where the edges allow
    const r = screenBox(), w = r.width / scale, h = r.height / scale;
    return clampView({x: cx - w / 2, y: cy - h / 2, w: w, h: h});
  }
  function unionOf(ids) {
    const bs = ids.filter((id) => nodes[id]).map(boxOf);
    if (!bs.length) return null;
    const x0 = Math.min(...bs.map((b) => b.x)), y0 = Math.min(...bs.map((b) => b.y));
    const x1 = Math.max(...bs.map((b) => b.x + b.w)), y1 = Math.max(...bs.map((b) => b.y + b.h));
    return {x: x0, y: y0, w: x1 - x0, h: y1 - y0};
  }
  function inside(b, v, margin) {
    return b.x >= v.x + margin && b.y >= v.y + margin && b.x + b.w <= v.x + v.w - margin &&
      b.y + b.h <= v.y + v.h - margin;
  }
  function centerOn(id) {
    const b = boxOf(id), r = screenBox();
    if (!r.width || !r.height) return;
    setView(viewAround(scaleNow(), b.x + b.w / 2, b.y + b.h / 2));
  }
  function focusOn(id) { // centre on the node, zoomed in to a readable size if it is smaller
    const b = boxOf(id), r = screenBox();
    if (!r.width || !r.height) return;
    setView(viewAround(Math.max(scaleNow(), READABLE_PX / fontSize), b.x + b.w / 2, b.y + b.h / 2));
  }
  function ensureVisible(id) {
    if (!inside(boxOf(id), visible(), 0)) centerOn(id);
  }
  // Bring a step into view: the node of the step (current) and, where they fit on screen with it, what it
  // reads and sends; zoomed in to a readable size if the drawing is shown smaller.
  function followStep(s) {
    const r = screenBox(), main = s.current.find((id) => nodes[id]);
    if (!main || !r.width || !r.height) return;
    if (!following) { ensureVisible(main); return; }
    const scale = scaleNow() * fontSize < MIN_PX ? READABLE_PX / fontSize : scaleNow();
    const all = unionOf([...s.current, ...s.reads, ...s.sends]);
    const pad = 24 / scale; // keep the boxes this far (24 screen pixels) from the edges
    const target = all.w + 2 * pad <= r.width / scale && all.h + 2 * pad <= r.height / scale ? all : boxOf(main);
    if (scale === scaleNow() && inside(target, visible(), Math.min(pad, visible().w / 4))) return;
    setView(viewAround(scale, target.x + target.w / 2, target.y + target.h / 2));
  }
  function openingView() { // the whole drawing where its labels are readable so, else readable at the first step
    const r = screenBox();
    if (!r.width || !r.height || Math.min(r.width / home.w, r.height / home.h) * fontSize >= MIN_PX) return home;
    const first = steps.length ? steps[0].current.find((id) => nodes[id]) : null;
    const b = first ? boxOf(first) : {x: home.x, y: home.y, w: 0, h: 0};
    return viewAround(READABLE_PX / fontSize, b.x + b.w / 2, b.y + b.h / 2);
  }
  function setUpDrawing() {
    svg.removeAttribute("width");
    svg.removeAttribute("height");
    const b = svg.viewBox.baseVal;
    home = {x: b.x, y: b.y, w: b.width, h: b.height};
    setView(home);
    const sizes = [...svg.querySelectorAll("g.node text")].map((t) => parseFloat(t.getAttribute("font-size")))
      .filter((x) => x > 0).sort((p, q) => p - q);
    if (sizes.length) fontSize = sizes[Math.floor(sizes.length / 2)];
    svg.querySelectorAll("g.node").forEach((g) => {
      const title = g.querySelector("title");
      if (!title) return;
      const id = title.textContent.trim();
      g.dataset.key = id;
      nodes[id] = g;
      if (id.startsWith("legend_")) g.classList.add("legend");
      if (data.svg[id]) {
        g.classList.add("clickable");
        g.dataset.name = nameOf(id);
        title.textContent = describe(id);
      }
    });
    svg.querySelectorAll("g.edge").forEach((g) => {
      const title = g.querySelector("title");
      const ends = title ? title.textContent.split("->") : [];
      if (ends.length === 2) edges.push([ends[0].split(":")[0].trim(), ends[1].split(":")[0].trim(), g]);
      if (title) title.textContent = "";
    });
    let drag = null;
    viewport.addEventListener("pointerdown", (e) => {
      if (e.button !== 0) return;
      const g = e.target.closest ? e.target.closest("g.node.clickable") : null;
      drag = {x: e.clientX, y: e.clientY, view: view, moved: false, node: g ? g.dataset.key : null};
    });
    window.addEventListener("pointermove", (e) => {
      if (!drag) return;
      const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
      if (!drag.moved && Math.hypot(dx, dy) < 4) return;
      drag.moved = true;
      viewport.classList.add("dragging");
      const scale = 1 / svg.getScreenCTM().a;
      setView({x: drag.view.x - dx * scale, y: drag.view.y - dy * scale, w: drag.view.w, h: drag.view.h});
    });
    window.addEventListener("pointerup", () => {
      if (drag && !drag.moved && drag.node) select(drag.node);
      drag = null;
      viewport.classList.remove("dragging");
    });
    viewport.addEventListener("wheel", (e) => {
      e.preventDefault();
      zoom(e.deltaY > 0 ? 1.15 : 1 / 1.15, e.clientX, e.clientY);
    }, {passive: false});
    const zoomButton = (factor) => { // around the current step's node, else the selected one, else the middle
      const g = svg.querySelector("g.node.current") || (selected && nodes[selected]);
      const r = g ? g.getBoundingClientRect() : null, v = viewport.getBoundingClientRect();
      const inside = r && r.left >= v.left && r.right <= v.right && r.top >= v.top && r.bottom <= v.bottom;
      if (inside) zoom(factor, r.left + r.width / 2, r.top + r.height / 2); else zoom(factor);
    };
    $("zoom-in").addEventListener("click", () => zoomButton(1 / 1.4));
    $("zoom-out").addEventListener("click", () => zoomButton(1.4));
    $("zoom-fit").addEventListener("click", () => setView(home));
    document.addEventListener("keydown", (e) => { // + and - zoom, 0 fits, as the buttons do
      const t = e.target;
      if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT")) return;
      if (e.key === "+" || e.key === "=") zoomButton(1 / 1.4);
      else if (e.key === "-") zoomButton(1.4);
      else if (e.key === "0") setView(home);
    });
    const follow = $("zoom-follow");
    follow.addEventListener("click", () => {
      following = !following;
      follow.setAttribute("aria-pressed", String(following));
      if (following && current > 0) followStep(steps[current - 1]);
    });
    setView(openingView());
  }

  // ----- the panel -----------------------------------------------------------------------------
  const KIND_TEXT = {
    parameter: "a parameter: learned, updated by gradient descent with its gradient",
    input: "given data: no gradient is needed for it",
    intermediate: "computed in the forward pass and kept as a cache for the backward pass",
    output: "the cost: the backward pass starts here with dJ/dJ = 1",
  };
  function histogram(h, cls) {
    const W = 300, H = 64, n = h.counts.length, top = Math.max(...h.counts, 1);
    const s = sel("svg", {width: W, height: H + 14, class: "hist " + cls, role: "img"});
    h.counts.forEach((c, i) => {
      const bh = c ? Math.max(1, (H - 2) * c / top) : 0;
      const r = sel("rect", {class: "bar", x: (i * W / n + 0.5).toFixed(1), y: (H - bh).toFixed(1),
        width: (W / n - 1).toFixed(1), height: bh.toFixed(1)});
      const lo = h.lo + (h.hi - h.lo) * i / n, hi = h.lo + (h.hi - h.lo) * (i + 1) / n;
      const tip = sel("title");
      tip.textContent = c + " values in [" + fmt(lo) + ", " + fmt(hi) + ")";
      r.append(tip);
      s.append(r);
    });
    if (h.lo < 0 && h.hi > 0) {
      const x = (W * (0 - h.lo) / (h.hi - h.lo)).toFixed(1);
      s.append(sel("line", {class: "zero", x1: x, x2: x, y1: 0, y2: H}));
    }
    const left = sel("text", {x: 0, y: H + 12}); left.textContent = fmt(h.lo);
    const right = sel("text", {x: W, y: H + 12, "text-anchor": "end"}); right.textContent = fmt(h.hi);
    s.append(left, right);
    return s;
  }
  function statsBlock(st, cls, idPrefix) {
    const rows = [["min", fmt(st.min)], ["mean", fmt(st.mean)], ["max", fmt(st.max)],
      ["norm ||.||", fmt(st.norm)], ["zeros", pct(st.zeros)]];
    if (st.dead !== undefined) rows.push(["dead units", st.dead_units + " of " + st.units + " (" + pct(st.dead) + ")"]);
    const table = el("table", {class: "stats", id: idPrefix + "-stats"});
    for (const [k, v] of rows) table.append(el("tr", {}, el("th", {}, k), el("td", {}, v)));
    const box = el("div", {}, table);
    if (st.dead !== undefined) {
      box.append(el("p", {class: "note"}, "A dead unit is 0 for every one of the m examples: relu passes it no " +
        "gradient, so its weights stop learning."));
    }
    if (st.nan || st.inf) box.append(el("p", {class: "warn"}, st.nan + " NaN and " + st.inf + " Inf values"));
    if (st.hist) box.append(histogram(st.hist, cls));
    return box;
  }
  function select(id) {
    if (!data.svg[id]) return;
    if (selected && nodes[selected]) nodes[selected].classList.remove("selected");
    selected = id;
    if (nodes[id]) nodes[id].classList.add("selected");
    const [key, role] = data.svg[id];
    showPanel(key, role === "grad" || role === "step" ? "grad" : "value");
  }
  function gradMeaning(t) { // what the numbers of dT are: the course's m * dJ/dZ for Z[l], A[l], X; else dJ/dT
    return (t.grad_scale !== 1 ? "m\u00b7" : "") + "\u2202J/\u2202" + t.name;
  }
  function madeBy(t) { // which backward steps wrote dT: a gradient is made by the backward pass, never a leaf
    if (t.kind === "output") return "the start of the backward pass: d" + t.name + " = 1";
    if (!t.grad_lines.length) return t.grad ? "\u2013" : "no backward step: no gradient reaches " + t.name;
    return t.grad_lines.map((g) => "backward step " + g.step + ": " + g.op + "' takes d" + g.of +
      " back to its inputs").join("; ");
  }
  function showPanel(key, focus) {
    const t = tensors[key];
    const panel = $("panel");
    panel.replaceChildren();
    const gradName = "d" + t.name;
    const kind = focus === "grad" ? "gradient" : t.kind;
    panel.append(el("h2", {id: "panel-name"}, focus === "grad" ? gradName : t.name),
      el("span", {class: "badge " + kind, id: "panel-kind"}, kind),
      el("p", {class: "what"}, focus === "grad"
        ? gradMeaning(t) + ": how the cost J changes when " + t.name + " changes; same shape as " + t.name
        : KIND_TEXT[t.kind] || ""));
    const dl = el("dl", {},
      el("dt", {}, "shape"), el("dd", {id: "panel-shape"}, shapeText(t.shape)),
      el("dt", {}, "dtype"), el("dd", {id: "panel-dtype"}, t.dtype),
      ...(focus === "grad" ? [el("dt", {}, "made by"), el("dd", {id: "panel-op"}, madeBy(t))]
        : [el("dt", {}, "op"), el("dd", {id: "panel-op"}, t.op || "none (a leaf: made by you, not by an op)")]));
    if (t.layer !== null) dl.append(el("dt", {}, "layer"), el("dd", {}, String(t.layer)));
    panel.append(dl);
    panel.append(el("h3", {}, "Forward"));
    panel.append(el("code", {class: "formula", id: "panel-forward"}, t.forward ||
      (t.kind === "parameter" ? t.name + " := " + t.name + " - \u03b1 d" + t.name + "  (each training step)"
        : t.name + " is given")));
    if (t.forward_step) panel.append(el("p", {class: "note"}, "forward step " + t.forward_step));
    panel.append(el("h3", {}, "Backward"));
    const back = el("div", {id: "panel-backward"});
    if (t.grad_lines.length) {
      back.append(el("p", {class: "note"}, "how " + gradName + " was computed (the chain rule, as explain mode prints it):"));
      for (const line of t.grad_lines) back.append(el("code", {class: "formula"}, "step " + line.step + ":  " + line.text));
    } else if (t.kind === "output") {
      back.append(el("code", {class: "formula"}, gradName + " = 1  (the start of the backward pass)"));
    } else if (!t.requires_grad) {
      back.append(el("p", {class: "note"}, t.name + " does not require grad: the backward pass stops before it."));
    }
    if (t.step) {
      back.append(el("p", {class: "note"}, "backward step " + t.step + " (" + t.op + "') takes " + gradName +
        " back to the inputs:"));
      for (const line of t.step_lines) back.append(el("code", {class: "formula"}, line));
    }
    panel.append(back);
    const valueHead = el("h3", {}, "Value of " + t.name);
    const gradHead = el("h3", {id: "panel-grad-head"}, "Gradient " + gradName + " = " + gradMeaning(t));
    const valueBlock = statsBlock(t.value, "value", "panel-value");
    let gradBlock;
    if (t.grad) {
      gradBlock = statsBlock(t.grad, "grad", "panel-grad");
      gradBlock.append(el("p", {class: "note"}, t.grad_scale !== 1
        ? "As in the course, " + gradName + " is m \u00d7 \u2202J/\u2202" + t.name + " (m = " + t.grad_scale +
          " examples), so that dW = 1/m dZ A^T; dW[l] and db[l] are \u2202J/\u2202W[l] and \u2202J/\u2202b[l] themselves."
        : gradName + " is \u2202J/\u2202" + t.name + " itself (the course scales only dZ, dA by m)."));
    } else {
      gradBlock = el("p", {class: "note", id: "panel-grad-stats"}, data.no_grad_reason ||
        (t.requires_grad ? "J does not depend on " + t.name : t.name + " does not require grad"));
    }
    if (focus === "grad") panel.append(gradHead, gradBlock, valueHead, valueBlock);
    else panel.append(valueHead, valueBlock, gradHead, gradBlock);
  }

  // ----- search --------------------------------------------------------------------------------
  function setUpSearch() {
    const box = $("search"), list = $("search-results");
    let found = [];
    function clear() {
      svg && svg.querySelectorAll("g.node.match").forEach((g) => g.classList.remove("match"));
    }
    function choose(id) { // and hand the keys back to the page: the arrow keys step again
      list.hidden = true;
      box.blur();
      select(id);
      if (nodes[id]) focusOn(id);
    }
    box.addEventListener("input", () => {
      clear();
      const q = box.value.trim().toLowerCase();
      list.replaceChildren();
      if (!q) { list.hidden = true; found = []; return; }
      const rank = (id) => { const n = nameOf(id).toLowerCase(); return n === q ? 0 : n.startsWith(q) ? 1 : 2; };
      found = Object.keys(data.svg).filter((id) => nameOf(id).toLowerCase().includes(q) ||
        describe(id).toLowerCase().includes(q))
        .sort((a, b) => rank(a) - rank(b) || nameOf(a).length - nameOf(b).length || nameOf(a).localeCompare(nameOf(b)));
      found.forEach((id) => nodes[id] && nodes[id].classList.add("match"));
      found.slice(0, 12).forEach((id, i) => {
        const li = el("li", {class: i === 0 ? "first" : ""}, describe(id));
        li.addEventListener("mousedown", (e) => { e.preventDefault(); choose(id); });
        list.append(li);
      });
      if (!found.length) list.append(el("li", {class: "none"}, "no node named like \u201c" + box.value + "\u201d"));
      list.hidden = false;
    });
    box.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && found.length) choose(found[0]);
      if (e.key === "Escape") { box.value = ""; clear(); list.hidden = true; box.blur(); }
    });
    box.addEventListener("blur", () => { list.hidden = true; });
  }

  // ----- the step control --------------------------------------------------------------------------
  function goTo(i) {
    current = Math.max(0, Math.min(steps.length, i));
    $("step-slider").value = String(current);
    document.body.dataset.step = String(current);
    const f = steps.filter((s) => s.pass === "forward").length;
    $("step-count").textContent = current + " / " + steps.length;
    for (const cls of ["current", "reads", "sends"]) {
      svg && svg.querySelectorAll("g.node." + cls).forEach((g) => g.classList.remove(cls));
    }
    edges.forEach(([, , g]) => g.classList.remove("lit"));
    if (current === 0) {
      svg && svg.classList.remove("stepping");
      $("step-caption").textContent = steps.length
        ? "Press next \u25B6 (or the right arrow key) to walk the forward pass (" + f + " steps), then the " +
          "backward pass (" + (steps.length - f) + " steps, in the order the engine ran them)."
        : "No steps to show: the graph has no recorded op.";
      $("step-formula").textContent = data.no_grad_reason ? "No backward pass: " + data.no_grad_reason : "";
      return;
    }
    const s = steps[current - 1];
    const lit = new Set();
    for (const cls of ["reads", "sends", "current"]) {
      for (const id of s[cls]) {
        if (nodes[id]) { nodes[id].classList.add(cls); lit.add(id); }
      }
    }
    edges.forEach(([a, b, g]) => { if (lit.has(a) && lit.has(b)) g.classList.add("lit"); });
    svg && svg.classList.add("stepping");
    $("step-caption").textContent = s.title;
    $("step-formula").textContent = s.lines.join("\n") + (s.pass === "backward" ? "\n" + data.course_note : "");
    showPanel(s.tensor, s.pass === "forward" ? "value" : "grad");
    if (svg) followStep(s);
  }
  function setUpSteps() {
    const slider = $("step-slider");
    slider.max = String(steps.length);
    slider.addEventListener("input", () => goTo(Number(slider.value)));
    $("step-first").addEventListener("click", () => goTo(0));
    $("step-prev").addEventListener("click", () => goTo(current - 1));
    $("step-next").addEventListener("click", () => goTo(current + 1));
    $("step-last").addEventListener("click", () => goTo(steps.length));
    document.addEventListener("keydown", (e) => {
      const t = e.target;
      if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA")) return; // the search box, the slider
      if (e.key === "ArrowRight") goTo(current + 1);
      else if (e.key === "ArrowLeft") goTo(current - 1);
      else if (e.key === "Home") goTo(0);
      else if (e.key === "End") goTo(steps.length);
      else return;
      e.preventDefault();
    });
    goTo(0);
  }

  // ----- the training view -----------------------------------------------------------------------------
  const charts = explorerCharts({el, sel, fmt}); // viz/explorer_charts.js
  function setUpTraining() {
    const h = data.history, tab = $("tab-training"), box = $("training-view");
    const show = (which) => {
      document.querySelector("main").dataset.view = which;
      $("tab-graph").classList.toggle("active", which === "graph");
      tab.classList.toggle("active", which === "training");
    };
    $("tab-graph").addEventListener("click", () => show("graph"));
    if (!h) {
      tab.disabled = true;
      tab.title = "no training history: pass history= to viz.explore or viz.save_html";
      return;
    }
    tab.addEventListener("click", () => show("training"));
    const alpha = h.learning_rate === null ? "" : " (learning rate \u03b1 = " + h.learning_rate + ")";
    const costs = el("div", {class: "chart", id: "chart-costs"},
      charts.chart("cost J" + alpha, h.iterations, [{name: "J", values: h.costs}], "cost J", false));
    box.append(costs);
    const names = Object.keys(h.grad_norms);
    if (names.length) {
      const all = names.flatMap((n) => h.grad_norms[n]).filter((v) => v !== null && v > 0);
      const wide = all.length > 1 && Math.max(...all) / Math.min(...all) > 100;
      const norms = el("div", {class: "chart", id: "chart-norms"},
        charts.chart("gradient norms ||dW[l]|| per layer", h.iterations,
          names.map((n) => ({name: n, values: h.grad_norms[n]})), "||dW[l]||", wide));
      if (names.length > 2) norms.append(charts.highlighter(norms, names));
      box.append(norms);
    }
    box.append(el("p", {class: "note"}, "The cost should fall; a norm ||dW[l]|| that shrinks towards 0 in the " +
      "first layers while the last layers still learn is a vanishing gradient, one that grows without bound an " +
      "exploding one."));
  }

  // ----- start ---------------------------------------------------------------------------------------
  if (svg) setUpDrawing();
  else document.querySelector(".zoom").style.display = "none";
  if (!svg) viewport.append(el("p", {class: "missing"}, "No drawing: Graphviz was not available when this page " +
    "was made. Search still opens each node's panel."));
  setUpSearch();
  setUpSteps();
  setUpTraining();
  window.explorerReadyMs = performance.now();
  document.body.dataset.ready = "true";
})();
