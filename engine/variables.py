"""Variables: TF1's four-op `Variable`, the state ops that change it, and variable collections."""
from __future__ import annotations

import contextlib

import numpy as np
from flowlog.engine import dtypes, errors, initializers, ops
from flowlog.engine.framework import (
    GraphKeys,
    Operation,
    OperatorsMixin,
    Tensor,
    convert_to_tensor,
    get_default_graph,
    register_op,
)
from flowlog.engine.shapes import TensorShape, as_shape
from flowlog.engine.variable_scope import get_variable_scope, variable_store


def fmt_dims(shape) -> str:
    """A shape as TF's kernels print it: `[2,3]` (`?` for an unknown dimension)."""
    return "[" + ",".join("?" if d is None else str(d) for d in shape) + "]"


# --- the state ops --------------------------------------------------------------------------


def _variable_infer(op: Operation) -> list:
    return [(op.attrs["dtype"]._as_ref(), op.attrs["shape"])]


@register_op("VariableV2", infer=_variable_infer, bind=lambda op, session: lambda: session.variable_cell(op),
             stateful=True)
def _variable_kernel():
    raise errors.InternalError(None, None, "VariableV2 runs only through a Session")


def _update_infer(op: Operation) -> list:
    ref, value = op.inputs[0], op.inputs[1]
    shape = ref.shape
    if op.attrs.get("validate_shape", True):
        if not ref.shape.is_compatible_with(value.shape):
            raise ValueError(f"Shapes {ref.shape} and {value.shape} are incompatible for "
                             f"'{op.name}' (op: '{op.type}'): the variable and the value must "
                             "have the same shape.")
        shape = ref.shape.merge_with(value.shape)
    elif op.type == "Assign":
        shape = value.shape
    return [(ref.dtype.base_dtype._as_ref(), shape)]


def _update_bind(combine):
    """Bind of an op writing `combine(old, value)` into the variable (old is None if unset)."""

    def bind(op: Operation, session):
        np_type = op.inputs[0].dtype.base_dtype.as_numpy_dtype
        validate = op.attrs.get("validate_shape", True)

        def update(cell, value):
            old = cell.value
            if old is None and combine is not None:
                cell.read()  # raises: uninitialized
            new = np.array(value if combine is None else combine(old, value), dtype=np_type)
            if validate and old is not None and new.shape != old.shape:
                raise errors.InvalidArgumentError(
                    None, op, f"{op.type} requires shapes of both tensors to match. lhs shape= "
                              f"{fmt_dims(old.shape)} rhs shape= {fmt_dims(np.shape(value))}")
            cell.value = new = new if new.ndim else new[()]  # scalars compute fastest as such
            return new

        return update

    return bind


register_op("Assign", infer=_update_infer, bind=_update_bind(None),
            attrs=("validate_shape", "use_locking"), stateful=True)(None)
register_op("AssignAdd", infer=_update_infer, bind=_update_bind(np.add), attrs=("use_locking",),
            stateful=True)(None)
register_op("AssignSub", infer=_update_infer, bind=_update_bind(np.subtract),
            attrs=("use_locking",), stateful=True)(None)


def _ref_of(ref, op_type: str) -> Tensor:
    if isinstance(ref, Variable):
        return ref._variable
    if isinstance(ref, Tensor) and ref.dtype.is_ref_dtype:
        return ref
    raise TypeError(f"Input 'ref' of '{op_type}' Op requires l-value input, got {ref!r}")


def _state_op(op_type: str, ref, value, name, attrs: dict) -> Tensor:
    ref = _ref_of(ref, op_type)
    g = ref.graph
    with g.name_scope(name or op_type) as scope:
        value = convert_to_tensor(value, dtype=ref.dtype.base_dtype, name="value")
        return g.create_op(op_type, [ref, value], attrs, name=scope).outputs[0]


def assign(ref, value, validate_shape=None, use_locking=None, name=None) -> Tensor:
    """An op setting variable `ref` to `value`; its output is the new value."""
    attrs = {"validate_shape": True if validate_shape is None else bool(validate_shape),
             "use_locking": True if use_locking is None else bool(use_locking)}
    return _state_op("Assign", ref, value, name, attrs)


def assign_add(ref, value, use_locking=None, name=None) -> Tensor:
    """An op adding `value` to variable `ref`; its output is the new value."""
    return _state_op("AssignAdd", ref, value, name, {"use_locking": bool(use_locking)})


def assign_sub(ref, value, use_locking=None, name=None) -> Tensor:
    """An op subtracting `value` from variable `ref`; its output is the new value."""
    return _state_op("AssignSub", ref, value, name, {"use_locking": bool(use_locking)})


# --- Variable -------------------------------------------------------------------------------


class Variable(OperatorsMixin):
    """A value kept across runs in each session: ops `<name>/initial_value`, `<name>`
    (VariableV2), `<name>/Assign` (its initializer) and `<name>/read` (its value)."""

    def __init__(self, initial_value=None, trainable=True, collections=None,
                 validate_shape=True, caching_device=None, name=None, variable_def=None,
                 dtype=None, expected_shape=None, import_scope=None, constraint=None,
                 shape=None):
        if initial_value is None:
            raise ValueError("initial_value must be specified.")
        if variable_def is not None:
            raise NotImplementedError("Creating a Variable from a VariableDef is not supported.")
        g = initial_value.graph if isinstance(initial_value, Tensor) else get_default_graph()
        dtype = dtypes.as_dtype(dtype).base_dtype if dtype is not None else None
        with g.control_dependencies(None), g.name_scope(name or "Variable") as scope:
            # From an initializer function, the initial value's ops and the variable share its
            # colocation group before it exists (TF1's `loc:@<name>`), unless a colocation
            # in force already decides (a slot: its primary variable).
            own_group = callable(initial_value) and not g._state.colocation
            group = g.colocate_with(f"loc:@{scope[:-1]}") if own_group \
                else contextlib.nullcontext()
            with group:
                if callable(initial_value):
                    with g.name_scope("Initializer"):
                        init = convert_to_tensor(initial_value(), dtype=dtype,
                                                 name="initial_value")
                else:
                    init = convert_to_tensor(initial_value, dtype=dtype, name="initial_value")
                var_op = self._variable_op(g, init, scope, validate_shape, shape)
            self._variable = var_op.outputs[0]
            self._initial_value = init
            self._initializer_op = assign(self._variable, init, validate_shape=validate_shape,
                                          name="Assign").op
            with g.colocate_with(var_op):
                self._snapshot = _identity(self._variable, "read")
        self._trainable = bool(trainable)
        self.constraint = constraint
        collections = list(collections) if collections is not None else [
            GraphKeys.GLOBAL_VARIABLES]
        if self._trainable and GraphKeys.TRAINABLE_VARIABLES not in collections:
            collections.append(GraphKeys.TRAINABLE_VARIABLES)
        for key in dict.fromkeys(collections):
            g.add_to_collection(key, self)

    @staticmethod
    def _variable_op(g, init: Tensor, scope: str, validate_shape, shape):
        static = init.shape if validate_shape else TensorShape(None)
        if shape is not None:
            static = as_shape(shape)
        attrs = {"shape": static, "dtype": init.dtype.base_dtype, "container": "",
                 "shared_name": ""}
        return g.create_op("VariableV2", [], attrs, name=scope)

    # identity
    name = property(lambda self: self._variable.name, doc="'Variable:0'")
    op = property(lambda self: self._variable.op, doc="The VariableV2 operation.")
    graph = property(lambda self: self._variable.graph)
    dtype = property(lambda self: self._variable.dtype, doc="The ref dtype, e.g. float32_ref.")
    shape = property(lambda self: self._variable.shape)
    device = property(lambda self: self._variable.device)
    trainable = property(lambda self: self._trainable)
    initializer = property(lambda self: self._initializer_op, doc="The `Assign` initializer op.")
    initial_value = property(lambda self: self._initial_value)

    def get_shape(self) -> TensorShape:
        return self.shape

    def value(self) -> Tensor:
        """The `<name>/read:0` tensor: the variable's value when read."""
        return self._snapshot

    def read_value(self) -> Tensor:
        """A new read of the variable (runs after the control dependencies in force here)."""
        return _identity(self._variable, "read")

    def _as_graph_tensor(self) -> Tensor:
        return self._snapshot

    def _as_graph_element(self) -> Tensor:
        # Fetching a variable fetches its ref, as TF1 does: the value after the run's updates
        # (`sess.run([train_op, w])` shows w as train_op left it), while ops in the graph read
        # `<name>/read` and so see the value before an update that depends on them.
        return self._variable

    def _ref(self) -> Tensor:
        return self._variable

    def eval(self, session=None):
        """The variable's value in `session` (default: the default session)."""
        return self._snapshot.eval(session=session)

    def load(self, value, session=None) -> None:
        """Set the variable to `value` in `session` without adding ops (feeds its initializer)."""
        from flowlog.engine.session import get_default_session

        session = session or get_default_session()
        if session is None:
            raise ValueError("Either session argument should be provided or default session "
                             "should be established")
        session.run(self._initializer_op, {self._initializer_op.inputs[1]: value})

    def assign(self, value, use_locking=False, name=None, read_value=True):
        t = assign(self._variable, value, use_locking=use_locking, name=name)
        return t if read_value else t.op

    def assign_add(self, delta, use_locking=False, name=None, read_value=True):
        t = assign_add(self._variable, delta, use_locking=use_locking, name=name)
        return t if read_value else t.op

    def assign_sub(self, delta, use_locking=False, name=None, read_value=True):
        t = assign_sub(self._variable, delta, use_locking=use_locking, name=name)
        return t if read_value else t.op

    def initialized_value(self) -> Tensor:
        return self._snapshot

    def __repr__(self) -> str:
        return (f"<fl.Variable '{self.name}' shape={self.shape} "
                f"dtype={self.dtype.name}>")


def _identity(ref: Tensor, name: str) -> Tensor:
    return ops.identity(ref, name=name)


# --- collections and initialization ---------------------------------------------------------


def global_variables(scope: str | None = None) -> list[Variable]:
    """The variables of the default graph's GLOBAL_VARIABLES collection."""
    return get_default_graph().get_collection(GraphKeys.GLOBAL_VARIABLES, scope)


def trainable_variables(scope: str | None = None) -> list[Variable]:
    """The variables created with trainable=True in the default graph."""
    return get_default_graph().get_collection(GraphKeys.TRAINABLE_VARIABLES, scope)


def local_variables(scope: str | None = None) -> list[Variable]:
    return get_default_graph().get_collection(GraphKeys.LOCAL_VARIABLES, scope)


def variables_initializer(var_list, name: str = "init") -> Operation:
    """One op running the initializers of `var_list` (a NoOp named `init` by default)."""
    var_list = list(var_list)
    if not var_list:
        return ops.no_op(name=name)
    return ops.group(*[v.initializer for v in var_list], name=name)


def global_variables_initializer() -> Operation:
    """An op initializing every global variable that exists now (not ones created later)."""
    return variables_initializer(global_variables())


def local_variables_initializer() -> Operation:
    return variables_initializer(local_variables(), name="init_1")


initialize_all_variables = global_variables_initializer
all_variables = global_variables


# --- get_variable ---------------------------------------------------------------------------


def get_variable(name: str, shape=None, dtype=None, initializer=None, regularizer=None,
                 trainable=None, collections=None, validate_shape=True, **_ignored) -> Variable:
    """The variable `<variable scope>/name`: made by `initializer` (default: the scope's, else
    glorot uniform for floats, zeros otherwise), or the existing one when the scope reuses."""
    g = get_default_graph()
    scope = get_variable_scope()
    store = variable_store(g)
    name = scope.full_name(name)
    dtype = dtypes.as_dtype(dtype or scope.dtype).base_dtype
    if name in store and scope.reuse:
        return _shared(store[name], shape, dtype)
    if name in store:
        raise ValueError(f"Variable {name} already exists, disallowed. Did you mean to set "
                         "reuse=True or reuse=tf.AUTO_REUSE in VarScope?")
    if scope.reuse is True:
        raise ValueError(f"Variable {name} does not exist, or was not created with "
                         "tf.get_variable(). Did you mean to set reuse=tf.AUTO_REUSE in VarScope?")
    initializer = initializer if initializer is not None else scope.initializer
    if isinstance(initializer, (Tensor, Variable, np.ndarray, list, float, int)):
        initial_value = initializer  # a value: its shape is the variable's
    else:
        if shape is None:
            raise ValueError(f"Shape of a new variable ({name}) must be fully defined, but "
                             "instead was <unknown>.")
        shape = as_shape(shape)
        if not shape.is_fully_defined():
            raise ValueError(f"Shape of a new variable ({name}) must be fully defined, but "
                             f"instead was {shape}.")
        init = initializer if initializer is not None else initializers.default_for(name, dtype)
        initial_value = lambda: init(shape.as_list(), dtype=dtype)
    with g.name_scope(None):  # as TF: variable names ignore the name scopes in force
        v = Variable(initial_value, trainable=True if trainable is None else trainable,
                     collections=collections, validate_shape=validate_shape, name=name,
                     dtype=dtype)
    store[name] = v
    regularizer = regularizer if regularizer is not None else scope.regularizer
    if regularizer is not None:
        with g.name_scope(name + "/Regularizer/"):
            loss = regularizer(v)
        if loss is not None:
            g.add_to_collection("regularization_losses", loss)
    return v


def _shared(v: Variable, shape, dtype) -> Variable:
    """Existing variable `v`, if `shape` and `dtype` (those asked for) fit it."""
    name = v.op.name
    shape = as_shape(shape)
    if not shape.is_compatible_with(v.shape):
        raise ValueError(f"Trying to share variable {name}, but specified shape {shape} and "
                         f"found shape {v.shape}.")
    if dtype != v.dtype.base_dtype:
        raise ValueError(f"Trying to share variable {name}, but specified dtype {dtype.name} "
                         f"and found dtype {v.dtype.base_dtype.name}.")
    return v
