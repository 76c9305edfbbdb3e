"""Every op type declares how gradients pass through it, and every gradient rule is checked
against finite differences in the numeric gradient tables."""
import flowlog.engine.api  # noqa: F401 - registers every op type
import test_gradients_numeric
import test_gradients_numeric_nn
from flowlog.engine import framework
from flowlog.engine import ops as fl
from flowlog.engine.op_registry import get_opdef, registered_op_types
from flowlog.engine.op_util import not_differentiable

# Op types registered without a gradient rule: `gradients()` raises a LookupError naming any
# of them it meets between ys and xs, as TF does for ops with no registered gradient.
NO_GRADIENT = {
    # no inputs: a gradient walk ends at them
    "Const", "Placeholder", "VariableV2", "MakeIterator", "IteratorGetNext",
    # update variables in place
    "Assign", "AssignAdd", "AssignSub", "ApplyGradientDescent", "ApplyMomentum", "ApplyAdagrad",
    "ApplyAdam", "ApplyRMSProp", "ApplyCenteredRMSProp", "SparseApplyAdagrad",
    # serialize summaries: bytes, nothing to differentiate
    "ScalarSummary", "HistogramSummary", "ImageSummary", "TensorSummaryV2", "MergeSummary",
    # a while loop's own plumbing: its gradient is built by while_loop, not per op
    "LoopVar", "WhileGrad",
    # gradient ops whose own gradient no first- or second-order derivative needs
    "Cumprod", "MaxPoolGradGrad", "LRNGrad",
}


def test_every_op_type_has_a_gradient_rule_or_is_listed_without_one():
    without = {t for t in registered_op_types() if get_opdef(t).grad is None}
    assert without - NO_GRADIENT == set(), "register a gradient rule or not_differentiable"
    assert NO_GRADIENT - without == set(), "listed here, but has a gradient rule now"


def _op_types_built_by(cases) -> set[str]:
    found = set()
    for _, fn, shapes, _ in cases:
        g = framework.Graph()
        with g.as_default():
            fn(*[fl.placeholder("float64", shape=s) for s in shapes])
        found |= {op.type for op in g.get_operations()}
    return found


def test_every_gradient_rule_is_checked_against_finite_differences():
    checked = _op_types_built_by(test_gradients_numeric.CASES + test_gradients_numeric_nn.CASES)
    rules = {t for t in registered_op_types()
             if get_opdef(t).grad not in (None, not_differentiable)}
    assert rules - checked == set(), "add a case to a numeric gradient table"
