"""The layers of DESIGN.md, enforced: no module imports from a layer above its own.

Read from the code's own import statements (``ast``), not from what happens to be loaded.
"""

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "tinycnn"

# Longest prefix wins. Within a layer, imports go either way; a side package (6) may use
# any layer below it and the other side packages, but not the command line (7).
LAYERS = {
    "tinycnn.kernels.runtime": 0.0,  # plumbing under the kernels: threads, BLAS, buffers
    "tinycnn.kernels.reference": 0.0,  # the oracles import no other kernel
    "tinycnn.kernels.textbook": 0.0,  # plain NumPy, nothing of the fast kernels
    "tinycnn.kernels": 0.1,  # the fast ops, built on the runtime
    "tinycnn.kernels.sets": 0.2,  # the switch between the sets
    "tinycnn.rng": 0.0,  # the one random generator, below everything that draws from it
    "tinycnn.autograd": 1,
    "tinycnn.tensor": 2,
    "tinycnn.nn.functional": 3,
    "tinycnn.gradcheck": 3,
    "tinycnn.nn": 4,
    "tinycnn.io": 4.5,  # weight files: state dicts in and out of nn modules
    "tinycnn.models": 5,
    "tinycnn.optim": 6,
    "tinycnn.data": 6,
    "tinycnn.summary": 6,
    "tinycnn.training": 6,
    "tinycnn.lessons": 6,
    "tinycnn.exercises": 6,
    "tinycnn.pictures": 6,
    "tinycnn.selfcheck": 6,
    "tinycnn.commands": 7,
    "tinycnn.cli": 7,
    "tinycnn.__main__": 8,
}


def layer_of(module):
    prefixes = [p for p in LAYERS if module == p or module.startswith(p + ".")]
    if not prefixes:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS")
    return LAYERS[max(prefixes, key=len)]


def module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path):
    """Every tinycnn module ``path`` imports, by its full name."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name.startswith("tinycnn"))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "tinycnn" or node.module.startswith("tinycnn."):
                # `from tinycnn.kernels import sets` imports the module tinycnn.kernels.sets
                for alias in node.names:
                    submodule = f"{node.module}.{alias.name}"
                    yield submodule if is_module(submodule) else node.module


def is_module(name):
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


SOURCES = sorted(
    path for path in PACKAGE.rglob("*.py") if module_name(path) != "tinycnn"
)  # the package's own __init__ is the top: it may import anything


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: module_name(path))
def test_no_module_imports_from_a_layer_above_its_own(path):
    module = module_name(path)
    upward = [
        f"{target} (layer {layer_of(target)})"
        for target in imported_modules(path)
        if layer_of(target) > layer_of(module)
        # a package's __init__ may re-export its own modules, whatever their layer
        and not (path.name == "__init__.py" and target.startswith(module + "."))
    ]
    assert upward == [], f"{module} (layer {layer_of(module)}) imports {upward}"


def test_no_module_imports_the_package_itself():
    # `import tinycnn` inside the package would run its __init__ from the middle of itself.
    offenders = [module_name(path) for path in SOURCES if "tinycnn" in set(imported_modules(path))]
    assert offenders == []


def test_the_layer_table_catches_an_upward_import(tmp_path):
    # The check itself must be able to fail: a kernel importing the tensor is refused.
    source = tmp_path / "tinycnn" / "kernels" / "bad.py"
    source.parent.mkdir(parents=True)
    source.write_text("from tinycnn.tensor import Tensor\n")
    targets = list(imported_modules(source))
    assert targets == ["tinycnn.tensor"]
    assert layer_of("tinycnn.tensor") > layer_of("tinycnn.kernels.bad")
