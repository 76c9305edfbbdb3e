"""The op modules are layers: each imports only those below it, at the top, so none needs a late
import to break a cycle (gradient rules below reduction_ops build their Sum with `sum_over`)."""
import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "engine"

# Bottom to top: a module may import the ones listed before it, never one after it.
LAYERS = ["op_util", "array_ops", "broadcast_ops", "select_ops", "unary_ops", "comparison_ops",
          "math_ops", "shape_ops", "index_ops", "reduction_ops", "xent_ops", "nn_ops"]


def _engine_imports(module: str) -> tuple[set[str], set[str]]:
    """The engine modules `module` imports at its top level, and inside functions."""
    top, late = set(), set()
    tree = ast.parse((ENGINE / f"{module}.py").read_text())
    top_level = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "flowlog.engine":
                names = {alias.name for alias in node.names}
            elif node.module.startswith("flowlog.engine."):
                names = {node.module.rpartition(".")[2]}
            else:
                continue
            (top if id(node) in top_level else late).update(names)
    return top, late


def test_each_op_module_imports_only_the_layers_below_it_and_only_at_its_top():
    for i, module in enumerate(LAYERS):
        top, late = _engine_imports(module)
        assert late == set(), f"{module} imports {sorted(late)} inside a function"
        above = top & set(LAYERS[i:])
        assert above == set(), f"{module} imports {sorted(above)}, at or above its own layer"


def test_the_layers_hold_every_op_module_they_import():
    imported = set().union(*(_engine_imports(m)[0] for m in LAYERS))
    op_modules = {m for m in imported if m.endswith("_ops") or m == "op_util"}
    assert op_modules - set(LAYERS) <= {"random_ops"}  # below nn_ops, above math_ops
