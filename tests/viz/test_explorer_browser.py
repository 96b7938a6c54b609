"""The explorer page in a real headless browser: Debian's chromium driven by Selenium through /usr/bin/chromedriver.

The page is the course's cat graph ([12288, 20, 7, 5, 1], m = 209, show="both"), loaded from a file URL.
Checked: it is interactive within a second, makes no network request and logs no console error; a click
opens the node's panel; "next" walks the forward pass and then the backward pass in the order the engine
ran it (seen by hooks on a real backward); search finds dW2; the training view draws the history; the
frame Jupyter shows runs the page too. A screenshot is kept in $TINYGRAD_NB_ARTEFACTS (default test-artefacts/),
and copied to docs/img/explorer.png, the docs' picture, only when TINYGRAD_NB_UPDATE_DOCS_IMAGES=1 (a test run
leaves the tracked tree as it found it).

Needs: apt-get install chromium chromium-driver; pip install selenium. Without them the module skips.
"""

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from test_explorer import cat_cost, engine_order, forward_order, small_cost

import viz

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
except ImportError:
    webdriver = None
if webdriver is None or not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
    pytest.skip("browser test needs chromium, chromedriver and selenium (apt-get install chromium chromium-driver; "
                "pip install selenium)", allow_module_level=True)
if not viz.rendering.renderer_available():
    pytest.skip("browser test needs Graphviz: the dot program or pygraphviz", allow_module_level=True)

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "docs" / "img" / "explorer.png"
HISTORY = {"costs": [0.77, 0.67, 0.59, 0.52, 0.45], "iterations": [0, 100, 200, 300, 400], "learning_rate": 0.0075,
           "grad_norms": {"dW1": [0.30, 0.25, 0.20, 0.15, 0.10], "dW2": [0.20, 0.20, 0.30, 0.25, 0.20],
                          "dW3": [0.10, 0.12, 0.15, 0.14, 0.13], "dW4": [0.50, 0.40, 0.45, 0.35, 0.30]}}


@pytest.fixture(scope="module")
def browser():
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must not look for drivers on the network
    profile = tempfile.mkdtemp(prefix="explorer-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-default-apps", "--window-size=1500,950",
                f"--user-data-dir={profile}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def cat(tmp_path_factory):
    """(J, the page's file URL, forward keys in creation order, the keys in the order the engine ran backward)."""
    J = cat_cost()
    path = viz.save_html(J, tmp_path_factory.mktemp("explorer") / "graph.html", history=HISTORY)
    return J, path.as_uri(), forward_order(J), engine_order(J)


def load(driver, url: str) -> None:
    driver.get("about:blank")
    driver.get_log("browser"), driver.get_log("performance")  # start both logs empty for this page
    driver.get(url)
    assert driver.execute_script("return document.body.dataset.ready") == "true"


def network_requests(driver, url: str) -> list[str]:
    """Every URL the page asked for, other than the page itself: from the DevTools log and resource timing."""
    import json

    urls = [json.loads(e["message"])["message"]["params"]["request"]["url"] for e in driver.get_log("performance")
            if '"Network.requestWillBeSent"' in e["message"]]
    urls += driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    return [u for u in urls if u != url]


def console_errors(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def node(driver, key: str):
    return driver.find_element(By.CSS_SELECTOR, f'g.node[data-key="{key}"]')


def text(driver, element_id: str) -> str:
    return driver.find_element(By.ID, element_id).text


def test_the_page_is_ready_within_a_second_asks_for_nothing_and_logs_no_error(browser, cat):
    _, url, _, _ = cat
    load(browser, url)
    assert browser.execute_script("return window.explorerReadyMs") < 1000
    assert browser.execute_script("return document.querySelectorAll('g.node.clickable').length") >= 50
    assert network_requests(browser, url) == []
    assert console_errors(browser) == []


def test_the_network_and_console_checks_would_catch_a_request(browser, tmp_path):
    page = tmp_path / "leaky.html"
    page.write_text('<!DOCTYPE html><meta http-equiv="Content-Security-Policy" content="default-src \'none\'">'
                    '<img src="http://127.0.0.1:9/x.png"><script>document.title = "ran"</script>')
    browser.get("about:blank")
    browser.get_log("browser"), browser.get_log("performance")
    browser.get(page.as_uri())
    assert console_errors(browser)  # the policy refused the picture (and the inline script) and said so
    unguarded = tmp_path / "unguarded.html"
    unguarded.write_text('<!DOCTYPE html><img src="http://127.0.0.1:9/x.png">')
    browser.get(unguarded.as_uri())
    assert "http://127.0.0.1:9/x.png" in network_requests(browser, unguarded.as_uri())


def test_clicking_a_node_shows_its_name_shape_and_formulas(browser, cat):
    J, url, _, _ = cat
    load(browser, url)
    keys = {t.name: k for k, t in ((n.key, n.tensor) for n in viz.graph.walk(J))}
    node(browser, keys["W2"]).click()
    assert (text(browser, "panel-name"), text(browser, "panel-shape")) == ("W2", "(7, 20)")
    assert text(browser, "panel-kind") == "parameter"
    assert "dW2 = 1/m dZ2 A1^T" in text(browser, "panel-backward")
    node(browser, keys["A1"]).click()
    assert (text(browser, "panel-name"), text(browser, "panel-shape"), text(browser, "panel-op")) == \
        ("A1", "(20, 209)", "relu")
    assert text(browser, "panel-forward") == "A1 = relu(Z1) = max(0, Z1)"
    assert "dead units" in text(browser, "panel-value-stats")
    node(browser, "d_" + keys["Z1"]).click()
    assert (text(browser, "panel-name"), text(browser, "panel-shape")) == ("dZ1", "(20, 209)")
    assert console_errors(browser) == []


@pytest.mark.parametrize("n", [1, 3, 9])
def test_next_walks_the_forward_pass_then_the_backward_steps_the_engine_ran(browser, cat, n, tmp_path):
    _, url, forward, backward = cat
    load(browser, url)
    next_button = browser.find_element(By.ID, "step-next")
    for _ in range(len(forward) + n):
        next_button.click()
    current = browser.execute_script("return [...document.querySelectorAll('g.node.current')].map(g => g.dataset.key)")
    assert current == [f"dop_{backward[n - 1]}"]
    assert text(browser, "step-caption").startswith(f"backward step {n} of {len(backward)}")
    assert text(browser, "panel-name").startswith("d")
    if n == 3:  # the chain rule of the step (linear' of layer 4) is on the page, and what it reads and sends is lit
        assert "dW4 = 1/m dZ4 A3^T" in text(browser, "step-formula")
        lit = browser.execute_script("return [...document.querySelectorAll('g.node.sends')].map(g => g.dataset.name)")
        assert sorted(lit) == ["dA3", "dW4", "db4"]
        kept = tmp_path / "explorer.png"  # the artifact; pytest keeps the tmp folders of the last runs
        assert browser.save_screenshot(str(kept)) and kept.stat().st_size > 10_000
        artefacts = Path(os.environ.get("TINYGRAD_NB_ARTEFACTS") or ROOT / "test-artefacts")
        artefacts.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(kept, artefacts / "explorer.png")
        if os.environ.get("TINYGRAD_NB_UPDATE_DOCS_IMAGES") == "1":
            shutil.copyfile(kept, SCREENSHOT)
        browser.find_element(By.ID, "zoom-in").click()  # around the current step's node
        assert browser.execute_script("return document.querySelector('g.node.current').getBoundingClientRect().left") \
            > 0  # still in view
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_LEFT)
    assert browser.execute_script("return document.body.dataset.step") == str(len(forward) + n - 1)
    assert console_errors(browser) == []


def test_the_first_forward_steps_are_the_ops_in_creation_order(browser, cat):
    _, url, forward, _ = cat
    load(browser, url)
    body = browser.find_element(By.TAG_NAME, "body")
    for k in range(1, 4):
        body.send_keys(Keys.ARROW_RIGHT)
        current = browser.execute_script("return document.querySelector('g.node.current').dataset.key")
        assert current == f"op_{forward[k - 1]}"
        assert text(browser, "step-caption").startswith(f"forward step {k} of {len(forward)}")


def test_search_finds_dW2(browser, cat):
    _, url, _, _ = cat
    load(browser, url)
    box = browser.find_element(By.ID, "search")
    box.send_keys("dW2")
    assert browser.execute_script("return [...document.querySelectorAll('g.node.match')].map(g => g.dataset.name)") \
        == ["dW2"]
    box.send_keys(Keys.ENTER)
    assert (text(browser, "panel-name"), text(browser, "panel-shape")) == ("dW2", "(7, 20)")


def test_the_training_view_draws_the_cost_and_the_norms_of_dW(browser, cat):
    _, url, _, _ = cat
    load(browser, url)
    browser.find_element(By.ID, "tab-training").click()
    assert browser.find_element(By.ID, "chart-costs").is_displayed()
    circles = browser.execute_script("return document.querySelectorAll('#chart-costs circle').length")
    assert circles == len(HISTORY["costs"])
    legend = browser.execute_script("return [...document.querySelectorAll('#chart-norms text')]"
                                    ".map(t => t.textContent)")
    assert {"dW1", "dW2", "dW3", "dW4"} <= set(legend)
    assert console_errors(browser) == []


def test_the_jupyter_frame_runs_the_page(browser, tmp_path):
    _, J = small_cost()
    notebook = tmp_path / "notebook.html"  # what Jupyter does with _repr_html_: put it in the output's DOM
    notebook.write_text("<!DOCTYPE html><html><body>" + viz.explore(J)._repr_html_() + "</body></html>",
                        encoding="utf-8")
    browser.get("about:blank")
    browser.get_log("browser")
    browser.get(notebook.as_uri())
    browser.switch_to.frame(browser.find_element(By.TAG_NAME, "iframe"))
    try:
        assert browser.execute_script("return document.body.dataset.ready") == "true"
        browser.find_element(By.ID, "search").send_keys("W2", Keys.ENTER)
        assert (text(browser, "panel-name"), text(browser, "panel-shape")) == ("W2", "(2, 4)")
    finally:
        browser.switch_to.default_content()
    assert console_errors(browser) == []
