"""The `fl.nn` namespace: activations, softmax, losses and dropout, as `tf.nn` names them."""
from __future__ import annotations

from flowlog.engine.activation_ops import leaky_relu, relu6, xw_plus_b
from flowlog.engine.conv_ops import (
                                     conv2d,
                                     conv2d_backprop_filter,
                                     conv2d_backprop_input,
                                     conv2d_transpose,
)
from flowlog.engine.embedding_ops import embedding_lookup
from flowlog.engine.nn_ops import (
                                   bias_add,
                                   dropout,
                                   elu,
                                   l2_loss,
                                   log_softmax,
                                   relu,
                                   sigmoid,
                                   sigmoid_cross_entropy_with_logits,
                                   softmax,
                                   softmax_cross_entropy_with_logits,
                                   softmax_cross_entropy_with_logits_v2,
                                   softplus,
                                   sparse_softmax_cross_entropy_with_logits,
                                   tanh,
)
from flowlog.engine.norm_ops import l2_normalize, moments
from flowlog.engine.normalization_ops import batch_normalization, local_response_normalization, lrn
from flowlog.engine.pool_ops import avg_pool, max_pool
from flowlog.engine.topk_ops import in_top_k, top_k

__all__ = ["bias_add", "dropout", "elu", "l2_loss", "log_softmax", "relu", "sigmoid",
           "sigmoid_cross_entropy_with_logits", "softmax", "softmax_cross_entropy_with_logits",
           "softmax_cross_entropy_with_logits_v2", "softplus",
           "sparse_softmax_cross_entropy_with_logits", "tanh"]
__all__ += ["avg_pool", "conv2d", "conv2d_backprop_filter", "conv2d_backprop_input",
            "conv2d_transpose", "embedding_lookup", "in_top_k", "l2_normalize", "max_pool",
            "moments", "top_k"]
__all__ += ["batch_normalization", "leaky_relu", "local_response_normalization", "lrn", "relu6",
            "xw_plus_b"]
