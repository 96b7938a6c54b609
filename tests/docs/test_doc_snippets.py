"""Every ```python block of README.md and of the docs pages (docs/**/*.md) runs as written, and every
command they show exists.

The pages: README.md, then every Markdown file under docs/ (the site's sources), in path order. Blocks
are named by page and line (``docs/course.md:L17-the-cat-classifier-week-4``).

The ```python blocks:

- Each block runs on its own, in a fresh namespace (a learner copies one block, so each block
  imports and defines what it uses), in a temporary working folder (the files it writes land there).
- Its statements run one at a time. A top-level expression whose line ends in a comment holding a
  Python literal must evaluate to it, a float to the digits shown (``W.grad.shape  # (3, 4)``,
  ``nn.accuracy(model, X, Y)  # 0.9856``); every ``# Cost after iteration i: c`` comment must be a
  line the block printed. Then each function named ``test_*`` that the block defined (the
  hypothesis example) is called.
- ``path/to/train_catvnoncat.h5`` becomes the course's file in ../shared/datasets (or
  $TINYGRAD_NB_DATASETS); the block skips saying so when it is absent.
- A long run a page shows (``SHORTEN``: the cat model's 2,500 iterations, 16 s) runs here with
  101 iterations, and only the printed costs up to iteration 100 are checked; the full run, with
  every number checked, is a slow test (``make test-slow``, which CI runs).
- A block preceded by ``<!-- not-run: reason -->`` is skipped with that reason; such a marker must
  give a reason.
- A block that fails because an optional package is not installed skips naming the package.

The shell blocks (```bash, and ``$ tinygrad-nb ...`` in plain blocks):

- Every ``tinygrad-nb <command> --option`` (usage lines with [brackets] and comments included)
  exists in ``tinygrad_nb_cli.cli.build_parser()``, and each ``a|b|c`` value is accepted by it.
- The commands chain from the quickstart (all pages' commands together): a 3-iteration
  ``tinygrad-nb train --out <the Makefile's DEMO_OUT>`` stands in for ``make demo``, then each concrete
  ``check``, ``predict``, ``graph`` and ``export`` line runs as written (optional [bracketed] parts left
  out) and must succeed.
- The ``$ tinygrad-nb check`` output shown is what the command prints, numbers aside.
- ``python examples/...`` lines name files that exist and options their ``--help`` lists.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import importlib.util
import io
import linecache
import math
import re
import shlex
import subprocess
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _shared import DATASETS, TRAIN

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = ROOT / "docs"


def pages() -> list[Path]:
    """README.md, then every Markdown page of the docs site."""
    return [README, *sorted(DOCS.rglob("*.md"))]


def page_name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()

DATA = {"path/to/train_catvnoncat.h5": TRAIN}
SHORTEN = {"num_iterations=2500": "num_iterations=101"}  # the printed costs checked: iterations < 101
SHORT_ITERATIONS = 101
FENCE = re.compile(r"^```(\w*)\s*$")
NOT_RUN = re.compile(r"^<!--\s*not-run:\s*(.*?)\s*-->$")
PRINTED = re.compile(r"#\s*(Cost after (?:iteration|epoch) (\d+): \S+)")
CHEAP = {"check", "predict", "graph", "export"}  # commands the chain test runs (train is the 3-iteration stand-in)


@dataclass(frozen=True)
class Block:
    line: int  # the page's line of the opening fence
    lang: str
    code: str
    section: str
    not_run: str | None
    page: str = "README.md"  # the file, relative to the project root

    @property
    def id(self) -> str:
        return f"{self.page}:L{self.line}-" + re.sub(r"[^a-z0-9]+", "-", self.section.lower()).strip("-")[:40]


def page_blocks(path: Path) -> list[Block]:
    lines = path.read_text(encoding="utf-8").splitlines()
    name = page_name(path)
    found, section, i = [], "", 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#"):
            section = line.lstrip("#").strip()
        fence = FENCE.match(line)
        if fence:
            end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
            before = next((lines[j].strip() for j in range(i - 1, -1, -1) if lines[j].strip()), "")
            marker = NOT_RUN.match(before)
            found.append(Block(i + 1, fence.group(1), "\n".join(lines[i + 1:end]) + "\n", section,
                               marker.group(1) if marker else None, name))
            i = end
        i += 1
    return found


BLOCKS = [b for path in pages() for b in page_blocks(path)]
PYTHON = [b for b in BLOCKS if b.lang == "python"]
LONG = [b for b in PYTHON if any(k in b.code for k in SHORTEN)]


KNOWN_LANGUAGES = {"python", "bash", "text", ""}  # the fences this test reads (python, bash) or shows as text


def test_every_fence_is_one_this_test_reads():
    """A fence this parser would miss (indented inside a note, ```py, ```python title=...) is an error, not a
    block that silently never runs."""
    for path in pages():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if "```" in line:
                where = f"{page_name(path)}:{number}: {line!r}"
                assert line.startswith("```"), f"an indented fence is not run: {where}"
                assert FENCE.match(line) or line == "```", f"a fence with attributes is not run: {where}"
                lang = FENCE.match(line).group(1) if FENCE.match(line) else ""
                assert lang in KNOWN_LANGUAGES, f"a fence in {lang!r} is not run (python or bash): {where}"


def test_the_pages_have_the_blocks_this_test_reads():
    assert len(PYTHON) >= 8
    assert {"The cat classifier (week 4)", "Seeing the graph and the training", "Exploring the graph in a browser",
            "The engine in ten lines", "Custom ops", "A jitted step",
            "Testing your own ops"} <= {b.section for b in PYTHON}
    assert any(b.page == "README.md" for b in PYTHON), "the README shows one example in the course's notation"
    assert {b.page for b in BLOCKS} >= {"README.md", "docs/getting-started.md", "docs/course.md", "docs/guides/cli.md"}
    markers = [line for path in pages() for line in path.read_text(encoding="utf-8").splitlines() if "not-run" in line]
    assert all(NOT_RUN.match(m.strip()) and NOT_RUN.match(m.strip()).group(1) for m in markers), markers
    assert len([b for b in PYTHON if b.not_run]) <= 2, "not-run blocks must be rare"
    assert [(b.page, b.section) for b in LONG] == [("docs/course.md", "The cat classifier (week 4)")], \
        "SHORTEN no longer matches the cat run"


# ---- running a python block ----

def comments(code: str) -> dict[int, str]:
    """{line: comment text} of a block (1-based lines of the block)."""
    out = {}
    for tok in tokenize.generate_tokens(io.StringIO(code).readline):
        if tok.type == tokenize.COMMENT:
            out[tok.start[0]] = tok.string[1:].strip()
    return out


def literal(text: str) -> Any:
    """The literal a comment states (a number, or tuples and lists of them), else None."""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None

    def plain(v: Any) -> bool:
        if isinstance(v, (tuple, list)):
            return all(plain(x) for x in v)
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    return value if plain(value) else None


def same(actual: Any, expected: Any) -> bool:
    """``actual`` shows as ``expected``: equal, a float to the digits ``expected`` has."""
    if isinstance(expected, (tuple, list)):
        return (isinstance(actual, (tuple, list)) and len(actual) == len(expected)
                and all(same(a, e) for a, e in zip(actual, expected)))
    if isinstance(expected, float):
        digits = len(repr(expected).split(".")[1]) if "." in repr(expected) and "e" not in repr(expected) else 15
        return abs(float(actual) - expected) < 10.0 ** -digits
    return actual == expected


def prepared(block: Block, full: bool) -> tuple[str, bool]:
    """The block's code with the data paths substituted; shortened unless ``full``. Skips without the data."""
    code = block.code
    for placeholder, path in DATA.items():
        if placeholder in code:
            if not path.is_file():
                pytest.skip(f"needs the course's {path.name} in {DATASETS} (set TINYGRAD_NB_DATASETS)")
            code = code.replace(placeholder, str(path))
    shortened = False
    if not full:
        for long, short in SHORTEN.items():
            shortened |= long in code
            code = code.replace(long, short)
    return code, shortened


def missing_package(error: BaseException) -> str | None:
    """The optional package whose absence caused ``error``, if that is what happened."""
    e: BaseException | None = error
    while e is not None:
        if isinstance(e, ModuleNotFoundError) and e.name:
            top = e.name.split(".")[0]
            if importlib.util.find_spec(top) is None:
                return top
        e = e.__cause__ or e.__context__
    return None


def same_cost_line(shown: str, printed: str) -> bool:
    """``Cost after iteration i: c`` as shown and as printed: the same words, and costs equal to 12 significant
    digits (the last of Python's 16-17 digits follows the BLAS kernel a CPU runs: 0.7717493284237688 on one
    machine is ...686 on another, and the course's own notebook printed the latter)."""
    head, _, value = shown.rpartition(" ")
    got_head, _, got = printed.rpartition(" ")
    if head != got_head:
        return False
    try:
        return math.isclose(float(value), float(got), rel_tol=1e-12)
    except ValueError:
        return value == got


def run_block(block: Block, full: bool = False) -> None:
    if block.not_run:
        pytest.skip(f"{block.page} line {block.line}: not-run: {block.not_run}")
    code, shortened = prepared(block, full)
    notes = comments(code)
    # tracebacks show the block alone, its lines counted from the fence: page line = fence + line
    filename = f"{block.page}, block at line {block.line}"
    linecache.cache[filename] = (len(code), None, code.splitlines(keepends=True), filename)
    tree = ast.parse(code, filename=filename)
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    printed = io.StringIO()
    mismatches = []
    rng_state = np.random.get_state()  # blocks may draw from NumPy's global generator: leave it as it was
    try:
        with contextlib.redirect_stdout(printed):
            for stmt in tree.body:
                expected = literal(notes.get(stmt.end_lineno or stmt.lineno, ""))
                if isinstance(stmt, ast.Expr) and expected is not None and not shortened:
                    value = eval(compile(ast.Expression(stmt.value), filename, "eval"), namespace)
                    if not same(value, expected):
                        mismatches.append(f"{block.page} line {block.line + stmt.lineno}: got {value!r}, "
                                          f"the page says {expected!r}")
                else:
                    exec(compile(ast.Module([stmt], type_ignores=[]), filename, "exec"), namespace)
            for name, fn in list(namespace.items()):
                if name.startswith("test_") and callable(fn):
                    fn()
    except Exception as e:
        package = missing_package(e)
        if package:
            pytest.skip(f"{block.page} line {block.line}: needs {package}, not installed")
        raise
    finally:
        np.random.set_state(rng_state)
    out = printed.getvalue().splitlines()
    for line, i in PRINTED.findall(block.code):
        if full or not shortened or int(i) < SHORT_ITERATIONS:
            if not any(same_cost_line(line, o) for o in out):
                mismatches.append(f"{block.page} shows {line!r}, the run printed: {[o for o in out if 'Cost' in o]}")
    assert mismatches == []


@pytest.mark.parametrize("block", PYTHON, ids=[b.id for b in PYTHON])
def test_python_block_runs(block, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run_block(block)


@pytest.mark.slow
@pytest.mark.parametrize("block", LONG, ids=[b.id for b in LONG])
def test_long_run_as_written(block, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run_block(block, full=True)


def test_the_checks_can_fail(tmp_path, monkeypatch):
    """A wrong stated value, a wrong printed cost and an error each fail a block."""
    monkeypatch.chdir(tmp_path)
    wrong = [Block(1, "python", "(1 + 1, 3)  # (2, 4)\n", "t", None),
             Block(1, "python", "0.98765  # 0.9875\n", "t", None),
             Block(1, "python", "print('Cost after iteration 0: 0.5')\n# Cost after iteration 0: 0.6\n", "t", None),
             Block(1, "python", "import math\nmath.sqrt(-1)\n", "t", None),
             Block(1, "python", "def test_x():\n    assert False\n", "t", None)]
    for block in wrong:
        with pytest.raises((AssertionError, ValueError)):
            run_block(block)
    with pytest.raises(pytest.skip.Exception, match="not-run: needs a GPU"):
        run_block(Block(1, "python", "assert False\n", "t", "needs a GPU"))
    run_block(Block(1, "python", "0.98764  # 0.9876\nprint('Cost after iteration 0: 0.5')\n"
                                 "# Cost after iteration 0: 0.5\n", "t", None))


# ---- the shell blocks ----

@dataclass(frozen=True)
class Command:
    line: int
    argv: list[str]  # after "tinygrad-nb", [brackets] and comment removed
    named: str  # the whole text, brackets and comment included (for the option check)
    page: str = "README.md"


def page_commands() -> list[Command]:
    found: list[Command] = []
    for block in BLOCKS:
        if block.lang not in ("bash", "sh", "shell", ""):
            continue
        lines = block.code.splitlines()
        for k, line in enumerate(lines):
            text = line.strip().removeprefix("$ ")
            if not text.startswith("tinygrad-nb ") and text != "tinygrad-nb":
                continue
            for more in lines[k + 1:]:  # a usage line continues on indented lines that start with [ or --
                if more.startswith(" ") and more.strip().startswith(("[", "--")):
                    text += " " + more.strip()
                else:
                    break
            code = re.split(r"\s#", text, maxsplit=1)[0]
            code = re.sub(r"\[[^\]]*\]", "", code)
            found.append(Command(block.line + 1 + k, shlex.split(code)[1:], text, block.page))
    return found


COMMANDS = page_commands()


def subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_command_and_option_the_pages_name_exists():
    from tinygrad_nb_cli.cli import build_parser

    parser = build_parser()
    commands = subparsers(parser)
    assert {c.argv[0] for c in COMMANDS if c.argv} >= {"train", "check", "graph", "predict", "export"}
    problems = []
    for c in COMMANDS:
        sub = commands.get(c.argv[0]) if c.argv and not c.argv[0].startswith("-") else parser
        if sub is None:
            problems.append(f"{c.page} line {c.line}: no command {c.argv[0]!r} (have {sorted(commands)})")
            continue
        for option, value in re.findall(r"(--[a-z][a-z0-9-]*)(?:[ =]([^\s\]]+))?", c.named):
            action = sub._option_string_actions.get(option)
            if action is None:
                problems.append(f"{c.page} line {c.line}: {sub.prog} has no option {option}")
                continue
            alternatives = value.split("|") if value and "|" in value else []
            for alt in alternatives:
                if action.choices is not None and alt not in action.choices:
                    problems.append(f"{c.page} line {c.line}: {option} {alt}: not among {list(action.choices)}")
                elif action.choices is None and callable(action.type) and "/" not in alt:
                    try:
                        action.type(alt)
                    except (argparse.ArgumentTypeError, ValueError, TypeError) as e:
                        problems.append(f"{c.page} line {c.line}: {option} {alt}: refused ({e})")
    assert problems == []


def cli(argv: list[str]) -> tuple[int, str, str]:
    from tinygrad_nb_cli.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


def demo_out() -> str:
    m = re.search(r"^DEMO_OUT \?= (\S+)$", (ROOT / "Makefile").read_text(), re.M)
    assert m, "the Makefile sets DEMO_OUT, the folder make demo writes"
    return m.group(1)


def test_the_pages_commands_chain_from_the_quickstart(tmp_path, monkeypatch):
    pytest.importorskip("h5py", reason="needs h5py (the h5 extra) to save the model")
    pytest.importorskip("sklearn", reason="needs scikit-learn (the digits extra), the demo's data")
    monkeypatch.chdir(tmp_path)
    folder = demo_out()
    assert "runs/demo/" in README.read_text(encoding="utf-8") and folder == "runs/demo"
    assert "runs/demo/" in (DOCS / "getting-started.md").read_text(encoding="utf-8")
    status, _, err = cli(["train", "--out", folder, "--iterations", "3", "--no-progress"])
    assert status == 0, err
    ran: list[list[str]] = []
    for c in COMMANDS:
        if not c.argv or c.argv[0] not in CHEAP or any("path/to" in a or a == "N" for a in c.argv) or c.argv in ran:
            continue
        if c.argv[0] == "export" and "--onnx" in c.argv and importlib.util.find_spec("onnx") is None:
            continue
        status, out, err = cli(c.argv)
        assert status == 0, f"{c.page} line {c.line}: tinygrad-nb {shlex.join(c.argv)} failed: {err}"
        ran.append(c.argv)
    assert {"check", "predict", "graph"} <= {argv[0] for argv in ran}
    model_paths = {a for c in COMMANDS for a in c.argv if a.endswith("model.h5") and "/" in a}
    assert model_paths and all(p.startswith(folder + "/") for p in model_paths), model_paths


def number_free(line: str) -> str:
    """The line with its decimal numbers (1.512, 4.106e-17) as <x>: the layout, names and shapes stay."""
    return re.sub(r"\d+\.\d+(?:e[-+]\d+)?", "<x>", line).rstrip()


def test_the_check_output_shown_is_what_check_prints():
    shown = next(b for b in BLOCKS if b.code.startswith("$ tinygrad-nb check\n"))
    status, out, err = cli(["check"])
    assert status == 0, err
    printed = {number_free(line) for line in out.splitlines()}
    for line in shown.code.splitlines()[1:]:
        if line.strip() and line.strip() != "...":
            assert number_free(line) in printed, f"{shown.page} shows {line!r}; check printed:\n{out}"


def test_the_example_scripts_the_pages_run_take_those_options():
    runs = []
    for block in BLOCKS:
        if block.lang == "bash":
            for k, line in enumerate(block.code.splitlines()):
                m = re.match(r"python (examples/\S+\.py)(.*)$", line.strip())
                if m:
                    runs.append((f"{block.page} line {block.line + 1 + k}", m.group(1), m.group(2)))
    assert len(runs) >= 4
    problems = []
    for line, script, rest in runs:
        if not (ROOT / script).is_file():
            problems.append(f"{line}: no {script}")
            continue
        help_text = subprocess.run([sys.executable, str(ROOT / script), "--help"], capture_output=True, text=True,
                                   timeout=60, cwd=ROOT).stdout
        for option, value in re.findall(r"(--[a-z][a-z0-9-]*)(?:[ =]([^\s\]|]+(?:\|[^\s\]|]+)*))?", rest):
            if option not in help_text:
                problems.append(f"{line}: {script} has no {option}")
            for alt in (value.split("|") if value and "|" in value else []):
                if alt not in help_text:
                    problems.append(f"{line}: {script} {option} does not offer {alt}")
    assert problems == []
