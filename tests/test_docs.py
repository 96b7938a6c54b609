"""The docs stay true: docs/ARCHITECTURE.md names files that exist, and the README's install section,
extras, make targets and CI command match pyproject.toml, the Makefile and .ci/run.

(The README's code blocks and tinygrad-nb commands run in tests/test_readme_snippets.py.)
"""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


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


def sections() -> list[str]:
    return re.findall(r"^## (.+)$", README, re.M)


def section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end > 0 else None]


def test_the_install_section_comes_right_after_the_quickstart():
    names = sections()
    assert names[names.index("Quickstart") + 1] == "Install"
    install = section("Install")
    assert "pip install -e '.[demo]'" in install
    assert "pip install ." in install


def extras_table() -> dict[str, str]:
    """{extra: its row} from the Install section's table."""
    rows = re.findall(r"^\| `([a-z0-9-]+)` \|(.*)$", section("Install"), re.M)
    return dict(rows)


def requirement_name(req: str) -> str:
    return re.split(r"[\[<>=!~; ]", req, maxsplit=1)[0].lower()


def test_the_extras_table_lists_every_extra_with_what_it_brings():
    table = extras_table()
    assert sorted(table) == sorted(EXTRAS), "the README's extras table and pyproject.toml's extras differ"
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


def test_the_extras_the_readme_installs_exist():
    named = re.findall(r"pip install [^`\n]*?\[([a-z0-9,-]+)\]", README)
    assert len(named) >= 4
    unknown = sorted({e for group in named for e in group.split(",")} - set(EXTRAS))
    assert unknown == []


def test_the_notebook_extra_is_in_test_and_threadpoolctl_in_demo_and_test():
    assert "notebook" in re.search(r"tinygrad-nb\[(.*)\]", EXTRAS["test"][0]).group(1).split(",")
    for extra in ("demo", "test"):
        assert "threadpoolctl" in {requirement_name(r) for r in EXTRAS[extra]}
    assert {"ipykernel", "ipywidgets", "nbclient", "nbformat"} <= {requirement_name(r) for r in EXTRAS["notebook"]}


def test_every_make_target_the_readme_names_exists():
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][\w-]*):", makefile, re.M))
    named = set(re.findall(r"`make ([a-z][\w-]*)", README)) | set(re.findall(r"^make ([a-z][\w-]*)", README, re.M))
    assert {"demo", "test", "test-slow"} <= named
    assert sorted(named - targets) == []


def test_ci_runs_the_readme_test_command_then_the_slow_tests():
    quickstart = section("Quickstart")
    assert re.search(r"^make test\b", quickstart, re.M), "the quickstart's second command is make test"
    lines = [line.split("#")[0].strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert "make test" in lines and "make test-slow" in lines
    assert lines.index("make test") < lines.index("make test-slow")
    assert any("apt-get install" in line and "chromium" in line for line in lines)


def test_every_row_of_the_jit_contract_names_tests_that_exist():
    table = README.split("**The contract: the eager result, or a `JitError`.**", 1)[1].split("sharp bits", 1)[0]
    files = {"C": "test_jit_contract.py", "R": "test_jit_reach.py", "P": "test_jit_probes.py", "J": "test_jit.py",
             "D": "test_jit_differential.py"}
    defined = {k: set(re.findall(r"^def (test_\w+)", (ROOT / "tests" / f).read_text(), re.M)) for k, f in files.items()}
    rows = [line for line in table.splitlines() if line.startswith("| ") and not line.startswith("| what")]
    assert len(rows) >= 12
    for row in rows:
        cell = row.rstrip(" |").rsplit("|", 1)[1]
        named = re.findall(r"(?:\b([CRPJD]) )?`(test_\w+)(?:\.\.\.)?`", cell)
        assert named, f"a row of the jit's contract names no test: {row}"
        kind = None
        for k, name in named:
            kind = k or kind
            assert any(t.startswith(name) for t in defined[kind]), f"{name} is not a test in {files[kind]}"
