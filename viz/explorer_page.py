"""The explorer page as one self-contained HTML string: the drawing's SVG, the data, the style and the script inline.

The page loads nothing: its Content-Security-Policy (``CSP``) forbids every request except inline
scripts, inline styles and ``data:`` pictures, so it opens offline from a file, in an e-mail or in
a Jupyter output, and a browser refuses anything else it might try. The style is ``viz/explorer.css``;
the script is ``SCRIPTS`` (``viz/explorer_charts.js``, then ``viz/explorer.js``, which uses it), read from
the package.
"""

from __future__ import annotations

import html
import json
import re
from importlib import resources
from typing import Any

CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:"
SCRIPTS = ("explorer_charts.js", "explorer.js")  # in this order, in one <script>
TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="@CSP@">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>@TITLE@</title>
<style>
@CSS@
</style>
</head>
<body data-ready="false" data-step="0">
<header>
  <h1>@TITLE@</h1>
  <nav class="tabs">
    <button id="tab-graph" class="tab active" type="button">Graph</button>
    <button id="tab-training" class="tab" type="button">Training</button>
  </nav>
  <div class="search">
    <input id="search" type="search" placeholder="find a node: dW2, A1, relu" autocomplete="off" spellcheck="false"
           aria-label="find a node by its course name">
    <ul id="search-results" hidden></ul>
  </div>
  <details class="help">
    <summary>How to read this page</summary>
    <p>The graph is one forward and backward pass of the network, in the course's notation. In the box
    <b>forward pass</b> the inputs X and the parameters W[l], b[l] (yellow) make Z[l] = W[l] A[l-1] + b[l] and
    A[l] = g(Z[l]) in each layer, up to the cost J (red border). In the box <b>backward pass</b> the engine
    starts from dJ and computes dA[l], dZ[l], dW[l] and db[l] (green); its steps are numbered in the order it ran
    them, and the dotted lines are the caches (values kept from the forward pass) each step reads.</p>
    <p><b>Click</b> a box for its shape, the formula that made it and statistics of its value and gradient.
    <b>Drag</b> to move, <b>wheel</b> (or + and -) to zoom. <b>next</b> (or the right arrow key) walks the forward
    pass and then the backward pass: orange is the step, blue what it reads, green what it writes or sends.</p>
    <p>As in the course, dZ[l] and dA[l] (and dX) are m times &part;J/&part;Z[l] and &part;J/&part;A[l], m the
    number of examples, so dW[l] = 1/m dZ[l] A[l-1]^T; dW[l], db[l] and any other gradient are &part;J/&part;T itself.
    The drawing, the statistics and the steps all show these numbers (explain mode prints the same).</p>
  </details>
</header>
<main data-view="graph">
  <section id="graph-view">
    <div id="viewport">
@SVG@
    </div>
    <div class="zoom">
      <button id="zoom-in" type="button" title="zoom in">+</button>
      <button id="zoom-out" type="button" title="zoom out">&minus;</button>
      <button id="zoom-fit" type="button" title="show the whole graph (0)">fit</button>
      <button id="zoom-follow" type="button" aria-pressed="true"
              title="follow the steps: each zooms in to readable labels and brings its nodes into view">follow</button>
    </div>
  </section>
  <aside id="panel" aria-live="polite">
    <p class="hint">Click a node (or search for one) to see its shape, its formula and the statistics of its value
    and gradient.</p>
  </aside>
  <section id="training-view"></section>
</main>
<footer id="stepper">
  <div class="controls">
    <button id="step-first" type="button" title="back to the start (Home)">start</button>
    <button id="step-prev" type="button" title="previous step (left arrow)">&#x25C0; back</button>
    <button id="step-next" type="button" title="next step (right arrow)">next &#x25B6;</button>
    <button id="step-last" type="button" title="the last step (End)">end</button>
    <input id="step-slider" type="range" min="0" max="0" value="0" aria-label="step">
    <span id="step-count"></span>
    <span class="key"><i class="k-current"></i>step <i class="k-reads"></i>reads
      <i class="k-sends"></i>writes/sends</span>
  </div>
  <div id="step-caption"></div>
  <pre id="step-formula"></pre>
</footer>
<script type="application/json" id="explorer-data">@DATA@</script>
<script>
@JS@
</script>
</body>
</html>
"""


def asset(name: str) -> str:
    """The text of a file shipped in the viz package (``explorer.css``, ``explorer.js``, ...)."""
    return resources.files("viz").joinpath(name).read_text(encoding="utf-8")


def inline_svg(svg: str) -> str:
    """An SVG document as an element to put inside HTML: no XML declaration, DOCTYPE or comments."""
    svg = re.sub(r"<\?xml.*?\?>", "", svg, flags=re.S)
    svg = re.sub(r"<!DOCTYPE.*?>", "", svg, flags=re.S)
    return re.sub(r"<!--.*?-->", "", svg, flags=re.S).strip()


def script_json(data: Any) -> str:
    """``data`` as JSON that is safe inside a <script> element (no ``<``, ``>`` or ``&`` can end it early)."""
    text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def build_page(svg: str, data: Any, title: str) -> str:
    """The whole page: ``svg`` (a Graphviz drawing), ``data`` (JSON-ready; see ``viz.explorer_data``), ``title``."""
    parts = {"@CSP@": CSP, "@TITLE@": html.escape(title), "@CSS@": asset("explorer.css"), "@SVG@": inline_svg(svg),
             "@DATA@": script_json(data), "@JS@": "\n".join(asset(name) for name in SCRIPTS)}
    return re.sub("|".join(re.escape(k) for k in parts), lambda m: parts[m.group(0)], TEMPLATE)
