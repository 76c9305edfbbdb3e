"""Colours of the graph view: op types (and Keras layer classes) in legend categories, and
the compute-time scale."""
from __future__ import annotations

# Op type -> category; categories carry the colours of the legend.
_CATEGORY_OPS = {
    "input": "Placeholder PlaceholderWithDefault PlaceholderV2 IteratorGetNext",
    "variable": "VariableV2 Variable VarHandleOp ReadVariableOp Assign AssignAdd AssignSub "
                "AssignVariableOp AssignAddVariableOp VarIsInitializedOp IsVariableInitialized",
    "constant": "Const HostConst",
    "matmul": "MatMul BatchMatMul BatchMatMulV2 Conv2D Conv3D DepthwiseConv2dNative "
              "Conv2DBackpropInput Conv2DBackpropFilter Einsum",
    "nn": "Relu Relu6 Elu Selu Sigmoid Tanh Softmax LogSoftmax BiasAdd BiasAddGrad ReluGrad "
          "SigmoidGrad TanhGrad SoftmaxCrossEntropyWithLogits LeakyRelu MaxPool AvgPool "
          "SparseSoftmaxCrossEntropyWithLogits Dropout FusedBatchNorm FusedBatchNormV3",
    "array": "Reshape Shape Fill Tile Transpose ConcatV2 Concat Pack Unpack Slice StridedSlice "
             "Gather GatherV2 ExpandDims Squeeze Cast Identity IdentityN BroadcastGradientArgs "
             "ZerosLike OnesLike Size Rank Range OneHot Split SplitV Pad StopGradient "
             "BroadcastTo",
    "random": "RandomStandardNormal RandomUniform TruncatedNormal RandomUniformInt Multinomial",
    "summary": "ScalarSummary HistogramSummary ImageSummary AudioSummary MergeSummary "
               "TensorSummary TensorSummaryV2 WriteSummary WriteScalarSummary",
    "control": "NoOp Switch Merge Enter Exit NextIteration LoopCond Print PrintV2 Assert",
}
# Keras layer classes (the ops of a Keras model's layer graph) in the same categories.
_KERAS_LAYERS = {
    "input": "InputLayer",
    "matmul": "Dense EinsumDense Conv1D Conv2D Conv3D Conv1DTranspose Conv2DTranspose "
              "Conv3DTranspose SeparableConv1D SeparableConv2D DepthwiseConv2D Embedding",
    "nn": "Activation ReLU LeakyReLU PReLU ELU Softmax Dropout SpatialDropout1D "
          "SpatialDropout2D GaussianNoise BatchNormalization LayerNormalization "
          "GroupNormalization MaxPooling1D MaxPooling2D MaxPooling3D AveragePooling1D "
          "AveragePooling2D AveragePooling3D GlobalAveragePooling1D GlobalAveragePooling2D "
          "GlobalMaxPooling1D GlobalMaxPooling2D LSTM GRU SimpleRNN Bidirectional "
          "MultiHeadAttention Attention",
    "array": "Flatten Reshape Permute RepeatVector Concatenate Cropping2D ZeroPadding2D "
             "UpSampling2D Lambda",
}
CATEGORY_OF = {op: cat for table in (_CATEGORY_OPS, _KERAS_LAYERS)
               for cat, ops in table.items() for op in ops.split()}

# Light pastel fills that keep dark text readable; the page restyles them for dark mode.
COLORS = {
    "input": "#fde68a", "variable": "#bbf7d0", "constant": "#e2e8f0", "matmul": "#bfdbfe",
    "math": "#ddd6fe", "nn": "#fbcfe8", "array": "#a5f3fc", "random": "#fed7aa",
    "training": "#fecaca", "summary": "#fef3c7", "control": "#f1f5f9", "scope": "#e2e8f0",
}
SCOPE_BORDER, EDGE = "#64748b", "#64748b"


def category(op: str) -> str:
    """The legend category of an op type (unknown ops count as math)."""
    cat = CATEGORY_OF.get(op)
    if cat:
        return cat
    if op.startswith(("Apply", "ResourceApply", "SparseApply", "ResourceSparseApply")):
        return "training"
    if op.endswith("Summary"):
        return "summary"
    return "math"


def heat(fraction: float) -> str:
    """A colour from pale yellow (0) to deep red (1) for compute time."""
    stops = [(255, 247, 236), (253, 187, 132), (239, 101, 72), (179, 0, 0)]
    x = min(max(fraction, 0.0), 1.0) * (len(stops) - 1)
    i = min(int(x), len(stops) - 2)
    t = x - i
    rgb = [round(a + (b - a) * t) for a, b in zip(stops[i], stops[i + 1])]
    return "#" + "".join(f"{c:02x}" for c in rgb)
