"""Keras's operation classes <-> kerastorch ops: how a ``keras.ops`` call between layers of a
functional model (``ops.mean(x, axis=1)``, ``x[:, -1]``, ``x + y``) is written in a model config.

NOTE [Keras operation entries]
    Keras 3 saves an op called on symbolic tensors as an entry of the model's ``layers`` list:
    ``{"module": "keras.src.ops.numpy", "class_name": "Mean", "config": {"name": "mean",
    "axis": 1, "keepdims": false}, "registered_name": "Mean", "name": "mean", "inbound_nodes":
    [{"args": [<x>], "kwargs": {}}]}``. The op's class takes the function's non-tensor arguments
    (its config); its call takes the tensors (the node's ``args``, a few by keyword). Which
    arguments go where is Keras's choice per op: :data:`KERAS_OPS` records it for every op
    kerastorch has (op name -> class name, ``keras.src.ops`` module, call arguments, ``"name="``
    for those passed by keyword), read from Keras 3.15.1's source and checked against it by
    ``tests/test_functional_saving.py``. Every other argument of the function goes in the
    config, under the same name (Keras's classes use the function's names).

    An op kerastorch has but Keras's table does not (``ops.abs``, ``ops.swish``...) is written as
    ``{"module": "kerastorch.ops", "class_name": <op name>, ...}`` with all its arguments in the
    node: kerastorch reads it back, Keras cannot (writing a Keras file refuses it, naming it).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from kerastorch.ops import OPS
from kerastorch.saving.serialization import SavingError

__all__ = [
    "KERASTORCH_OPS_MODULE",
    "KERAS_OPS",
    "legacy_op_name",
    "op_call",
    "op_entry",
    "public_op",
]

KERASTORCH_OPS_MODULE = "kerastorch.ops"

KERAS_OPS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "rot90": ("Rot90", "numpy", ("array",)),
    "absolute": ("Absolute", "numpy", ("x",)),
    "fabs": ("Fabs", "numpy", ("x",)),
    "add": ("Add", "numpy", ("x1", "x2")),
    "all": ("All", "numpy", ("x",)),
    "allclose": ("AllClose", "numpy", ("x1", "x2")),
    "angle": ("Angle", "numpy", ("x",)),
    "any": ("Any", "numpy", ("x",)),
    "amax": ("Amax", "numpy", ("x",)),
    "amin": ("Amin", "numpy", ("x",)),
    "append": ("Append", "numpy", ("x1", "x2")),
    "arange": ("Arange", "numpy", ("start", "stop", "step=")),
    "arccos": ("Arccos", "numpy", ("x",)),
    "arccosh": ("Arccosh", "numpy", ("x",)),
    "arcsin": ("Arcsin", "numpy", ("x",)),
    "arcsinh": ("Arcsinh", "numpy", ("x",)),
    "arctan": ("Arctan", "numpy", ("x",)),
    "arctan2": ("Arctan2", "numpy", ("x1", "x2")),
    "arctanh": ("Arctanh", "numpy", ("x",)),
    "argmax": ("Argmax", "numpy", ("x",)),
    "argmin": ("Argmin", "numpy", ("x",)),
    "argsort": ("Argsort", "numpy", ("x",)),
    "array": ("Array", "numpy", ("x",)),
    "average": ("Average", "numpy", ("x", "weights=")),
    "heaviside": ("Heaviside", "numpy", ("x1", "x2")),
    "bincount": ("Bincount", "numpy", ("x",)),
    "bitwise_and": ("BitwiseAnd", "numpy", ("x", "y")),
    "bitwise_invert": ("BitwiseInvert", "numpy", ("x",)),
    "bitwise_not": ("BitwiseNot", "numpy", ("x",)),
    "bitwise_or": ("BitwiseOr", "numpy", ("x", "y")),
    "bitwise_xor": ("BitwiseXor", "numpy", ("x", "y")),
    "bitwise_left_shift": ("BitwiseLeftShift", "numpy", ("x", "y")),
    "left_shift": ("LeftShift", "numpy", ("x", "y")),
    "bitwise_right_shift": ("BitwiseRightShift", "numpy", ("x", "y")),
    "right_shift": ("RightShift", "numpy", ("x", "y")),
    "broadcast_to": ("BroadcastTo", "numpy", ("x",)),
    "cbrt": ("Cbrt", "numpy", ("x",)),
    "ceil": ("Ceil", "numpy", ("x",)),
    "clip": ("Clip", "numpy", ("x",)),
    "concatenate": ("Concatenate", "numpy", ("xs",)),
    "conjugate": ("Conjugate", "numpy", ("x",)),
    "copy": ("Copy", "numpy", ("x",)),
    "cos": ("Cos", "numpy", ("x",)),
    "cosh": ("Cosh", "numpy", ("x",)),
    "count_nonzero": ("CountNonzero", "numpy", ("x",)),
    "cross": ("Cross", "numpy", ("x1", "x2")),
    "cumprod": ("Cumprod", "numpy", ("x",)),
    "cumsum": ("Cumsum", "numpy", ("x",)),
    "deg2rad": ("Deg2rad", "numpy", ("x",)),
    "rad2deg": ("Rad2deg", "numpy", ("x",)),
    "diag": ("Diag", "numpy", ("x",)),
    "diagflat": ("Diagflat", "numpy", ("x",)),
    "diagonal": ("Diagonal", "numpy", ("x",)),
    "diff": ("Diff", "numpy", ("a",)),
    "digitize": ("Digitize", "numpy", ("x", "bins")),
    "dot": ("Dot", "numpy", ("x1", "x2")),
    "dstack": ("Dstack", "numpy", ("xs",)),
    "empty_like": ("EmptyLike", "numpy", ("x",)),
    "equal": ("Equal", "numpy", ("x1", "x2")),
    "exp": ("Exp", "numpy", ("x",)),
    "exp2": ("Exp2", "numpy", ("x",)),
    "expand_dims": ("ExpandDims", "numpy", ("x",)),
    "expm1": ("Expm1", "numpy", ("x",)),
    "flip": ("Flip", "numpy", ("x",)),
    "fliplr": ("Fliplr", "numpy", ("x",)),
    "flipud": ("Flipud", "numpy", ("x",)),
    "floor": ("Floor", "numpy", ("x",)),
    "full": ("Full", "numpy", ("fill_value",)),
    "full_like": ("FullLike", "numpy", ("x", "fill_value")),
    "gcd": ("Gcd", "numpy", ("x1", "x2")),
    "get_item": ("GetItem", "numpy", ("x", "key")),
    "greater": ("Greater", "numpy", ("x1", "x2")),
    "greater_equal": ("GreaterEqual", "numpy", ("x1", "x2")),
    "hstack": ("Hstack", "numpy", ("xs",)),
    "hsplit": ("Hsplit", "numpy", ("x",)),
    "hypot": ("Hypot", "numpy", ("x1", "x2")),
    "imag": ("Imag", "numpy", ("x",)),
    "isclose": ("Isclose", "numpy", ("x1", "x2", "rtol", "atol")),
    "isfinite": ("Isfinite", "numpy", ("x",)),
    "isin": ("IsIn", "numpy", ("x1", "x2")),
    "isinf": ("Isinf", "numpy", ("x",)),
    "isnan": ("Isnan", "numpy", ("x",)),
    "isneginf": ("Isneginf", "numpy", ("x",)),
    "isposinf": ("Isposinf", "numpy", ("x",)),
    "isreal": ("Isreal", "numpy", ("x",)),
    "kron": ("Kron", "numpy", ("x1", "x2")),
    "lcm": ("Lcm", "numpy", ("x1", "x2")),
    "less": ("Less", "numpy", ("x1", "x2")),
    "less_equal": ("LessEqual", "numpy", ("x1", "x2")),
    "linspace": ("Linspace", "numpy", ("start", "stop")),
    "log": ("Log", "numpy", ("x",)),
    "log10": ("Log10", "numpy", ("x",)),
    "log1p": ("Log1p", "numpy", ("x",)),
    "log2": ("Log2", "numpy", ("x",)),
    "logaddexp": ("Logaddexp", "numpy", ("x1", "x2")),
    "logaddexp2": ("Logaddexp2", "numpy", ("x1", "x2")),
    "logical_and": ("LogicalAnd", "numpy", ("x1", "x2")),
    "logical_not": ("LogicalNot", "numpy", ("x",)),
    "logical_or": ("LogicalOr", "numpy", ("x1", "x2")),
    "logspace": ("Logspace", "numpy", ("start", "stop")),
    "matmul": ("Matmul", "numpy", ("x1", "x2")),
    "max": ("Max", "numpy", ("x",)),
    "maximum": ("Maximum", "numpy", ("x1", "x2")),
    "fmax": ("Fmax", "numpy", ("x1", "x2")),
    "median": ("Median", "numpy", ("x",)),
    "min": ("Min", "numpy", ("x",)),
    "minimum": ("Minimum", "numpy", ("x1", "x2")),
    "fmin": ("Fmin", "numpy", ("x1", "x2")),
    "mod": ("Mod", "numpy", ("x1", "x2")),
    "fmod": ("Fmod", "numpy", ("x1", "x2")),
    "moveaxis": ("Moveaxis", "numpy", ("x",)),
    "nanmax": ("Nanmax", "numpy", ("x",)),
    "nanmean": ("Nanmean", "numpy", ("x",)),
    "nanmin": ("Nanmin", "numpy", ("x",)),
    "nanstd": ("Nanstd", "numpy", ("x",)),
    "nansum": ("Nansum", "numpy", ("x",)),
    "nanvar": ("Nanvar", "numpy", ("x",)),
    "nan_to_num": ("NanToNum", "numpy", ("x",)),
    "ndim": ("Ndim", "numpy", ("x",)),
    "nonzero": ("Nonzero", "numpy", ("x",)),
    "not_equal": ("NotEqual", "numpy", ("x1", "x2")),
    "ones_like": ("OnesLike", "numpy", ("x",)),
    "zeros_like": ("ZerosLike", "numpy", ("x",)),
    "outer": ("Outer", "numpy", ("x1", "x2")),
    "pad": ("Pad", "numpy", ("x", "constant_values=")),
    "percentile": ("Percentile", "numpy", ("x", "q")),
    "prod": ("Prod", "numpy", ("x",)),
    "ptp": ("Ptp", "numpy", ("x",)),
    "quantile": ("Quantile", "numpy", ("x", "q")),
    "ravel": ("Ravel", "numpy", ("x",)),
    "unravel_index": ("UnravelIndex", "numpy", ("indices",)),
    "real": ("Real", "numpy", ("x",)),
    "reciprocal": ("Reciprocal", "numpy", ("x",)),
    "repeat": ("Repeat", "numpy", ("x",)),
    "reshape": ("Reshape", "numpy", ("x",)),
    "roll": ("Roll", "numpy", ("x",)),
    "round": ("Round", "numpy", ("x",)),
    "searchsorted": ("SearchSorted", "numpy", ("sorted_sequence", "values")),
    "sign": ("Sign", "numpy", ("x",)),
    "signbit": ("Signbit", "numpy", ("x",)),
    "sin": ("Sin", "numpy", ("x",)),
    "sinc": ("Sinc", "numpy", ("x",)),
    "sinh": ("Sinh", "numpy", ("x",)),
    "size": ("Size", "numpy", ("x",)),
    "sort": ("Sort", "numpy", ("x",)),
    "split": ("Split", "numpy", ("x",)),
    "stack": ("Stack", "numpy", ("x",)),
    "std": ("Std", "numpy", ("x",)),
    "swapaxes": ("Swapaxes", "numpy", ("x",)),
    "take": ("Take", "numpy", ("x", "indices")),
    "take_along_axis": ("TakeAlongAxis", "numpy", ("x", "indices")),
    "tan": ("Tan", "numpy", ("x",)),
    "tanh": ("Tanh", "numpy", ("x",)),
    "tensordot": ("Tensordot", "numpy", ("x1", "x2")),
    "tile": ("Tile", "numpy", ("x",)),
    "trace": ("Trace", "numpy", ("x",)),
    "tril": ("Tril", "numpy", ("x",)),
    "triu": ("Triu", "numpy", ("x",)),
    "trunc": ("Trunc", "numpy", ("x",)),
    "vdot": ("Vdot", "numpy", ("x1", "x2")),
    "inner": ("Inner", "numpy", ("x1", "x2")),
    "vstack": ("Vstack", "numpy", ("xs",)),
    "vsplit": ("Vsplit", "numpy", ("x",)),
    "where": ("Where", "numpy", ("condition", "x1", "x2")),
    "subtract": ("Subtract", "numpy", ("x1", "x2")),
    "multiply": ("Multiply", "numpy", ("x1", "x2")),
    "divide": ("Divide", "numpy", ("x1", "x2")),
    "divide_no_nan": ("DivideNoNan", "numpy", ("x1", "x2")),
    "true_divide": ("TrueDivide", "numpy", ("x1", "x2")),
    "power": ("Power", "numpy", ("x1", "x2")),
    "negative": ("Negative", "numpy", ("x",)),
    "square": ("Square", "numpy", ("x",)),
    "sqrt": ("Sqrt", "numpy", ("x",)),
    "squeeze": ("Squeeze", "numpy", ("x",)),
    "transpose": ("Transpose", "numpy", ("x",)),
    "trapezoid": ("Trapezoid", "numpy", ("y",)),
    "mean": ("Mean", "numpy", ("x",)),
    "vander": ("Vander", "numpy", ("x",)),
    "var": ("Var", "numpy", ("x",)),
    "sum": ("Sum", "numpy", ("x",)),
    "floor_divide": ("FloorDivide", "numpy", ("x1", "x2")),
    "logical_xor": ("LogicalXor", "numpy", ("x1", "x2")),
    "corrcoef": ("Corrcoef", "numpy", ("x",)),
    "select": ("Select", "numpy", ("condlist", "choicelist", "default")),
    "slogdet": ("Slogdet", "numpy", ("x",)),
    "array_split": ("ArraySplit", "numpy", ("x",)),
    "dsplit": ("Dsplit", "numpy", ("x",)),
    "relu": ("Relu", "nn", ("x",)),
    "relu6": ("Relu6", "nn", ("x",)),
    "sigmoid": ("Sigmoid", "nn", ("x",)),
    "sparse_sigmoid": ("SparseSigmoid", "nn", ("x",)),
    "softplus": ("Softplus", "nn", ("x",)),
    "softsign": ("Softsign", "nn", ("x",)),
    "soft_shrink": ("SoftShrink", "nn", ("x",)),
    "sparse_plus": ("SparsePlus", "nn", ("x",)),
    "silu": ("Silu", "nn", ("x",)),
    "squareplus": ("Squareplus", "nn", ("x",)),
    "log_sigmoid": ("LogSigmoid", "nn", ("x",)),
    "leaky_relu": ("LeakyRelu", "nn", ("x",)),
    "hard_sigmoid": ("HardSigmoid", "nn", ("x",)),
    "hard_silu": ("HardSilu", "nn", ("x",)),
    "elu": ("Elu", "nn", ("x",)),
    "selu": ("Selu", "nn", ("x",)),
    "gelu": ("Gelu", "nn", ("x",)),
    "celu": ("Celu", "nn", ("x",)),
    "glu": ("Glu", "nn", ("x",)),
    "tanh_shrink": ("TanhShrink", "nn", ("x",)),
    "hard_tanh": ("HardTanh", "nn", ("x",)),
    "hard_shrink": ("HardShrink", "nn", ("x",)),
    "threshold": ("Threshold", "nn", ("x",)),
    "softmax": ("Softmax", "nn", ("x",)),
    "log_softmax": ("LogSoftmax", "nn", ("x",)),
    "sparsemax": ("Sparsemax", "nn", ("x",)),
    "max_pool": ("MaxPool", "nn", ("inputs",)),
    "average_pool": ("AveragePool", "nn", ("inputs",)),
    "conv": ("Conv", "nn", ("inputs", "kernel")),
    "depthwise_conv": ("DepthwiseConv", "nn", ("inputs", "kernel")),
    "separable_conv": ("SeparableConv", "nn", ("inputs", "depthwise_kernel", "pointwise_kernel")),
    "one_hot": ("OneHot", "nn", ("x",)),
    "binary_crossentropy": ("BinaryCrossentropy", "nn", ("target", "output")),
    "categorical_crossentropy": ("CategoricalCrossentropy", "nn", ("target", "output")),
    "sparse_categorical_crossentropy": (
        "SparseCategoricalCrossentropy",
        "nn",
        ("target", "output"),
    ),
    "multi_hot": ("MultiHot", "nn", ("inputs",)),
    "moments": ("Moments", "nn", ("x",)),
    "batch_normalization": ("BatchNorm", "nn", ("x", "mean", "variance", "offset", "scale")),
    "normalize": ("Normalize", "nn", ("x",)),
    "psnr": ("PSNR", "nn", ("x1", "x2")),
    "dot_product_attention": (
        "DotProductAttention",
        "nn",
        ("query", "key", "value", "bias=", "mask=", "scale="),
    ),
    "rms_normalization": ("RMSNorm", "nn", ("x", "scale=")),
    "segment_sum": ("SegmentSum", "math", ("data", "segment_ids")),
    "segment_max": ("SegmentMax", "math", ("data", "segment_ids")),
    "segment_min": ("SegmentMin", "math", ("data", "segment_ids")),
    "segment_prod": ("SegmentProd", "math", ("data", "segment_ids")),
    "top_k": ("TopK", "math", ("x",)),
    "in_top_k": ("InTopK", "math", ("targets", "predictions")),
    "logsumexp": ("Logsumexp", "math", ("x",)),
    "cdist": ("CDist", "math", ("x", "y")),
    "extract_sequences": ("ExtractSequences", "math", ("x",)),
    "rsqrt": ("Rsqrt", "math", ("x",)),
    "erf": ("Erf", "math", ("x",)),
    "erfc": ("Erfc", "math", ("x",)),
    "erfinv": ("Erfinv", "math", ("x",)),
    "logdet": ("Logdet", "math", ("x",)),
    "map": ("Map", "core", ("f", "xs")),
    "scan": ("Scan", "core", ("f", "init", "xs")),
    "associative_scan": ("AssociativeScan", "core", ("f", "elems")),
    "scatter": ("Scatter", "core", ("indices", "values")),
    "scatter_update": ("ScatterUpdate", "core", ("inputs", "indices", "updates")),
    "slice": ("Slice", "core", ("inputs", "start_indices")),
    "slice_update": ("SliceUpdate", "core", ("inputs", "start_indices", "updates")),
    "while_loop": ("WhileLoop", "core", ("loop_vars",)),
    "stop_gradient": ("StopGradient", "core", ("variable",)),
    "fori_loop": ("ForiLoop", "core", ("init_val",)),
    "unstack": ("Unstack", "core", ("x",)),
    "cast": ("Cast", "core", ("x",)),
    "saturate_cast": ("SaturateCast", "core", ("x",)),
    "convert_to_tensor": ("ConvertToTensor", "core", ("x",)),
    "cond": ("Cond", "core", ("pred", "true_fn", "false_fn")),
    "vectorized_map": ("VectorizedMap", "core", ("elements",)),
    "cholesky": ("Cholesky", "linalg", ("x",)),
    "cholesky_inverse": ("CholeskyInverse", "linalg", ("x",)),
    "det": ("Det", "linalg", ("x",)),
    "eig": ("Eig", "linalg", ("x",)),
    "eigh": ("Eigh", "linalg", ("x",)),
    "inv": ("Inv", "linalg", ("x",)),
    "lu_factor": ("LuFactor", "linalg", ("x",)),
    "norm": ("Norm", "linalg", ("x",)),
    "qr": ("Qr", "linalg", ("x",)),
    "solve": ("Solve", "linalg", ("a", "b")),
    "solve_triangular": ("SolveTriangular", "linalg", ("a", "b")),
    "svd": ("SVD", "linalg", ("x",)),
    "lstsq": ("Lstsq", "linalg", ("a", "b")),
    "matrix_rank": ("MatrixRank", "linalg", ("x",)),
    "pinv": ("Pinv", "linalg", ("x",)),
    "jvp": ("JVP", "linalg", ("fun", "primals", "tangents")),
}
"""op name -> (Keras class, ``keras.src.ops.<module>``, call arguments); see NOTE [Keras
operation entries]."""

_BY_CLASS = {(cls, module): name for name, (cls, module, _) in KERAS_OPS.items()}


def public_op(name: str, where: str) -> Callable[..., Any]:
    """The public kerastorch op of that Keras name, or a :class:`SavingError` naming it."""
    op = OPS.get(name)
    if op is None:
        raise SavingError(
            f"{where}: the operation '{name}' is not a kerastorch.ops function, so a model file "
            "cannot name it. Use a kerastorch.ops function (or a Lambda layer) in the model."
        )
    return op


def _keras_name(name: str, op: Callable[..., Any]) -> str:
    """The name Keras's table knows the op by (``abs`` is ``absolute`` there)."""
    if name in KERAS_OPS:
        return name
    return next((other for other in KERAS_OPS if OPS.get(other) is op), name)


def op_entry(name: str, args: tuple, kwargs: Mapping[str, Any], where: str) -> dict[str, Any]:
    """``{"module", "class_name", "config", "args", "kwargs"}`` for one call of op ``name``
    (values not yet encoded): Keras's split when Keras has the op, else all in the node."""
    op = public_op(name, where)
    name = _keras_name(name, op)
    if name not in KERAS_OPS:
        return {
            "module": KERASTORCH_OPS_MODULE,
            "class_name": name,
            "config": {},
            "args": list(args),
            "kwargs": dict(kwargs),
        }
    class_name, module, call = KERAS_OPS[name]
    signature = inspect.signature(op)
    bound = signature.bind(*args, **kwargs)
    bound.apply_defaults()
    values = bound.arguments
    positional = [p for p in call if not p.endswith("=")]
    by_keyword = [p[:-1] for p in call if p.endswith("=")]
    config = {p: v for p, v in values.items() if p not in positional and p not in by_keyword}
    return {
        "module": f"keras.src.ops.{module}",
        "class_name": class_name,
        "config": config,
        "args": [values[p] for p in positional],
        "kwargs": {p: values[p] for p in by_keyword},
    }


def legacy_op_name(entry: Mapping[str, Any]) -> str | None:
    """The op a legacy ``.h5`` entry names, or None if it is not an op: Keras writes ops there
    without their module, so ``Add`` may be the layer or the op; an op's config holds no
    ``dtype`` or ``trainable`` (a layer's always does)."""
    config = entry.get("config")
    if "module" in entry or not isinstance(config, dict) or {"dtype", "trainable"} & set(config):
        return None
    class_name = entry.get("class_name")
    return next((name for (cls, _), name in _BY_CLASS.items() if cls == class_name), None)


def op_call(entry: Mapping[str, Any], where: str) -> tuple[Callable[..., Any], dict[str, Any]]:
    """The kerastorch op an operation entry names and the keyword arguments its config adds to
    the node's call (the config without ``name``)."""
    module = str(entry.get("module") or "")
    class_name = str(entry.get("class_name"))
    config = {k: v for k, v in (entry.get("config") or {}).items() if k != "name"}
    if module == KERASTORCH_OPS_MODULE:
        return public_op(class_name, where), config
    family = module.rsplit(".", 1)[-1]
    name = _BY_CLASS.get((class_name, family)) if module else legacy_op_name(entry)
    if name is None:
        raise SavingError(
            f"{where}: the Keras operation {class_name} ({module}) has no kerastorch "
            "equivalent yet; the model cannot be loaded. Replace it with an op from "
            "kerastorch.ops in the Keras model, or open an issue asking for it."
        )
    return OPS[name], config
