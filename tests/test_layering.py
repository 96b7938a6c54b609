"""Layering: tinygrad_nb < nn < viz < tinygrad_nb_cli. Each imports only layers below it, the standard
library and the third-party libraries declared for it; the project's import graph has no loop;
and no project module hides an import inside a function (only optional third-party ones may wait).
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STDLIB = set(sys.stdlib_module_names) | {"__future__"}
LAYERS = ["tinygrad_nb", "nn", "viz", "tinygrad_nb_cli"]  # each may import the ones before it
THIRD_PARTY = {  # the libraries pyproject.toml declares for each layer (core or optional extra)
    "tinygrad_nb": {"numpy", "hypothesis"},  # hypothesis: the `test` extra, for tinygrad_nb.testing
    "nn": {"numpy", "h5py", "sklearn", "scipy", "tqdm", "threadpoolctl", "onnx", "torch"},
    "viz": {"numpy", "matplotlib", "graphviz", "pygraphviz"},
    "tinygrad_nb_cli": {"numpy"},
}
OPTIONAL = {"h5py", "sklearn", "scipy", "tqdm", "threadpoolctl", "onnx", "torch", "matplotlib", "graphviz",
            "pygraphviz", "hypothesis"}
FILES = sorted(p for layer in LAYERS for p in (ROOT / layer).rglob("*.py"))


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in FILES}


def imports(path: Path, *, top_level: bool) -> set[str]:
    """Absolute module names imported by ``path``: at module level (``top_level``) or inside functions."""
    tree = ast.parse(path.read_text())
    nested = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
              for n in ast.walk(f)}
    names = set()
    for node in ast.walk(tree):
        if (id(node) in nested) == top_level:
            continue
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            subs = {f"{node.module}.{a.name}" for a in node.names}  # `from pkg import sub` imports pkg.sub
            names |= {n for n in subs if n in MODULES} or {node.module}
    return names


def type_checking_only(path: Path) -> set[str]:
    """Imports under ``if TYPE_CHECKING:``: annotations only, never run."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for sub in ast.walk(node):
                if isinstance(sub, ast.ImportFrom) and sub.module:
                    names.add(sub.module)
    return names


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_each_layer_imports_only_what_lies_below_it(path):
    layer = path.relative_to(ROOT).parts[0]
    allowed = set(LAYERS[: LAYERS.index(layer) + 1]) | THIRD_PARTY[layer] | STDLIB
    used = {name.split(".")[0] for name in imports(path, top_level=True) | imports(path, top_level=False)}
    assert used - allowed == set()


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_only_optional_libraries_are_imported_inside_functions(path):
    deferred = {name.split(".")[0] for name in imports(path, top_level=False)}
    assert deferred - OPTIONAL == set()


def test_the_import_graph_of_the_project_has_no_loop():
    modules = MODULES

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    edges = {}
    for mod, path in modules.items():
        runtime = imports(path, top_level=True) - type_checking_only(path)
        edges[mod] = {r for r in map(resolve, runtime) if r and r != mod}
    state: dict[str, int] = {}

    def visit(m: str, trail: list[str]) -> None:
        state[m] = 1
        for n in sorted(edges[m]):
            if state.get(n) == 1:
                raise AssertionError("import loop: " + " -> ".join(trail[trail.index(n):] + [n]))
            if n not in state:
                visit(n, trail + [n])
        state[m] = 2

    for m in sorted(modules):
        if m not in state:
            visit(m, [m])


def test_importing_the_engine_loads_no_optional_library():
    code = f"import sys, tinygrad_nb; print(sorted(m for m in {sorted(OPTIONAL)!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


# Inside nn, sub-packages by concern, each importing only those before it (and nn's two foundation
# modules): layers < files < data < training. nn/__init__.py, on top, gathers the public names.
NN_FOUNDATION = {"nn.validate", "nn.extras"}
NN_FACADES = {"nn.optim", "nn.init", "nn.datasets", "nn.utils", "nn.defaults"}  # public paths, re-exports only
NN_PACKAGES = ["nn.layers", "nn.files", "nn.data", "nn.training"]
NN_THIRD_PARTY = {
    "foundation": {"numpy"},
    "nn.layers": {"numpy"},
    "nn.files": {"numpy", "h5py", "onnx", "torch"},
    "nn.data": {"numpy", "h5py", "sklearn", "scipy"},
    "nn.training": {"numpy", "tqdm", "threadpoolctl"},
}
NN_FILES = [p for p in FILES if p.relative_to(ROOT).parts[0] == "nn" and module_name(p) != "nn"
            and module_name(p) not in NN_FACADES]


def nn_package(module: str) -> str:
    """The sub-package a module of nn lies in, or "foundation" for nn.validate and nn.extras."""
    if module in NN_FOUNDATION:
        return "foundation"
    package = ".".join(module.split(".")[:2])
    assert package in NN_PACKAGES, f"{module} lies in no sub-package of nn: put it in one of {NN_PACKAGES}"
    return package


@pytest.mark.parametrize("path", NN_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_each_package_of_nn_imports_only_the_packages_before_it(path):
    package = nn_package(module_name(path))
    below = NN_PACKAGES[: NN_PACKAGES.index(package) + 1] if package != "foundation" else []
    used = imports(path, top_level=True) | imports(path, top_level=False)
    for name in sorted(used):
        root = name.split(".")[0]
        if root == "nn":
            assert name in NN_FOUNDATION or any(name == p or name.startswith(p + ".") for p in below), \
                f"{module_name(path)} ({package}) imports {name}; it may import {sorted(NN_FOUNDATION)} and {below}"
        else:
            assert root in STDLIB | {"tinygrad_nb"} | NN_THIRD_PARTY[package], \
                f"{module_name(path)} ({package}) imports {root}, not declared for {package}"


@pytest.mark.parametrize("facade", sorted(NN_FACADES))
def test_each_public_submodule_only_re_exports_one_module_of_a_sub_package(facade):
    tree = ast.parse(MODULES[facade].read_text())
    imported = {node.module for node in tree.body if isinstance(node, ast.ImportFrom)}
    assert len(imported) == 1 and nn_package(imported.pop()) in NN_PACKAGES
    assert all(isinstance(node, (ast.Expr, ast.ImportFrom, ast.Assign)) for node in tree.body), \
        f"{facade} is a public path only: its code lives in the sub-package it imports"


def test_every_public_submodule_of_nn_keeps_its_flat_path():
    code = ("import importlib, nn; "
            "print([n for n in ('optim', 'init', 'datasets', 'utils', 'defaults') "
            "if importlib.import_module('nn.' + n) is not getattr(nn, n)])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"
