"""`tf.nn.embedding_lookup`: rows of a parameter matrix, with the gradient summed into them."""
from __future__ import annotations

from flowlog.engine.framework import convert_to_tensor, name_scope
from flowlog.engine.index_ops import gather
from flowlog.engine.norm_ops import clip_by_norm


def embedding_lookup(params, ids, partition_strategy: str = "mod", name: str | None = None,
                     validate_indices: bool = True, max_norm=None):
    """Rows of `params` (a tensor, variable, or list of one) at `ids`; its gradient is summed
    into the looked-up rows of `params`."""
    if isinstance(params, (list, tuple)):
        if len(params) != 1:
            raise NotImplementedError("embedding_lookup over several partitions of params is "
                                      "not supported; concatenate them first")
        params = params[0]
    if params is None:
        raise ValueError("Need at least one param")
    with name_scope(name, "embedding_lookup", [params, ids]) as scope:
        out = gather(params, ids, name=None if max_norm is not None else scope)
        if max_norm is not None:
            rank = out.shape.ndims
            out = clip_by_norm(out, max_norm, axes=list(range(convert_to_tensor(ids).shape.ndims or 0, rank)))
        return out


__all__ = ["embedding_lookup"]
