"""TF1's variable scopes: `fl.variable_scope`, `fl.get_variable_scope`, `fl.AUTO_REUSE`."""
from __future__ import annotations

import contextlib
import enum
from collections.abc import Iterator

from flowlog.engine import dtypes
from flowlog.engine.framework import GraphKeys, get_default_graph, graph_of


class _ReuseMode(enum.Enum):
    """How `get_variable` treats a name: AUTO_REUSE creates it if missing, else reuses it."""

    AUTO_REUSE = 1


AUTO_REUSE = _ReuseMode.AUTO_REUSE


class VariableScope:
    """The defaults `get_variable` applies inside a `variable_scope`: the name prefix, whether
    to reuse, the initializer, dtype and regularizer."""

    def __init__(self, reuse, name: str = "", initializer=None, regularizer=None,
                 name_scope: str = "", dtype=dtypes.float32):
        self._name = name
        self._reuse = reuse
        self._initializer = initializer
        self._regularizer = regularizer
        self._name_scope = name_scope
        self._dtype = dtypes.as_dtype(dtype).base_dtype

    name = property(lambda self: self._name, doc="The full scope name, e.g. 'tower/layer'.")
    original_name_scope = property(lambda self: self._name_scope,
                                   doc="The name scope its ops first went to, e.g. 'layer/'.")
    reuse = property(lambda self: self._reuse, doc="True, AUTO_REUSE or False.")
    initializer = property(lambda self: self._initializer)
    regularizer = property(lambda self: self._regularizer)
    dtype = property(lambda self: self._dtype)

    def reuse_variables(self) -> None:
        """From now on, `get_variable` in this scope returns existing variables."""
        self._reuse = True

    def set_initializer(self, initializer) -> None:
        self._initializer = initializer

    def set_dtype(self, dtype) -> None:
        self._dtype = dtypes.as_dtype(dtype).base_dtype

    def set_regularizer(self, regularizer) -> None:
        self._regularizer = regularizer

    def full_name(self, name: str) -> str:
        """The name `get_variable(name)` gives a variable in this scope."""
        return f"{self._name}/{name}" if self._name else name

    def global_variables(self) -> list:
        """The global variables whose names start with this scope's name."""
        return get_default_graph().get_collection(GraphKeys.GLOBAL_VARIABLES, self._prefix())

    def trainable_variables(self) -> list:
        return get_default_graph().get_collection(GraphKeys.TRAINABLE_VARIABLES, self._prefix())

    def _prefix(self) -> str | None:
        return self._name + "/" if self._name else None

    def __repr__(self) -> str:
        return f"<fl.VariableScope '{self._name}' reuse={self._reuse}>"


class _ScopeState:
    """A graph's variable-scope state: the current scope, the variables by full name, and how
    often each scope name was opened (to make `default_name` scopes unique)."""

    def __init__(self):
        self.current = VariableScope(False)
        self.variables: dict = {}
        self.opened: dict[str, int] = {}


def _state(graph) -> _ScopeState:
    state = graph.__dict__.get("_variable_scopes")
    if state is None:
        state = graph._variable_scopes = _ScopeState()
    return state


def variable_store(graph=None) -> dict:
    """The variables `get_variable` made in `graph` (default graph), keyed by full name."""
    return _state(graph or get_default_graph()).variables


def get_variable_scope() -> VariableScope:
    """The variable scope in force in the default graph (the root scope has name '')."""
    return _state(get_default_graph()).current


def _unique_scope_name(state: _ScopeState, prefix: str) -> str:
    base = state.current.full_name(prefix)
    if not state.opened.get(base):
        return prefix
    i = 1
    while state.opened.get(f"{base}_{i}"):
        i += 1
    return f"{prefix}_{i}"


@contextlib.contextmanager
def variable_scope(name_or_scope, default_name: str | None = None, values=None,
                   initializer=None, regularizer=None, reuse=None,
                   dtype=None) -> Iterator[VariableScope]:
    """Prefix `get_variable` names with a scope and set its defaults; also opens a name scope.

    `name_or_scope` is a name (nested under the current scope) or a `VariableScope` (re-entered
    as it was, ops back in its original name scope); without it, `default_name` made unique.
    `reuse` (True or AUTO_REUSE) lets `get_variable` return existing variables; nested scopes
    inherit reuse, which cannot be turned off inside.
    """
    if reuse not in (None, True, False, AUTO_REUSE):
        raise ValueError(f"reuse must be True, False, None or fl.AUTO_REUSE, got {reuse!r}")
    if name_or_scope is None and default_name is None:
        raise TypeError("If default_name is None then name_or_scope is required")
    if not isinstance(name_or_scope, (VariableScope, str, type(None))):
        raise TypeError(f"VariableScope: name_or_scope must be a string or VariableScope, "
                        f"got {name_or_scope!r}")
    g = graph_of(*(values or ()))
    with contextlib.ExitStack() as stack:
        if g is not get_default_graph():
            stack.enter_context(g.as_default())
        state = _state(g)
        old = state.current
        if isinstance(name_or_scope, VariableScope):
            base = name_or_scope
            name = base.name
            ops_scope = stack.enter_context(g.name_scope(base.original_name_scope or None))
            scope = VariableScope(reuse or base.reuse, name, base.initializer, base.regularizer,
                                  base.original_name_scope, base.dtype)
        else:
            if name_or_scope is None:
                if reuse is True:
                    raise ValueError("reuse=True cannot be used without a name_or_scope")
                ops_scope = stack.enter_context(g.name_scope(default_name))
                name = old.full_name(_unique_scope_name(state, default_name))
            else:
                ops_scope = stack.enter_context(g.name_scope(name_or_scope))
                name = old.full_name(name_or_scope)
            scope = VariableScope(reuse or old.reuse, name, old.initializer, old.regularizer,
                                  ops_scope, old.dtype)
        state.opened[name] = state.opened.get(name, 0) + 1
        for attr, value in (("initializer", initializer), ("regularizer", regularizer),
                            ("dtype", dtype)):
            if value is not None:
                getattr(scope, "set_" + attr)(value)
        state.current = scope
        try:
            yield scope
        finally:
            state.current = old
