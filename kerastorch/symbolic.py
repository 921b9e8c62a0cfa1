"""Symbolic tensors and the graph they record: the ground the functional API stands on.

NOTE [functional graph]
    ``Input(shape)`` returns a :class:`KerasTensor`: a shape (``None`` for sizes that vary), a
    dtype and a name, no data. Calling an operation on KerasTensors (a layer, a model, a
    ``kerastorch.ops`` function, an operator such as ``x[:, -1]`` or ``x + y``) runs no data: it
    builds the layer from the input shapes, works out the output shapes, and records a
    :class:`Node` (the operation, the call's arguments, the outputs). Each output KerasTensor
    knows the node that made it (``_keras_history``), so a model can walk back from its outputs
    to its inputs (:func:`map_graph`) and order the nodes once; its ``forward`` then runs that
    order on real tensors. The same layer called twice has two nodes and one set of weights.

    This module is at the bottom of the package (it imports only torch and ``dtypes``): layers,
    ops and models all build on it.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

import torch

from kerastorch.dtypes import resolve_dtype

Shape = tuple[int | None, ...]

__all__ = [
    "KerasHistory",
    "KerasTensor",
    "Node",
    "SymbolicOp",
    "any_symbolic",
    "flatten",
    "is_keras_tensor",
    "map_graph",
    "map_structure",
    "pack_as",
]


# -- nested structures (lists, tuples and dicts of tensors) ----------------------------------------


def flatten(structure: Any) -> list[Any]:
    """The leaves of a nest of lists, tuples and dicts, dicts in sorted key order (as Keras).

    Example:
        >>> flatten({"b": [1, 2], "a": 3})
        [3, 1, 2]
    """
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    if isinstance(structure, dict):
        return [leaf for key in sorted(structure) for leaf in flatten(structure[key])]
    return [structure]


def pack_as(structure: Any, leaves: Sequence[Any]) -> Any:
    """The inverse of :func:`flatten`: ``leaves`` put back into ``structure``'s shape.

    Example:
        >>> pack_as({"b": [0, 0], "a": 0}, [3, 1, 2])
        {'b': [1, 2], 'a': 3}
    """
    remaining = iter(leaves)

    def pack(item: Any) -> Any:
        if isinstance(item, (list, tuple)):
            packed = [pack(x) for x in item]
            return packed if isinstance(item, list) else type(item)(packed)
        if isinstance(item, dict):
            values = {key: pack(item[key]) for key in sorted(item)}
            return {key: values[key] for key in item}
        return next(remaining)

    return pack(structure)


def map_structure(fn: Callable[[Any], Any], structure: Any) -> Any:
    """``fn`` applied to every leaf, keeping the nest.

    Example:
        >>> map_structure(lambda x: x * 2, [1, (2, 3)])
        [2, (4, 6)]
    """
    return pack_as(structure, [fn(leaf) for leaf in flatten(structure)])


def is_keras_tensor(x: Any) -> bool:
    """Whether ``x`` is a symbolic tensor (made by ``Input`` or by calling a layer on one)."""
    return isinstance(x, KerasTensor)


def any_symbolic(args: Sequence[Any], kwargs: dict[str, Any] | None = None) -> bool:
    """Whether any argument, at any depth, is a :class:`KerasTensor`."""
    for value in itertools.chain(args, (kwargs or {}).values()):
        if isinstance(value, KerasTensor):
            return True
        if isinstance(value, (list, tuple, dict)) and any(map(is_keras_tensor, flatten(value))):
            return True
    return False


# -- symbolic tensors ------------------------------------------------------------------------------

_TENSOR_NAMES = itertools.count()


def _tensor_name() -> str:
    """``keras_tensor``, ``keras_tensor_1``, ... as Keras names unnamed symbolic tensors."""
    count = next(_TENSOR_NAMES)
    return f"keras_tensor_{count}" if count else "keras_tensor"


class KerasHistory(NamedTuple):
    """Which call made a KerasTensor: ``operation._inbound_nodes[node_index]``, output
    ``tensor_index`` of it."""

    operation: Any
    node_index: int
    tensor_index: int


class KerasTensor:
    """A symbolic tensor: a shape and a dtype, no values (see NOTE [functional graph]).

    ``Input(shape)`` makes one; calling a layer on one returns others. Arithmetic, comparisons
    and indexing (``x[:, -1, :]``, ``x + y``, ``2 * x``) record graph nodes too.

    Example:
        >>> from kerastorch import Input
        >>> x = Input(shape=(None, 4), name="prices")
        >>> x.shape, x.dtype, x.name
        ((None, None, 4), 'float32', 'prices')
        >>> (x[:, -1, :] * 2).shape
        (None, 4)
    """

    __array_priority__ = 1000  # numpy defers `array + x` to KerasTensor.__radd__

    def __init__(
        self, shape: Sequence[int | None], dtype: Any = "float32", name: str | None = None
    ):
        self._shape: Shape = tuple(None if d is None else int(d) for d in shape)
        self._dtype = dtype_name(dtype)
        self.name = name if name is not None else _tensor_name()
        self._keras_history: KerasHistory | None = None

    @property
    def shape(self) -> Shape:
        return self._shape

    @property
    def dtype(self) -> str:
        return self._dtype

    @property
    def ndim(self) -> int:
        return len(self._shape)

    @property
    def torch_dtype(self) -> torch.dtype:
        if self._dtype == "string":
            raise TypeError(
                f"{self!r} holds text, which has no torch dtype: only text layers "
                "(TextVectorization, StringLookup, Hashing) take it."
            )
        return resolve_dtype(self._dtype, "KerasTensor")

    def __repr__(self) -> str:
        return f"<KerasTensor shape={self._shape}, dtype={self._dtype}, name={self.name}>"

    # A symbolic tensor has no values: say so instead of failing somewhere inside numpy or torch.
    def _no_value(self, what: str) -> TypeError:
        return TypeError(
            f"{self!r} is symbolic: it stands for the data a model will receive and has no "
            f"values, so it cannot {what}. Use it to call layers (layer(x)) and to build a "
            "model (Model(inputs, outputs)); to compute on values, call the model on data."
        )

    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        raise self._no_value("become a numpy array")

    def __bool__(self) -> bool:
        raise self._no_value("be used as a Python bool (in an `if`)")

    def __iter__(self) -> Iterator[Any]:
        raise self._no_value("be iterated over; index it instead (x[:, 0])")

    def __len__(self) -> int:
        raise self._no_value("give a length; read x.shape instead")

    def __float__(self) -> float:
        raise self._no_value("become a Python number")

    __int__ = __index__ = __float__  # type: ignore[assignment]

    def __hash__(self) -> int:
        return id(self)

    def __getitem__(self, key: Any) -> KerasTensor:
        return SymbolicOp(operator.getitem, "get_item")(self, key)


def _operator(fn: Callable[..., Any], name: str, reflected: bool = False) -> Callable[..., Any]:
    if reflected:

        def method(self: KerasTensor, other: Any) -> KerasTensor:
            return SymbolicOp(fn, name)(other, self)

    else:

        def method(self: KerasTensor, other: Any) -> KerasTensor:
            return SymbolicOp(fn, name)(self, other)

    return method


for _name, _fn in [
    ("add", operator.add),
    ("subtract", operator.sub),
    ("multiply", operator.mul),
    ("divide", operator.truediv),
    ("floor_divide", operator.floordiv),
    ("mod", operator.mod),
    ("power", operator.pow),
    ("matmul", operator.matmul),
    ("logical_and", operator.and_),
    ("logical_or", operator.or_),
    ("logical_xor", operator.xor),
]:
    _dunder = {"divide": "truediv", "floor_divide": "floordiv", "power": "pow", "subtract": "sub"}
    _base = {"multiply": "mul", "logical_and": "and", "logical_or": "or", "logical_xor": "xor"}
    _method = _dunder.get(_name) or _base.get(_name) or _name
    setattr(KerasTensor, f"__{_method}__", _operator(_fn, _name))
    setattr(KerasTensor, f"__r{_method}__", _operator(_fn, _name, reflected=True))
for _name, _fn in [
    ("less", operator.lt),
    ("less_equal", operator.le),
    ("greater", operator.gt),
    ("greater_equal", operator.ge),
    ("equal", operator.eq),
    ("not_equal", operator.ne),
]:
    _method = {"less": "lt", "less_equal": "le", "greater": "gt", "greater_equal": "ge"}
    _dunder_name = _method.get(_name) or {"equal": "eq", "not_equal": "ne"}[_name]
    setattr(KerasTensor, f"__{_dunder_name}__", _operator(_fn, _name))
for _name, _fn, _dunder_name in [
    ("negative", operator.neg, "neg"),
    ("positive", operator.pos, "pos"),
    ("absolute", operator.abs, "abs"),
    ("logical_not", operator.invert, "invert"),
]:
    setattr(
        KerasTensor,
        f"__{_dunder_name}__",
        (lambda fn, name: lambda self: SymbolicOp(fn, name)(self))(_fn, _name),
    )


def dtype_name(dtype: Any, where: str = "KerasTensor") -> str:
    """Keras's name of a dtype given as a name, a torch dtype or None (float32); ``"string"``
    for text (no torch dtype: such tensors are numpy arrays of str, read by text layers).

    Example:
        >>> dtype_name(None), dtype_name(torch.int64), dtype_name(str)
        ('float32', 'int64', 'string')
    """
    if dtype in ("string", "str", str):
        return "string"
    return str(resolve_dtype(dtype, where)).removeprefix("torch.")


# -- nodes -----------------------------------------------------------------------------------------


class Node:
    """One call of an operation on symbolic tensors: what was called, with what, giving what.

    ``operation._inbound_nodes`` lists the nodes of its calls; each output KerasTensor's
    ``_keras_history`` points back to its node. An ``Input`` is a node without inputs.
    """

    def __init__(
        self,
        operation: Any,
        args: Sequence[Any] = (),
        kwargs: dict[str, Any] | None = None,
        outputs: Any = None,
    ) -> None:
        self.operation = operation
        self.args = tuple(args)
        self.kwargs = dict(kwargs or {})
        self.outputs_structure = outputs
        self.outputs: list[KerasTensor] = [
            x for x in flatten(outputs) if isinstance(x, KerasTensor)
        ]
        self.input_tensors: list[KerasTensor] = [
            x for x in flatten([list(self.args), self.kwargs]) if isinstance(x, KerasTensor)
        ]
        inbound = _node_list(operation, "_inbound_nodes")
        inbound.append(self)
        for tensor in self.input_tensors:
            if tensor._keras_history is not None:
                _node_list(tensor._keras_history.operation, "_outbound_nodes").append(self)
        index = len(inbound) - 1
        for i, tensor in enumerate(self.outputs):
            tensor._keras_history = KerasHistory(operation, index, i)

    @property
    def is_input(self) -> bool:
        return not self.input_tensors

    @property
    def parent_nodes(self) -> list[Node]:
        """The nodes whose outputs this node reads."""
        return [
            t._keras_history.operation._inbound_nodes[t._keras_history.node_index]
            for t in self.input_tensors
            if t._keras_history is not None
        ]

    def __repr__(self) -> str:
        return f"<Node of {getattr(self.operation, 'name', self.operation)!r}>"


def _node_list(operation: Any, attribute: str) -> list[Node]:
    nodes = operation.__dict__.get(attribute)
    if nodes is None:
        nodes = []
        object.__setattr__(operation, attribute, nodes)  # also on an nn.Module, a plain list
    return nodes


# -- operations that are not layers: ops and operators ---------------------------------------------


class SymbolicOp:
    """A function of tensors recorded in a functional graph (``ops.mean(x, axis=1)``, ``x + y``).

    Called on real tensors it simply runs ``fn``; called with KerasTensors among its arguments it
    records a :class:`Node` and returns KerasTensors, their shapes learned by running ``fn`` on
    ``meta`` tensors (shapes only, no data) of two sizes for every unknown size.

    Example:
        >>> from kerastorch import Input
        >>> x = Input((None, 3))
        >>> SymbolicOp(torch.flip, "flip")(x, dims=[1]).shape
        (None, None, 3)
    """

    def __init__(self, fn: Callable[..., Any], name: str) -> None:
        self.fn = fn
        self.name = name
        self._inbound_nodes: list[Node] = []
        self._outbound_nodes: list[Node] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not any_symbolic(args, kwargs):
            return self.fn(*args, **kwargs)
        outputs = output_spec_by_tracing(self.fn, args, kwargs, self.name)
        Node(self, args, kwargs, outputs)
        return outputs

    def __repr__(self) -> str:
        return f"<SymbolicOp {self.name}>"


# Sizes given to unknown dimensions when tracing: an output size that differs between the two
# runs follows an unknown input size, so it is None.
_TRACE_SIZES = (2, 3)


def output_spec_by_tracing(
    fn: Callable[..., Any], args: Sequence[Any], kwargs: dict[str, Any], name: str
) -> Any:
    """The KerasTensors ``fn`` would return for these symbolic arguments.

    ``fn`` runs on ``meta`` tensors (no data, no computation) standing for the KerasTensors,
    once with every unknown size 2 and once with 3; an op that cannot run on ``meta`` tensors
    runs on zeros on the CPU instead.
    """
    leaves = flatten([list(args), kwargs])
    unknown = any(d is None for leaf in leaves if isinstance(leaf, KerasTensor) for d in leaf.shape)
    sizes = _TRACE_SIZES if unknown else _TRACE_SIZES[:1]
    results = []
    for size in sizes:
        for device in ("meta", "cpu"):
            concrete = [
                torch.zeros(
                    tuple(size if d is None else d for d in leaf.shape),
                    dtype=leaf.torch_dtype,
                    device=device,
                )
                if isinstance(leaf, KerasTensor)
                else leaf
                for leaf in leaves
            ]
            call_args, call_kwargs = pack_as([list(args), kwargs], concrete)
            try:
                with torch.no_grad():
                    results.append(fn(*call_args, **call_kwargs))
                break
            except Exception as error:
                if device == "cpu":
                    shapes = [
                        leaf.shape if isinstance(leaf, KerasTensor) else leaf for leaf in leaves
                    ]
                    raise ValueError(
                        f"{name}: could not work out its output shape for symbolic inputs "
                        f"{shapes}: {type(error).__name__}: {error}"
                    ) from error
    flat_results = [flatten(result) for result in results]

    def spec(*values: Any) -> Any:
        first = values[0]
        if not torch.is_tensor(first):
            return first
        shapes = [tuple(v.shape) for v in values]
        if len({len(s) for s in shapes}) != 1:
            raise ValueError(
                f"{name}: its output rank changes with the input's unknown sizes ({shapes}); "
                "give the inputs known sizes."
            )
        dims = tuple(d[0] if len(set(d)) == 1 else None for d in zip(*shapes, strict=True))
        return KerasTensor(dims, first.dtype)

    specs = [spec(*values) for values in zip(*flat_results, strict=True)]
    return pack_as(results[0], specs)


# -- walking the graph -----------------------------------------------------------------------------


def map_graph(
    inputs: Sequence[KerasTensor], outputs: Sequence[KerasTensor]
) -> tuple[list[Node], list[Any]]:
    """The nodes between ``inputs`` and ``outputs`` in an order that runs them (inputs first),
    and the operations in Keras's order (deepest first, then in order of discovery), which is
    the order of ``model.layers`` and so of ``get_weights``.

    Raises:
        ValueError: when an output needs a tensor that is not computable from ``inputs``
            ("graph disconnected"), naming the tensor and the layer that needs it.
    """
    # 1. Depth-first from the outputs: nodes in an order from inputs to outputs.
    ordered: list[Node] = []
    finished: set[int] = set()
    in_progress: set[int] = set()
    discovery: dict[int, int] = {}
    input_ids = {id(x) for x in inputs}

    def visit(tensor: KerasTensor) -> None:
        history = tensor._keras_history
        if history is None:
            return
        node = history.operation._inbound_nodes[history.node_index]
        if id(node) in finished:
            return
        if not node.is_input and id(tensor) in input_ids:
            finished.add(id(node))  # an intermediate tensor used as a model input
            return
        if id(node) in in_progress:
            raise ValueError(f"{tensor!r} from '{history.operation.name}' is part of a cycle.")
        discovery.setdefault(id(history.operation), len(discovery))
        in_progress.add(id(node))
        for parent in node.input_tensors:
            visit(parent)
        finished.add(id(node))
        in_progress.discard(id(node))
        ordered.append(node)

    for output in outputs:
        visit(output)

    # 2. Depths, as Keras's map_graph: a node is one deeper than the deepest node reading it.
    depth_of: dict[int, int] = {}
    op_depth: dict[int, int] = {}
    operations: dict[int, Any] = {}
    in_graph = {id(n) for n in ordered}
    for node in reversed(ordered):
        depth = depth_of.setdefault(id(node), 0)
        depth = max(depth, op_depth.get(id(node.operation), 0))
        op_depth[id(node.operation)] = depth
        operations[id(node.operation)] = node.operation
        depth_of[id(node)] = depth
        for parent in node.parent_nodes:
            if id(parent) in in_graph:
                depth_of[id(parent)] = max(depth + 1, depth_of.get(id(parent), 0))
    for tensor in inputs:  # inputs no output reads still belong to the model
        history = tensor._keras_history
        if history is not None and id(history.operation) not in op_depth:
            node = history.operation._inbound_nodes[history.node_index]
            if node.is_input:
                op_depth[id(history.operation)] = 0
                operations[id(history.operation)] = history.operation
                discovery[id(history.operation)] = -1
                depth_of[id(node)] = 0
                ordered.insert(0, node)

    # 3. Every tensor a node reads must be computable from the inputs.
    computable = set(input_ids)
    run_order = sorted(ordered, key=lambda n: -depth_of[id(n)])
    done: list[str] = []
    for node in run_order:
        if node.is_input:  # an Input: computable only if it is one of the model's inputs
            computable.update(id(x) for x in node.outputs if id(x) in input_ids)
            continue
        for tensor in node.input_tensors:
            if id(tensor) not in computable:
                raise ValueError(
                    f"Graph disconnected: cannot compute {tensor!r}, an input of "
                    f"'{node.operation.name}', from the model's inputs "
                    f"{[x.name for x in inputs]}. The layers reached without trouble were "
                    f"{done}. Pass the Input this tensor comes from in Model(inputs=...)."
                )
        done.append(node.operation.name)
        computable.update(id(x) for x in node.outputs)
    run_order = [n for n in run_order if not n.is_input]

    by_depth = sorted(operations, key=lambda op: (-op_depth[op], discovery.get(op, 0)))
    return run_order, [operations[op] for op in by_depth]
