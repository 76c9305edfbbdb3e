"""The `fl.nn` namespace: activations, softmax, losses and dropout, as `tf.nn` names them."""
from __future__ import annotations

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

__all__ = ["bias_add", "dropout", "elu", "l2_loss", "log_softmax", "relu", "sigmoid",
           "sigmoid_cross_entropy_with_logits", "softmax", "softmax_cross_entropy_with_logits",
           "softmax_cross_entropy_with_logits_v2", "softplus",
           "sparse_softmax_cross_entropy_with_logits", "tanh"]
