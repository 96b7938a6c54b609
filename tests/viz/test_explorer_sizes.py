"""The explorer at any size, in Debian's chromium (as tests/viz/test_explorer_browser.py drives it).

A 20-layer MLP's page opens, and steps, with the current step's labels readable (>= 11 px on screen) and in
view; "fit" shows the whole drawing in one click and "follow" can be switched off; a node found by search
stands out over the step's highlight and Enter / Escape hand the arrow keys back; the norms chart of 20
layers keeps its legend inside the chart with 20 distinct colours; at a notebook's 900 px the panel goes
under the drawing and the footer stays on screen; the footer keeps one height through every step; a
gradient's panel names the backward step that made it. Screenshots at 900, 1280 and 1400 px are written
to $TINYGRAD_NB_ARTEFACTS (default: test-artefacts/ at the repository's root) and checked.
"""

import itertools
import os
import struct
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from test_explorer import cat_cost, engine_order
from test_explorer_browser import By, Keys, browser, console_errors, load, text, webdriver  # noqa: F401 (a fixture)

import nn
import viz
from tinygrad_nb import Tensor
from viz.graph import walk

ROOT = Path(__file__).resolve().parents[2]
LAYERS = 20
MIN_LABEL_PX = 11


def artefacts() -> Path:
    """Where screenshots are kept after the run: $TINYGRAD_NB_ARTEFACTS, else test-artefacts/ at the root."""
    folder = Path(os.environ.get("TINYGRAD_NB_ARTEFACTS") or ROOT / "test-artefacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextmanager
def screen(driver, width: int, height: int):
    """The page's viewport exactly width x height CSS pixels at one device pixel each (so a screenshot is too)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
    try:
        yield
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def deep_cost() -> Tensor:
    """J of a 20-layer MLP [4, 4, ..., 4, 1] on m = 6 random examples."""
    model = nn.MLP([4] * LAYERS + [1], rng=0)
    rng = np.random.RandomState(1)
    return nn.binary_cross_entropy(model(Tensor(rng.randn(4, 6), name="X")), (rng.rand(1, 6) > 0.5) * 1.0)


DEEP_HISTORY = {"costs": [0.7, 0.6, 0.5, 0.45, 0.4], "iterations": [0, 10, 20, 30, 40],
                "grad_norms": {f"dW{l}": [0.01 * l * (1 + 0.1 * k) for k in range(5)] for l in range(1, LAYERS + 1)}}


@pytest.fixture(scope="module")
def deep(tmp_path_factory):
    J = deep_cost()
    path = viz.save_html(J, tmp_path_factory.mktemp("deep") / "deep.html", history=DEEP_HISTORY)
    return J, path.as_uri()


@pytest.fixture(scope="module")
def cat(tmp_path_factory):
    J = cat_cost()
    path = viz.save_html(J, tmp_path_factory.mktemp("cat") / "cat.html")
    return J, path.as_uri()


# What the page shows, measured in the browser: boxes in screen pixels.
CURRENT_LABEL = """
const g = document.querySelector('g.node.current'), v = document.getElementById('viewport').getBoundingClientRect();
if (!g) return null;
const t = g.querySelector('text').getBoundingClientRect(), r = g.getBoundingClientRect();
return {label: t.height, inside: r.left >= v.left && r.right <= v.right && r.top >= v.top && r.bottom <= v.bottom};
"""
WHOLE_DRAWING_INSIDE = """
const v = document.getElementById('viewport').getBoundingClientRect();
return [...document.querySelectorAll('#viewport g.node')].every(g => { const r = g.getBoundingClientRect();
  return r.left >= v.left - 0.5 && r.right <= v.right + 0.5 && r.top >= v.top - 0.5 && r.bottom <= v.bottom + 0.5; });
"""
SCALE = "return document.querySelector('#viewport svg').getScreenCTM().a"


def step(driver) -> int:
    return int(driver.execute_script("return document.body.dataset.step"))


def test_a_deep_graph_opens_and_steps_with_readable_labels_in_view(browser, deep):  # noqa: F811
    _, url = deep
    with screen(browser, 1400, 900):
        load(browser, url)
        first = browser.execute_script("""const v = document.getElementById('viewport').getBoundingClientRect();
            const t = [...document.querySelectorAll('#viewport g.node text')].filter(t => {
              const r = t.getBoundingClientRect(); return r.top >= v.top && r.bottom <= v.bottom; });
            return [t.length, Math.min(...t.map(t => t.getBoundingClientRect().height))]""")
        assert first[0] >= 10 and first[1] >= MIN_LABEL_PX  # labels on screen at open are readable
        total = int(browser.find_element(By.ID, "step-slider").get_attribute("max"))
        browser.find_element(By.ID, "step-next").click()
        seen = [(1, browser.execute_script(CURRENT_LABEL))]
        checked = [2, 10, 41, 42, 43, 60, total]  # forward steps, the first backward ones, the last
        seen += browser.execute_script(f"""const seen = [];
            for (let k = 2; k <= {total}; k++) {{  // the same button, clicked in the page: one round trip
              document.getElementById('step-next').click();
              if ({checked}.includes(k)) seen.push([k, (() => {{ {CURRENT_LABEL} }})()]);
            }}
            return seen;""")
        assert [k for k, _ in seen] == [1, *checked]
        assert all(s is not None and s["label"] >= MIN_LABEL_PX and s["inside"] for _, s in seen), seen
        browser.find_element(By.TAG_NAME, "body").send_keys(Keys.HOME, Keys.END)
        assert step(browser) == total and browser.execute_script(CURRENT_LABEL)["inside"]
    assert console_errors(browser) == []


def test_fit_is_one_click_and_follow_can_be_switched_off(browser, deep):  # noqa: F811
    _, url = deep
    with screen(browser, 1400, 900):
        load(browser, url)
        assert not browser.execute_script(WHOLE_DRAWING_INSIDE)  # it opens zoomed in: 20 layers are too many
        browser.find_element(By.ID, "zoom-fit").click()
        assert browser.execute_script(WHOLE_DRAWING_INSIDE)
        fit = browser.execute_script(SCALE)
        follow = browser.find_element(By.ID, "zoom-follow")
        assert follow.get_attribute("aria-pressed") == "true"
        browser.find_element(By.ID, "step-next").click()  # following: the step zooms back in to readable labels
        assert browser.execute_script(CURRENT_LABEL)["label"] >= MIN_LABEL_PX
        browser.find_element(By.ID, "zoom-fit").click()
        follow.click()
        assert follow.get_attribute("aria-pressed") == "false"
        browser.find_element(By.ID, "step-next").click()  # not following: the whole drawing stays
        assert browser.execute_script(SCALE) == pytest.approx(fit)
        assert browser.execute_script(WHOLE_DRAWING_INSIDE)


def test_a_found_node_stands_out_while_stepping_and_enter_or_escape_give_the_keys_back(browser, deep):  # noqa: F811
    _, url = deep
    with screen(browser, 1400, 900):
        load(browser, url)
        body = browser.find_element(By.TAG_NAME, "body")
        body.send_keys(Keys.ARROW_RIGHT, Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)
        box = browser.find_element(By.ID, "search")
        box.send_keys("dW2", Keys.ENTER)
        assert text(browser, "panel-name") == "dW2"
        found = browser.execute_script("""return [...document.querySelectorAll('g.node.match')].map(g =>
            [g.dataset.name, getComputedStyle(g).opacity, getComputedStyle(g).filter])""")
        assert sorted(name for name, _, _ in found) == ["dW2", "dW20"]  # what the search box matches
        assert all(opacity == "1" and "drop-shadow" in halo for _, opacity, halo in found)  # not faded: a halo
        assert browser.execute_script("return document.activeElement.id") != "search"
        webdriver.ActionChains(browser).send_keys(Keys.ARROW_RIGHT).perform()  # to whatever has the keys now
        assert step(browser) == 4
        box.send_keys("W3")
        assert browser.execute_script("return document.activeElement.id") == "search"
        box.send_keys(Keys.ESCAPE)
        assert browser.execute_script("return document.activeElement.id") != "search"
        assert browser.execute_script("return document.querySelectorAll('g.node.match').length") == 0
        webdriver.ActionChains(browser).send_keys(Keys.ARROW_RIGHT).perform()
        assert step(browser) == 5


def rgb(color: str) -> tuple[int, ...]:
    if color.startswith("#"):
        return tuple(int(color[i:i + 2], 16) for i in (1, 3, 5))
    return tuple(int(float(c)) for c in color[color.index("(") + 1:-1].split(","))


def test_the_norms_of_20_layers_keep_their_legend_in_the_chart_with_distinct_colours(browser, deep):  # noqa: F811
    _, url = deep
    with screen(browser, 1400, 900):
        load(browser, url)
        browser.find_element(By.ID, "tab-training").click()
        chart = browser.execute_script("""
            const s = document.querySelector('#chart-norms svg'), c = s.getBoundingClientRect();
            const out = [...s.querySelectorAll('.legend-key, .legend-text')].filter(e => {
              const r = e.getBoundingClientRect();
              return r.left < c.left || r.right > c.right || r.top < c.top || r.bottom > c.bottom; });
            return {outside: out.length, keys: s.querySelectorAll('.legend-key').length,
              colors: [...s.querySelectorAll('g.series')].map(g => [g.dataset.series,
                getComputedStyle(g.querySelector('polyline')).stroke])}""")
        assert chart["outside"] == 0 and chart["keys"] == LAYERS
        assert [name for name, _ in chart["colors"]] == list(DEEP_HISTORY["grad_norms"])
        colors = [rgb(c) for _, c in chart["colors"]]
        closest = min(np.abs(np.subtract(a, b)).sum() for a, b in itertools.combinations(colors, 2))
        assert closest >= 30, colors  # no two layers share a colour (dW1, dW9, dW17 did with 8 cycling colours)
        picker = browser.find_element(By.ID, "norms-highlight")
        picker.find_element(By.CSS_SELECTOR, 'option[value="dW9"]').click()
        opacity = browser.execute_script("""return Object.fromEntries([...document.querySelectorAll(
            '#chart-norms g.series')].map(g => [g.dataset.series, getComputedStyle(g).opacity]))""")
        assert opacity["dW9"] == "1" and {v for k, v in opacity.items() if k != "dW9"} == {"0.15"}


FOOTER = """
const f = document.querySelector('footer').getBoundingClientRect(), heights = new Set();
const next = document.getElementById('step-next'), total = Number(document.getElementById('step-slider').max);
document.getElementById('step-first').click();
heights.add(f.height);
for (let k = 0; k < total; k++) {
  next.click();
  heights.add(document.querySelector('footer').getBoundingClientRect().height);
}
return {heights: [...heights], bottom: f.bottom, inner: innerHeight};
"""


@pytest.mark.parametrize("width", [900, 1400])
def test_the_footer_keeps_one_height_through_every_step_and_stays_on_screen(browser, cat, width):  # noqa: F811
    _, url = cat
    with screen(browser, width, 760):  # 760: the height of the frame Jupyter shows
        load(browser, url)
        footer = browser.execute_script(FOOTER)
    assert len(footer["heights"]) == 1, footer  # forward steps have 2 lines, backward ones 4: no jump
    assert footer["bottom"] <= footer["inner"]


def test_at_a_notebooks_width_the_panel_goes_under_a_full_width_drawing(browser, cat):  # noqa: F811
    _, url = cat
    with screen(browser, 900, 760):
        load(browser, url)
        boxes = browser.execute_script("""const b = (id) => document.getElementById(id).getBoundingClientRect();
            return {graph: b('graph-view').toJSON(), panel: b('panel').toJSON()}""")
        assert boxes["graph"]["width"] >= 880 and boxes["graph"]["height"] >= 250
        assert boxes["panel"]["top"] >= boxes["graph"]["bottom"] - 1 and boxes["panel"]["height"] >= 150
        browser.find_element(By.ID, "step-next").click()
        assert browser.execute_script(CURRENT_LABEL)["label"] >= MIN_LABEL_PX
    with screen(browser, 1400, 900):
        load(browser, url)
        boxes = browser.execute_script("""const b = (id) => document.getElementById(id).getBoundingClientRect();
            return {graph: b('graph-view').toJSON(), panel: b('panel').toJSON()}""")
        assert boxes["panel"]["left"] >= boxes["graph"]["right"] - 1  # wide: beside the drawing, as before


def test_a_gradients_panel_names_the_backward_step_that_made_it(browser, cat):  # noqa: F811
    J, url = cat
    load(browser, url)
    keys = {n.tensor.name: n.key for n in walk(J)}
    order = engine_order(J)  # after the page is made: hooks on a real backward give the engine's order
    for grad, made_by, op in (("dW1", "Z1", "linear"), ("dZ1", "A1", "relu")):
        box = browser.find_element(By.ID, "search")
        box.clear()
        box.send_keys(grad, Keys.ENTER)
        assert text(browser, "panel-name") == grad
        k = order.index(keys[made_by]) + 1
        assert text(browser, "panel-op") == f"backward step {k}: {op}' takes d{made_by} back to its inputs"
        assert "leaf" not in text(browser, "panel")


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


@pytest.mark.parametrize("width", [900, 1280, 1400])
def test_screenshots_at_three_widths_are_kept_as_artefacts(browser, cat, deep, width):  # noqa: F811
    from matplotlib.image import imread

    _, url = cat
    with screen(browser, width, 760 if width == 900 else 900):
        load(browser, url)
        browser.execute_script("for (let k = 0; k < 12; k++) document.getElementById('step-next').click()")
        assert step(browser) == 12  # the forward steps, then into the backward pass
        shots = [artefacts() / f"explorer-cat-{width}.png"]
        assert browser.save_screenshot(str(shots[0]))
        load(browser, deep[1])
        browser.find_element(By.ID, "tab-training").click()
        shots.append(artefacts() / f"explorer-training-{width}.png")
        assert browser.save_screenshot(str(shots[1]))
    for shot in shots:
        assert png_size(shot)[0] == width
        pixels = (imread(shot)[..., :3] * 255).astype(np.int64)
        colours = np.unique(pixels[..., 0] << 16 | pixels[..., 1] << 8 | pixels[..., 2])
        assert pixels.std() > 10 and len(colours) > 50  # not blank: text, boxes and colours
