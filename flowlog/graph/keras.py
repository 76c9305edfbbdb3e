"""A Keras model's config (what the Keras TensorBoard callback writes) as a layer graph.

The callback writes `model.to_json()` as a string tensor under the tag `keras`, plugin
`graph_keras_model`. TensorBoard draws it as the "conceptual graph": one node per layer, named
`<model>/<layer>` (a nested model is a scope of its own), with the layer's class as its op.

Layer configs as Keras writes them:
- Functional: `config.layers[*].inbound_nodes` lists each call of the layer. Keras 2 (`tf_keras`,
  `tf.keras` before 2.16) writes a call as a list of `[layer, node_index, tensor_index, kwargs]`;
  Keras 3 writes `{"args": [...], "kwargs": {...}}` whose tensors are
  `{"class_name": "__keras_tensor__", "config": {"shape", "keras_history": [layer, node,
  tensor]}}`, possibly nested in lists. `config.input_layers` / `output_layers` name the model's
  ends the same way (`[name, node, tensor]`, or a list of them).
- Sequential: no `inbound_nodes`; each layer reads the one before (the first reads the
  model's input).
"""
from __future__ import annotations

import json

from flowlog.graph.model import GraphError
from flowlog.proto import graph_pb2, tensor_shape_pb2, types_pb2

PLUGIN = "graph_keras_model"
MAX_DEPTH = 32  # models nested deeper than this are not a real model's config
MAX_ATTRS, MAX_ATTR_CHARS = 40, 200  # side-panel facts per layer
MAX_OUTPUTS = 64  # shapes are recorded for a layer's first outputs only
_DTYPES = {"float16": types_pb2.DT_HALF, "float32": types_pb2.DT_FLOAT,
           "float64": types_pb2.DT_DOUBLE, "bfloat16": types_pb2.DT_BFLOAT16,
           "int32": types_pb2.DT_INT32, "int64": types_pb2.DT_INT64,
           "bool": types_pb2.DT_BOOL, "string": types_pb2.DT_STRING}


def keras_graph_def(config: str | bytes | dict) -> graph_pb2.GraphDef:
    """The layer graph of a Keras model config (its JSON text or the parsed dict).

    GraphError names what is wrong when the config is not a Keras model's.
    """
    if not isinstance(config, dict):
        try:
            config = json.loads(config)
        except (ValueError, RecursionError) as e:
            raise GraphError(f"the Keras model config is not JSON: {e}") from None
    if not isinstance(config, dict) or not isinstance(config.get("config"), dict):
        raise GraphError("the Keras model config must be an object with a 'config' object, "
                         f"got {type(config).__name__}")
    converter = _Converter()
    converter.layer(config, "", [], 0)
    return converter.graph


def _join(scope: str, name: str) -> str:
    return f"{scope}/{name}" if scope else name


def _refs(layer: dict) -> list[tuple[str, int, int, list | None]]:
    """(layer, node index, tensor index, shape or None) of every tensor a layer's calls read."""
    found = []
    for call in layer.get("inbound_nodes") or []:
        if isinstance(call, dict):  # Keras 3
            stack = [call.get("args"), call.get("kwargs")]
            while stack:
                item = stack.pop()
                if isinstance(item, list):
                    stack.extend(reversed(item))
                elif isinstance(item, dict) and item.get("class_name") == "__keras_tensor__":
                    cfg = item.get("config") or {}
                    history = cfg.get("keras_history") or []
                    if len(history) >= 3:
                        found.append((history[0], history[1], history[2], cfg.get("shape")))
                elif isinstance(item, dict):
                    stack.extend(reversed(list(item.values())))
        elif isinstance(call, list):  # Keras 2: [[name, node, tensor, kwargs], ...]
            for ref in call:
                if isinstance(ref, list) and len(ref) >= 3:
                    found.append((ref[0], ref[1], ref[2], None))
    return [r for r in found if isinstance(r[0], str) and isinstance(r[2], int)]


def _ends(value) -> list[tuple[str, int]]:
    """(layer, tensor index) of `input_layers` / `output_layers`: one `[name, node, tensor]`
    or a list of them."""
    if not isinstance(value, list) or not value:
        return []
    items = [value] if isinstance(value[0], str) else value
    return [(v[0], v[2]) for v in items
            if isinstance(v, list) and len(v) >= 3 and isinstance(v[0], str)
            and isinstance(v[2], int)]


def _shape(dims) -> tensor_shape_pb2.TensorShapeProto | None:
    """A shape from Keras' `[null, 28, 28, 1]` (None: not a shape)."""
    if not isinstance(dims, list) or not all(d is None or isinstance(d, int) for d in dims):
        return None
    shape = tensor_shape_pb2.TensorShapeProto()
    for d in dims:
        shape.dim.add(size=-1 if d is None else d)
    return shape


def _attr_text(value) -> str | None:
    """A config value as side-panel text: numbers, strings, flags and lists of them."""
    if isinstance(value, (bool, int, float, str)):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, (bool, int, float, str)) or v is None
                                       for v in value):
        return "[" + ", ".join("?" if v is None else str(v) for v in value) + "]"
    return None


class _Converter:
    """Walks a model config once, adding a node per layer; nested models recurse (bounded)."""

    def __init__(self) -> None:
        self.graph = graph_pb2.GraphDef()
        self.nodes: dict[str, graph_pb2.NodeDef] = {}

    def layer(self, layer, scope: str, inputs: list[str], depth: int) -> list[str]:
        """Add `layer` (a model recurses) reading `inputs`; its output tensors' names."""
        if not isinstance(layer, dict) or not isinstance(layer.get("config"), dict):
            raise GraphError(f"a Keras layer config must be an object with a 'config' object, "
                             f"got {json.dumps(layer)[:100]}")
        cfg = layer["config"]
        name = cfg.get("name") or layer.get("name")
        if not isinstance(name, str) or not name:
            raise GraphError(f"a Keras layer has no name: {json.dumps(cfg)[:100]}")
        if isinstance(cfg.get("layers"), list):
            if depth >= MAX_DEPTH:
                raise GraphError(f"Keras models nested more than {MAX_DEPTH} deep")
            path = _join(scope, name)
            if any("inbound_nodes" in sub for sub in cfg["layers"] if isinstance(sub, dict)):
                return self.functional(cfg, path, inputs, depth + 1)
            for sub in cfg["layers"]:  # Sequential: each layer reads the one before
                self._input_shape(sub, inputs)
                inputs = self.layer(sub, path, inputs, depth + 1)
            return inputs
        node = self.graph.node.add(name=_join(scope, name), op=str(layer.get("class_name", "")))
        node.input.extend(dict.fromkeys(inputs))
        self.nodes[node.name] = node
        self._describe(node, cfg)
        return [node.name]

    def functional(self, cfg: dict, path: str, inputs: list[str], depth: int) -> list[str]:
        """Layers wired by their inbound nodes; the model's inputs feed its input layers."""
        outputs: dict[str, list[str]] = {}  # layer name -> its output tensors

        def tensor(name: str, index: int) -> str | None:
            outs = outputs.get(name)
            if not outs:
                return None  # a layer the config does not hold: no edge
            if index < len(outs):
                return outs[index]
            return f"{outs[0]}:{index}" if len(outs) == 1 and ":" not in outs[0] else outs[-1]

        fed = {name: inputs[i] for i, (name, _) in enumerate(_ends(cfg.get("input_layers")))
               if i < len(inputs)}
        last = inputs
        for sub in cfg["layers"]:
            if not isinstance(sub, dict):
                raise GraphError(f"a Keras layer config must be an object, got {sub!r:.100}")
            name = (sub.get("config") or {}).get("name") or sub.get("name")
            reads = [fed[name]] if name in fed else []
            for src, _, index, dims in _refs(sub):
                read = tensor(src, index)
                if read:
                    reads.append(read)
                    self._set_shape(read, _shape(dims))  # Keras 3 writes each input's shape
            self._input_shape(sub, reads)
            last = outputs[name] = self.layer(sub, path, reads, depth)
        ends = [tensor(n, i) for n, i in _ends(cfg.get("output_layers"))]
        return [t for t in ends if t] or last

    def _input_shape(self, layer, reads: list[str]) -> None:
        """A one-input layer's build config holds its input's shape (Keras 2 has no other)."""
        build = layer.get("build_config") if isinstance(layer, dict) else None
        if len(reads) == 1 and isinstance(build, dict):
            self._set_shape(reads[0], _shape(build.get("input_shape")))

    def _set_shape(self, tensor: str, shape) -> None:
        """Record the shape of a tensor (`node` or `node:i`) where none is known yet."""
        name, _, index = tensor.partition(":")
        node = self.nodes.get(name)
        if (node is None or shape is None or "_output_shapes" in node.attr
                or int(index or 0) >= MAX_OUTPUTS):
            return
        shapes = node.attr["_output_shapes"].list.shape
        for _ in range(int(index or 0) + 1):
            shapes.add().CopyFrom(shape)

    def _describe(self, node: graph_pb2.NodeDef, cfg: dict) -> None:
        """The layer's settings as attributes for the side panel; its dtype; an input's shape."""
        dtype = cfg.get("dtype")
        if isinstance(dtype, dict):  # Keras 3: a DTypePolicy
            dtype = (dtype.get("config") or {}).get("name")
        if isinstance(dtype, str) and dtype in _DTYPES:
            node.attr["dtype"].type = _DTYPES[dtype]
        for key in ("batch_shape", "batch_input_shape"):
            self._set_shape(node.name, _shape(cfg.get(key)))
        kept = 0
        for key, value in cfg.items():
            text = _attr_text(value)
            if text is None or key in ("name", "dtype") or kept >= MAX_ATTRS:
                continue
            node.attr[key].s = text[:MAX_ATTR_CHARS].encode()
            kept += 1
