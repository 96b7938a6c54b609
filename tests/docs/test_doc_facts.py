"""The docs stay true: docs/ARCHITECTURE.md names files that exist, and the install section, extras,
make targets and CI command the README and the docs pages show match pyproject.toml, the Makefile
and .ci/run; the jit's contract names tests that exist; the README's links lead somewhere.

(The code blocks and tinygrad-nb commands of the README and the docs pages run in test_doc_snippets.py;
the API reference's coverage is test_api_reference.py.)
"""

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
README = (ROOT / "README.md").read_text(encoding="utf-8")
GETTING_STARTED = (DOCS / "getting-started.md").read_text(encoding="utf-8")  # the install section, the extras
JIT_PAGE = (DOCS / "guides" / "jit.md").read_text(encoding="utf-8")  # the jit's contract table
WHEN_THINGS_GO_WRONG = (DOCS / "guides" / "when-things-go-wrong.md").read_text(encoding="utf-8")
ALL_PAGES = "\n".join([README, *(p.read_text(encoding="utf-8") for p in sorted(DOCS.rglob("*.md")))])


def optional_dependencies() -> dict[str, list[str]]:
    """pyproject.toml's extras: with tomllib (Python 3.11+), else read from the section's `name = [...]` lines."""
    text = (ROOT / "pyproject.toml").read_text()
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        body = text.split("[project.optional-dependencies]", 1)[1].split("\n[", 1)[0]
        body = re.sub(r"#[^\n]*", "", body)
        lists = re.findall(r"^([\w-]+) = (\[.*?\])[ \t]*$", body, re.M | re.S)  # a list ends its line with ]
        return {name: ast.literal_eval(value) for name, value in lists}
    return tomllib.loads(text)["project"]["optional-dependencies"]


EXTRAS = optional_dependencies()


def test_every_file_the_architecture_page_names_exists():
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text()
    named = set(re.findall(r"`((?:tinygrad_nb|tinygrad_nb_cli|nn|viz|tests|benchmarks)/[\w/]+\.py)`", text))
    assert len(named) > 30
    assert sorted(p for p in named if not (ROOT / p).exists()) == []


def sections(page: str) -> list[str]:
    return re.findall(r"^## (.+)$", page, re.M)


def section(page: str, title: str) -> str:
    start = page.index(f"\n## {title}\n")
    end = page.find("\n## ", start + 1)
    return page[start:end if end > 0 else None]


def test_the_install_section_comes_right_after_the_quickstart():
    for page in (README, GETTING_STARTED):
        names = sections(page)
        assert names[names.index("Quickstart") + 1] == "Install"
        install = section(page, "Install")
        assert "pip install -e '.[demo]'" in install
        assert "pip install ." in install


def extras_table() -> dict[str, str]:
    """{extra: its row} from the getting-started page's Install section's table."""
    rows = re.findall(r"^\| `([a-z0-9-]+)` \|(.*)$", section(GETTING_STARTED, "Install"), re.M)
    return dict(rows)


def requirement_name(req: str) -> str:
    return re.split(r"[\[<>=!~; ]", req, maxsplit=1)[0].lower()


def test_the_extras_table_lists_every_extra_with_what_it_brings():
    table = extras_table()
    assert sorted(table) == sorted(EXTRAS), "the extras table (docs/getting-started.md) and pyproject.toml's differ"
    problems = []
    for extra, reqs in EXTRAS.items():
        row = table[extra].lower()
        brings = row.split("|")[0]  # the "brings" column (the row after the extra's name)
        for req in reqs:
            if requirement_name(req) == "tinygrad-nb":
                for sub in re.search(r"\[(.*)\]", req).group(1).split(","):
                    if f"`{sub.strip()}`" not in brings:
                        problems.append(f"{extra}: the row does not name the extra `{sub.strip()}`")
            elif requirement_name(req) not in brings:
                problems.append(f"{extra}: the row does not name {requirement_name(req)}")
    assert problems == []


def test_the_extras_the_pages_install_exist():
    named = re.findall(r"pip install [^`\n]*?\[([a-z0-9,-]+)\]", ALL_PAGES)
    assert len(named) >= 4
    assert re.search(r"pip install [^`\n]*?\[([a-z0-9,-]+)\]", README), "the README names an extra to install"
    unknown = sorted({e for group in named for e in group.split(",")} - set(EXTRAS))
    assert unknown == []


def test_the_notebook_extra_is_in_test_and_threadpoolctl_in_demo_and_test():
    assert "notebook" in re.search(r"tinygrad-nb\[(.*)\]", EXTRAS["test"][0]).group(1).split(",")
    for extra in ("demo", "test"):
        assert "threadpoolctl" in {requirement_name(r) for r in EXTRAS[extra]}
    assert {"ipykernel", "ipywidgets", "nbclient", "nbformat"} <= {requirement_name(r) for r in EXTRAS["notebook"]}


def make_targets_named(text: str) -> set[str]:
    return set(re.findall(r"`make ([a-z][\w-]*)", text)) | set(re.findall(r"^make ([a-z][\w-]*)", text, re.M))


def test_every_make_target_the_pages_name_exists():
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][\w-]*):", makefile, re.M))
    assert {"demo", "test", "test-slow", "lint", "docs"} <= make_targets_named(README)
    named = make_targets_named(ALL_PAGES)
    assert sorted(named - targets) == []


def test_ci_runs_the_readme_test_command_then_the_slow_tests():
    for page in (README, GETTING_STARTED):
        quickstart = section(page, "Quickstart")
        assert re.search(r"^make test\b", quickstart, re.M), "the quickstart's second command is make test"
    lines = [line.split("#")[0].strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert "make test" in lines and "make test-slow" in lines
    assert lines.index("make test") < lines.index("make test-slow")
    assert any("apt-get install" in line and "chromium" in line for line in lines)
    assert "make docs" in lines  # the site, --strict
    torch_installs = [line for line in lines if "pip install" in line and "torch" in line]
    assert torch_installs and min(map(lines.index, torch_installs)) < lines.index("make test"), \
        "CI installs PyTorch before the tests, so the comparisons with torch run rather than skip"
    assert "export TINYGRAD_NB_EVERY_CHECK=1" in lines


def test_files_named(name: str) -> set[str]:
    """The tests a test file defines, wherever under tests/ it lives (the suite is grouped in folders)."""
    found = sorted((ROOT / "tests").rglob(name))
    assert found, f"no {name} under tests/"
    return {t for path in found for t in re.findall(r"^def (test_\w+)", path.read_text(), re.M)}


test_files_named.__test__ = False  # a helper, not a test


def test_every_row_of_the_jit_contract_names_tests_that_exist():
    table = JIT_PAGE.split("**The contract: the eager result, or a `JitError`.**", 1)[1].split("sharp bits", 1)[0]
    files = {"C": "test_jit_contract.py", "R": "test_jit_reach.py", "P": "test_jit_probes.py", "J": "test_jit.py",
             "D": "test_jit_differential.py", "M": "test_jit_masks.py", "E": "test_jit_embedding.py",
             "L": "test_jit_conv.py test_jit_recurrent.py", "T": "test_jit_tutorial_loops.py",
             "G": "test_jit_tutorial_loop_guards.py"}
    defined = {k: set().union(*(test_files_named(f) for f in names.split())) for k, names in files.items()}
    rows = [line for line in table.splitlines() if line.startswith("| ") and not line.startswith("| what")]
    assert len(rows) >= 12
    for row in rows:
        cell = row.rstrip(" |").rsplit("|", 1)[1]
        named = re.findall(r"(?:\b([CRPJDMELTG]) )?`(test_\w+)(?:\.\.\.)?`", cell)
        assert named, f"a row of the jit's contract names no test: {row}"
        kind = None
        for k, name in named:
            kind = k or kind
            assert any(t.startswith(name) for t in defined[kind]), f"{name} is not a test in {files[kind]}"


def test_the_when_things_go_wrong_page_shows_what_the_example_prints():
    script = ROOT / "examples" / "when_things_go_wrong.py"
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    for line in result.stdout.splitlines():
        if line.startswith("---"):
            continue
        shown = line.replace(str(ROOT) + "/", "")
        assert shown in WHEN_THINGS_GO_WRONG, f"docs/guides/when-things-go-wrong.md is out of date; it prints: {shown}"


def test_the_readme_links_lead_to_files_and_headings_that_exist():
    """mkdocs checks the links between docs pages (--strict); the README is outside docs/, so it is checked here."""
    links = re.findall(r"\]\(([^)\s]+)\)", README)
    local = [link for link in links if not re.match(r"[a-z]+:", link)]
    assert len(local) >= 10
    problems = []
    for link in local:
        path, _, anchor = link.partition("#")
        target = ROOT / path
        if not target.is_file():
            problems.append(f"{link}: no such file")
        elif anchor and anchor not in {heading_anchor(h) for h in re.findall(r"^#+ (.+)$", target.read_text(), re.M)}:
            problems.append(f"{link}: no heading #{anchor} in {path}")
    assert problems == []


def heading_anchor(heading: str) -> str:
    """The id Python-Markdown's toc extension gives a heading (lower case, punctuation dropped, spaces as -)."""
    text = re.sub(r"[^\w\s-]", "", heading.replace("`", "")).strip().lower()
    return re.sub(r"[-\s]+", "-", text)
