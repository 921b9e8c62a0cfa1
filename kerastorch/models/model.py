"""The model base class: Keras's compile / fit / evaluate / predict / summary on an nn.Module.

The model only holds state (layers, optimizer, loss, metrics) and delegates: training loops live
in ``kerastorch.training``, files in ``kerastorch.saving``, the summary table in
``kerastorch.models.summary``. Training and the file formats sit above models (they take a model
and never import one), so the methods that delegate to them import them inside the method: the
only imports in the package that go up, and they close no cycle.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from kerastorch import symbolic
from kerastorch.errors import did_you_mean
from kerastorch.layers.base import Layer, Shape, keras_mask_of, preserved_state, sublayers
from kerastorch.models.summary import format_summary, own_output_shape
from kerastorch.utils.naming import snake_case, unique_name

__all__ = ["Model"]


class Model(Layer):
    """A Keras model: layers plus ``compile`` / ``fit`` / ``evaluate`` / ``predict``, and an
    ordinary ``torch.nn.Module``.

    Three ways to make one, as in Keras:

    * ``Sequential([...])``, a stack of layers;
    * ``Model(inputs, outputs)``, a graph of layers called on ``Input(...)`` (the functional
      API, :class:`~kerastorch.models.functional.Functional`);
    * a subclass that makes its layers in ``__init__`` and computes in ``call(inputs,
      training=...)``; it builds on its first call (or the first batch of ``fit``).

    A model is an ``nn.Module``: ``parameters()``, ``state_dict()``, ``.to(device)``,
    ``torch.compile`` and hand-written training loops work on it. It is also a layer: a model
    can be used inside another. Like its layers, it starts in eval mode (Keras's inference mode
    outside ``fit``); call ``model.train()`` in your own loop.

    Example:
        >>> import torch
        >>> from kerastorch import layers, ops
        >>> class Classifier(Model):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.lstm = layers.LSTM(16, return_sequences=True)
        ...         self.head = layers.Dense(3, activation="softmax")
        ...     def call(self, x, training=False):
        ...         return self.head(ops.mean(self.lstm(x), axis=1))
        >>> Classifier()(torch.zeros(2, 5, 4)).shape
        torch.Size([2, 3])
    """

    # Model(inputs, outputs) makes a Functional model (set by kerastorch.models.functional, which
    # builds on this module, so this module does not import it).
    _functional_class: type | None = None

    def __new__(cls, *args: Any, **kwargs: Any) -> Model:
        if cls is Model and (args or "inputs" in kwargs or "outputs" in kwargs):
            functional = Model._functional_class
            assert functional is not None, "kerastorch.models.functional is not imported"
            return functional.__new__(functional)  # type: ignore[no-any-return]
        return super().__new__(cls)

    def __init__(self, *args: Any, name: str | None = None, **kwargs: Any) -> None:
        trainable = kwargs.pop("trainable", True)
        if args or kwargs:
            raise TypeError(
                f"{type(self).__name__}.__init__() got unexpected argument(s) "
                f"{list(kwargs) or f'{len(args)} positional'}: a subclass of Model makes its "
                "layers in __init__ and computes in call(), passing only name= (and trainable=) "
                "to super().__init__(); Model(inputs, outputs) makes a graph of layers."
            )
        super().__init__(name=name or unique_name(snake_case(type(self).__name__)))
        self.auto_named = name is None
        self.compiled = None  # a training.compile.CompiledModel after compile()
        self.stop_training = False
        self.history = None
        self._initial_epoch: int | None = None  # set by BackupAndRestore to resume a fit
        self.input_batch_shape: Shape | None = None
        if not trainable:
            self.trainable = False
        self.train(False)

    @property
    def layers(self) -> list[Layer]:
        """The layers the model holds, in the order they were assigned (a subclassed model)."""
        return sublayers(self)

    def data_names(self) -> tuple[list[str] | None, list[str] | None] | None:
        """How ``fit`` / ``evaluate`` / ``predict`` read lists and dicts of data: the names that
        dicts of inputs and of targets are keyed by, in the order lists follow (None when
        unknown, as for a subclassed model, which takes any list or dict of arrays, as Keras);
        None for a model that takes one array (``Sequential``: a list is samples).

        Example:
            >>> from kerastorch import Input, Model
            >>> from kerastorch.layers import Concatenate, Dense
            >>> a, b = Input((2,), name="a"), Input((3,), name="b")
            >>> Model([a, b], Dense(1, name="out")(Concatenate()([a, b]))).data_names()
            (['a', 'b'], ['out'])
        """
        return (None, None)

    def layer_chain(self) -> list[Layer] | None:
        """The layers in call order when each takes the previous one's output alone, as in
        ``Sequential``; None when the model is another graph or its own ``call`` (what ``fit``
        may conclude from its first layers: NOTE [trimming rule] in ``training/padding.py``)."""
        return None

    def __setattr__(self, name: str, value: Any) -> None:
        # Keras tracks the layers of a list attribute (self.blocks = [Dense(8), Dense(8)]):
        # hold them in an nn.ModuleList, so their weights are parameters, in state_dict and
        # saved, and the attribute still indexes and iterates like the list.
        if (
            isinstance(value, list)
            and value
            and not name.startswith("_")
            and all(isinstance(item, Layer) for item in value)
        ):
            value = torch.nn.ModuleList(value)
        super().__setattr__(name, value)

    # -- a subclassed model ------------------------------------------------------------------------

    def forward(
        self,
        inputs: Any,
        mask: Any = None,
        training: bool | None = None,
        return_mask: bool = False,
    ) -> Any:
        """Run ``call`` (a subclassed model), passing ``training`` and ``mask`` if it declares
        them; with ``return_mask``, also the output's Keras mask."""
        outputs = self._call_user(inputs, mask=mask, training=training)
        if not self.built:
            self._finish_build(self.input_shape_of_call((inputs,), {}))
        if return_mask:
            return outputs, symbolic.map_structure(keras_mask_of, outputs)
        return outputs

    def input_shape_of_call(self, args: tuple, kwargs: dict[str, Any]) -> Any:
        """The input shape (batch axis None), or a list or dict of them for a ``call`` that
        takes several inputs."""
        inputs = args[0] if args else kwargs.get("inputs")
        if isinstance(inputs, dict):
            return {key: (None, *value.shape[1:]) for key, value in inputs.items()}
        return super().input_shape_of_call(args, kwargs)

    def _build_on_first_call(self, module: Any, args: tuple, kwargs: dict) -> None:
        """A subclassed model builds by running: its layers build on their first calls."""

    def build(self, input_shape: Any = None) -> None:
        """Build a subclassed model for inputs of ``input_shape`` by running ``call`` once on
        zeros (unknown sizes become 2), as Keras traces it; nothing else changes.

        Example:
            >>> from kerastorch import layers
            >>> class Tiny(Model):
            ...     def __init__(self):
            ...         super().__init__()
            ...         self.dense = layers.Dense(2)
            ...     def call(self, x):
            ...         return self.dense(x)
            >>> model = Tiny()
            >>> model.build((None, 3))
            >>> model.count_params()
            8
        """
        if self.built:
            return
        if input_shape is None:
            raise ValueError(
                f"Model '{self.name}'.build() needs the input shape, e.g. "
                "model.build((None, timesteps, features)); or call the model on data."
            )
        with preserved_state(self), torch.no_grad():
            self.train(False)
            self(_zeros_for(input_shape))
        if _is_shape(input_shape):
            self.input_batch_shape = tuple(input_shape)
        if not self.built:
            self._finish_build(input_shape)

    def compute_mask(self, inputs: Any, mask: Any) -> Any:
        # A model's output masks come from its own run (forward(..., return_mask=True)).
        return None

    def output_shapes(self) -> list[Any]:
        """Each layer's output shape, from the shape it was built with (None if unknown)."""
        return [own_output_shape(layer) for layer in self.layers]

    # -- training API (delegated) ----------------------------------------------------------------

    def compile(
        self,
        optimizer: Any = "rmsprop",
        loss: Any = None,
        metrics: Sequence[Any] | None = None,
        loss_weights: Any = None,
        weighted_metrics: Sequence[Any] | None = None,
        run_eagerly: bool = False,
        steps_per_execution: int = 1,
        jit_compile: Any = "auto",
        auto_scale_loss: bool = True,
        device: Any = "auto",
    ) -> None:
        """Configure the model for training, with Keras's arguments and defaults.

        Args:
            optimizer: Name (``"adam"``), a ``kerastorch.optimizers`` object, a
                ``torch.optim.Optimizer`` class (instantiated on the model's parameters once the
                model is built) or instance (for a model already built).
            loss: Name (``"mse"``), ``kerastorch.losses`` object or ``fn(y_true, y_pred)``.
            metrics: Names (``"mae"``, ``"accuracy"``), metric objects or functions.
            loss_weights: Keras's weights of the losses of a model with several outputs; not
                supported yet (any value but ``None`` is an error).
            weighted_metrics: Metrics that also take ``sample_weight`` into account.
            run_eagerly: ``True`` never compiles the steps (a ``jit_compile=True`` is then
                dropped with Keras's warning).
            steps_per_execution: Accepted for Keras code; steps run one per batch whatever the
                value, so a value other than 1 only gives a warning that it has no effect.
            jit_compile: ``True`` runs each training step (forward, loss, gradients, the
                optimizer's update) as one ``torch.compile`` graph (recurrent layers over at
                most 16 steps), and evaluation through ``torch.compile(model)`` (a model
                without recurrent layers); a model that cannot compile trains eagerly, with a
                warning saying why. ``"auto"`` (Keras's default) compiles the training step
                only where that pays off within the ``fit``, compile time included: many short
                steps over short sequences (NOTE [jit_compile="auto"] in
                ``kerastorch/training/compiled_step.py``). ``False`` never compiles.
            auto_scale_loss: Under the ``"mixed_float16"`` policy, scale the loss so that small
                float16 gradients do not underflow (torch's ``GradScaler``, as Keras's
                ``LossScaleOptimizer``); ``False`` trains with unscaled float16 gradients. No
                effect under other policies.
            device: Where ``fit`` / ``evaluate`` / ``predict`` run (kerastorch's addition):
                ``"auto"`` moves a model on the CPU to CUDA, else MPS, when available (as Keras
                uses a GPU when it has one); ``None`` leaves the model where ``model.to(...)``
                put it; or a device such as ``"cpu"`` or ``"cuda:1"``. Batches follow the model.

        The mixed-precision policy set with ``kerastorch.mixed_precision.set_global_policy``
        when ``compile`` is called applies to this model's ``fit`` / ``evaluate``.

        Example:
            >>> from kerastorch import Sequential
            >>> from kerastorch.layers import Dense
            >>> model = Sequential([Dense(1)])
            >>> model.compile(optimizer="adam", loss="mse", metrics=["mae"])
        """
        from kerastorch.training.compile import CompiledModel

        self.compiled = CompiledModel(
            self,
            optimizer=optimizer,
            loss=loss,
            metrics=metrics,
            weighted_metrics=weighted_metrics,
            loss_weights=loss_weights,
            jit_compile=jit_compile,
            device=device,
            run_eagerly=run_eagerly,
            steps_per_execution=steps_per_execution,
            auto_scale_loss=auto_scale_loss,
        )

    @property
    def optimizer(self) -> Any:
        return None if self.compiled is None else self.compiled.optimizer

    @property
    def loss(self) -> Any:
        return None if self.compiled is None else self.compiled.loss

    @property
    def metrics_names(self) -> list[str]:
        return [] if self.compiled is None else self.compiled.metrics_names()

    def fit(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        epochs: int = 1,
        verbose: int | str = "auto",
        callbacks: Sequence[Any] | None = None,
        validation_split: float = 0.0,
        validation_data: Any = None,
        shuffle: bool = True,
        class_weight: dict[int, float] | None = None,
        sample_weight: Any = None,
        initial_epoch: int = 0,
        steps_per_epoch: int | None = None,
        validation_steps: int | None = None,
        validation_batch_size: int | None = None,
        validation_freq: int = 1,
    ):
        """Train the model, as Keras's ``fit`` does; returns a ``History``.

        Keras's defaults: ``batch_size=32``, ``epochs=1``, ``shuffle=True`` (a fresh order every
        epoch), ``validation_split`` takes the *last* fraction of the samples before shuffling,
        the last partial batch is kept, and the logged ``loss`` is the epoch's running mean
        weighted by batch size.

        Sequences of different lengths (a list of sequences, or a padded array whose padding
        the model's first layer masks: ``Masking``, ``Embedding(mask_zero=True)``) are shuffled
        into batches of similar lengths, in a fresh random order every epoch; a padded batch is
        cut to its valid steps when no result can depend on the padding (NOTE [trimming rule]
        in ``kerastorch/training/padding.py``). With ``shuffle=False`` the batches are Keras's.

        Args:
            x: The inputs: a numpy array, tensor or nested list ``(samples, ...)``; a list of
                sequences of different lengths (each ``(length_i, features)``: padded per batch,
                masked, grouped by length when shuffling); a numpy memmap (read batch by batch);
                a dict ``{input name: array}``; or a torch ``Dataset`` / ``IterableDataset`` /
                ``DataLoader``, a ``kerastorch.utils.PyDataset`` or ``Pipeline``, or a generator
                yielding ``(x, y)`` or ``(x, y, sample_weight)`` batches (then ``y`` must be
                None).
            y: The targets, aligned with ``x`` (None when ``x`` yields them).
            batch_size: Samples per step (default 32). Not for loaders and generators, which
                batch themselves. Under ``torchrun`` it is the global batch of all processes.
            epochs: The epoch to stop at (training runs epochs ``initial_epoch`` to
                ``epochs - 1``).
            verbose: ``"auto"`` or 1: a progress bar (one line per epoch when the output is not
                a terminal); 2: one line per epoch; 0: silent.
            callbacks: ``kerastorch.callbacks.Callback`` objects; a ``History`` is always added
                (and returned).
            validation_split: Fraction in ``[0, 1)`` of the samples (the last ones, before
                shuffling) held out for validation. Not for loaders and generators.
            validation_data: ``(x_val, y_val)`` or ``(x_val, y_val, sample_weight_val)``, or a
                loader / generator, evaluated at the end of every ``validation_freq``-th epoch;
                it takes precedence over ``validation_split``.
            shuffle: Reshuffle the samples every epoch (arrays, lists and datasets; a loader or
                generator keeps its own order); sequences of different lengths are shuffled
                into batches of similar lengths (see above).
            class_weight: ``{class index: weight}``: each sample's loss is scaled by its class's
                weight (also for loaders and generators). Not together with ``sample_weight``.
            sample_weight: Per-sample weights ``(samples,)``, or per-timestep weights
                ``(samples, timesteps)`` for sequence outputs.
            initial_epoch: The epoch to start from (to resume a run; the logs count from it).
            steps_per_epoch: Steps per epoch; needed for a generator without a length, and
                stops an epoch early otherwise.
            validation_steps: Batches of ``validation_data`` to evaluate (all of it if None).
            validation_batch_size: Batch size of the validation (default ``batch_size``).
            validation_freq: Validate every this many epochs.

        Returns:
            The ``History`` callback: ``history.history`` maps each logged name (``loss``,
            metrics, ``val_`` ones, ``learning_rate`` when a callback changes it) to its value
            per epoch.

        Example:
            >>> import numpy as np
            >>> from kerastorch import Sequential
            >>> from kerastorch.layers import Dense
            >>> model = Sequential([Dense(1)])
            >>> model.compile(optimizer="sgd", loss="mse")
            >>> history = model.fit(np.ones((8, 2)), np.ones((8, 1)), epochs=2, verbose=0)
            >>> len(history.history["loss"])
            2
        """
        from kerastorch.training.loop import fit

        return fit(
            self,
            x,
            y,
            batch_size=batch_size,
            epochs=epochs,
            verbose=verbose,
            callbacks=callbacks,
            validation_split=validation_split,
            validation_data=validation_data,
            shuffle=shuffle,
            class_weight=class_weight,
            sample_weight=sample_weight,
            initial_epoch=initial_epoch,
            steps_per_epoch=steps_per_epoch,
            validation_steps=validation_steps,
            validation_batch_size=validation_batch_size,
            validation_freq=validation_freq,
        )

    def evaluate(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        verbose: int | str = "auto",
        sample_weight: Any = None,
        steps: int | None = None,
        callbacks: Sequence[Any] | None = None,
        return_dict: bool = False,
    ):
        """Loss and metrics on ``(x, y)``: a scalar with no metrics, else ``[loss, *metrics]``,
        or a dict with ``return_dict=True``.

        Runs in inference mode (no dropout), batch by batch in input order, and stops at once,
        naming the sample, when ``x`` or ``y`` holds NaN or inf.

        Args:
            x: The inputs, as for :meth:`fit` (arrays, ragged lists, datasets, loaders,
                generators).
            y: The targets (None when ``x`` yields them).
            batch_size: Samples per batch (default 32); not for loaders and generators.
            verbose: ``"auto"`` or 1: a progress bar; 2: one line at the end; 0: silent.
            sample_weight: Per-sample (or per-timestep) weights of the loss and of the
                weighted metrics.
            steps: Batches to evaluate (all of ``x`` if None); needed for an endless generator.
            callbacks: Callbacks whose ``on_test_*`` hooks run.
            return_dict: Return ``{name: value}`` instead of a scalar or list.

        Returns:
            The loss (a float) when there are no metrics, else ``[loss, *metrics]`` in
            ``metrics_names`` order, or a dict with ``return_dict=True``.

        Example:
            >>> import numpy as np
            >>> from kerastorch import Sequential
            >>> from kerastorch.layers import Dense
            >>> model = Sequential([Dense(1, kernel_initializer="zeros")])
            >>> model.compile(loss="mse")
            >>> model.evaluate(np.ones((4, 2)), np.ones((4, 1)), verbose=0)
            1.0
        """
        from kerastorch.training.loop import evaluate

        return evaluate(
            self,
            x,
            y,
            batch_size=batch_size,
            verbose=verbose,
            sample_weight=sample_weight,
            steps=steps,
            callbacks=callbacks,
            return_dict=return_dict,
        )

    def predict(
        self,
        x: Any,
        batch_size: int | None = None,
        verbose: int | str = "auto",
        steps: int | None = None,
        callbacks: Sequence[Any] | None = None,
        pad_value: float | None = None,
    ) -> np.ndarray | list[np.ndarray]:
        """Outputs for ``x`` as a numpy array, in inference mode (no dropout), batch by batch.

        ``x`` may be a list of sequences of different lengths; the outputs come back in the same
        order. When those outputs are sequences too (``return_sequences=True``), the result is a
        list with one ``(length_i, ...)`` array per sequence, or, with ``pad_value``, one array
        ``(N, longest, ...)`` padded with it (kerastorch's addition).

        Args:
            x: The inputs: an array or tensor, a list of sequences of different lengths, a dict
                ``{input name: array}``, or a torch ``Dataset``, ``DataLoader`` or generator of
                batches.
            batch_size: Samples per batch (default 32); not for loaders and generators.
            verbose: ``"auto"`` or 1: a progress bar; 2: one line at the end; 0: silent.
            steps: Batches to predict (all of ``x`` if None); needed for an endless generator.
            callbacks: Callbacks whose ``on_predict_*`` hooks run.
            pad_value: For sequence outputs of a ragged ``x``: pad them into one array with this
                value instead of returning one array per sequence.

        Returns:
            A numpy array ``(samples, ...)`` in input order, or a list of ``(length_i, ...)``
            arrays for the sequence outputs of a ragged ``x`` without ``pad_value``.

        Example:
            >>> import numpy as np
            >>> from kerastorch import Sequential
            >>> from kerastorch.layers import Dense
            >>> Sequential([Dense(3)]).predict(np.ones((5, 2)), verbose=0).shape
            (5, 3)
        """
        from kerastorch.training.loop import predict

        return predict(
            self,
            x,
            batch_size=batch_size,
            verbose=verbose,
            steps=steps,
            callbacks=callbacks,
            pad_value=pad_value,
        )

    def train_on_batch(
        self,
        x: Any,
        y: Any = None,
        sample_weight: Any = None,
        class_weight: dict[int, float] | None = None,
        return_dict: bool = False,
    ):
        """One optimizer step on all of ``x``, as Keras 3's: the metrics are reset first, and the
        returned loss (and metrics) are those of this batch before the step.

        Example:
            >>> from kerastorch import Sequential
            >>> from kerastorch.layers import Dense, Input
            >>> model = Sequential([Input((2,)), Dense(1)])
            >>> model.compile(optimizer="sgd", loss="mse")
            >>> loss = model.train_on_batch(np.ones((4, 2)), np.zeros((4, 1)))
        """
        from kerastorch.training.loop import train_on_batch

        return train_on_batch(
            self,
            x,
            y,
            sample_weight=sample_weight,
            class_weight=class_weight,
            return_dict=return_dict,
        )

    def test_on_batch(
        self, x: Any, y: Any = None, sample_weight: Any = None, return_dict: bool = False
    ):
        """Loss and metrics of all of ``x`` as one batch, in inference mode (metrics reset
        first), as Keras 3's ``test_on_batch``."""
        from kerastorch.training.loop import test_on_batch

        return test_on_batch(self, x, y, sample_weight=sample_weight, return_dict=return_dict)

    def predict_on_batch(self, x: Any) -> Any:
        """Outputs for all of ``x`` (one array, or a list or dict of them per input) as one
        batch."""
        first = x
        if isinstance(x, dict):
            first = next(iter(x.values()))
        elif isinstance(x, (list, tuple)) and self.data_names() is not None:
            first = x[0] if x and (torch.is_tensor(x[0]) or isinstance(x[0], np.ndarray)) else x
        return self.predict(x, batch_size=max(len(first), 1), verbose=0)

    def reset_metrics(self) -> None:
        if self.compiled is not None:
            self.compiled.reset_metrics()

    # -- weights and parameters ------------------------------------------------------------------

    @property
    def weights(self) -> list[torch.Tensor]:
        return [w for layer in self.layers for w in layer.weights]

    @property
    def trainable_weights(self) -> list[torch.Tensor]:
        """The weights training updates, in Keras's layout and order (views of the parameters)."""
        return [w for layer in self.layers for w in layer.trainable_weights]

    @property
    def non_trainable_weights(self) -> list[torch.Tensor]:
        """The other weights (frozen layers, moving statistics), in Keras's layout and order."""
        return [w for layer in self.layers for w in layer.non_trainable_weights]

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """A layer by name or by position, as Keras's ``get_layer``.

        Example:
            >>> from kerastorch import Sequential
            >>> from kerastorch.layers import Dense
            >>> Sequential([Dense(2, name="head")]).get_layer("head").units
            2
        """
        if (name is None) == (index is None):
            raise ValueError(
                "get_layer: give either name or index, e.g. model.get_layer('dense') or "
                f"model.get_layer(index=0); received name={name!r}, index={index!r}."
            )
        if index is not None:
            if not -len(self.layers) <= index < len(self.layers):
                raise ValueError(
                    f"get_layer: index {index} is out of range; model '{self.name}' has "
                    f"{len(self.layers)} layer(s)."
                )
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(
            f"No such layer: {name}. Existing layers are: {[layer.name for layer in self.layers]}."
            f"{did_you_mean(name, [layer.name for layer in self.layers])}"
        )

    def get_weights(self) -> list[np.ndarray]:
        """All weights as numpy arrays, in the layout and order of ``keras_model.get_weights()``."""
        return [w for layer in self.layers for w in layer.get_weights()]

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Set all weights from arrays in Keras's layout and order.

        Example:
            >>> from kerastorch import Sequential
            >>> from kerastorch.layers import Dense, Input
            >>> model = Sequential([Input((2,)), Dense(1)])
            >>> model.set_weights([np.ones((2, 1)), np.zeros(1)])
            >>> model.predict(np.ones((1, 2)), verbose=0)
            array([[2.]], dtype=float32)
        """
        self.check_built("set its weights")
        weights = list(weights)
        expected = [tuple(w.shape) for w in self.weights]
        if len(weights) != len(expected):
            raise ValueError(
                f"Model '{self.name}' expects {len(expected)} weight arrays (Keras order, shapes "
                f"{expected}), received {len(weights)}."
            )
        start = 0
        for layer in self.layers:
            count = len(layer.weights)
            layer.set_weights(weights[start : start + count])
            start += count

    def count_params(self) -> int:
        """Number of weights, as Keras counts them."""
        self.check_built("count its parameters")
        return sum(layer.count_params() for layer in self.layers)

    @property
    def trainable(self) -> bool:
        return all(layer.trainable for layer in self.layers)

    @trainable.setter
    def trainable(self, value: bool) -> None:
        for layer in self.layers:
            layer.trainable = value

    def check_built(self, action: str) -> None:
        """Raise a ``ValueError`` saying how to build the model if it is not built.

        ``action`` completes "so it cannot ...", e.g. ``"be saved"``.

        Example:
            >>> from kerastorch import Sequential
            >>> from kerastorch.layers import Dense
            >>> Sequential([Dense(1)]).check_built("be saved")
            Traceback (most recent call last):
            ...
            ValueError: Model 'sequential...' is not built yet, so it cannot be saved. ...
        """
        if not self.built:
            raise ValueError(
                f"Model '{self.name}' is not built yet, so it cannot {action}. Give it an input "
                "shape (Input(shape=...) first, input_shape= on the first layer, or "
                "model.build((None, timesteps, features))), or call it on a batch of data."
            )

    def summary(
        self,
        line_length: int | None = None,
        positions: Sequence[float] | None = None,
        print_fn: Callable[..., Any] | None = None,
        expand_nested: bool = False,
        show_trainable: bool = False,
    ) -> None:
        """Print a Keras-style table of the layers, their output shapes and parameter counts.

        ``print_fn`` receives the whole table as one string (e.g. ``lines.append``).
        """
        text = format_summary(
            self,
            line_length=line_length,
            show_trainable=show_trainable,
            expand_nested=expand_nested,
        )
        (print_fn or print)(text)

    # -- saving (delegated to kerastorch.saving) -------------------------------------------------

    def save(self, filepath: Any, overwrite: bool = True, include_optimizer: bool = True) -> None:
        """Save the architecture, weights and compile state in one file, atomically.

        ``.kt`` is kerastorch's archive (``fit`` resumes exactly after loading it), ``.keras``
        and ``.h5`` are Keras's formats (``keras.models.load_model`` reads them). See
        :func:`kerastorch.saving.save_model`.

        Example:
            >>> import os, tempfile
            >>> from kerastorch import Sequential
            >>> from kerastorch.layers import Dense, Input
            >>> model = Sequential([Input((2,)), Dense(1)])
            >>> model.save(os.path.join(tempfile.mkdtemp(), "model.kt"))
        """
        from kerastorch.saving.native import save_model

        save_model(self, filepath, overwrite=overwrite, include_optimizer=include_optimizer)

    def save_weights(self, filepath: Any, overwrite: bool = True) -> None:
        """Save the weights: ``.weights.pt`` (kerastorch) or ``.weights.h5`` (Keras 3's file).

        See :func:`kerastorch.saving.save_weights`.
        """
        from kerastorch.saving.native import save_weights

        save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath: Any, skip_mismatch: bool = False) -> None:
        """Load weights saved by kerastorch or Keras (``.weights.pt``, ``.weights.h5``, ``.kt``,
        ``.keras``, ``.h5``); everything is checked before anything is copied.

        See :func:`kerastorch.saving.load_weights`.
        """
        from kerastorch.saving.native import load_weights

        load_weights(self, filepath, skip_mismatch=skip_mismatch)

    def to_json(self, **kwargs: Any) -> str:
        """The architecture as JSON (no weights); see :func:`kerastorch.models.model_from_json`."""
        from kerastorch.saving.native import to_json

        return to_json(self, **kwargs)

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Model:
        """Create a model (new weights) from ``model.get_config()``, as Keras's
        ``Model.from_config``: a functional config (``"input_layers"`` ...) rebuilds the graph
        (:meth:`Functional.from_config`); a subclassed model is ``cls(**config)``, so a subclass
        whose ``__init__`` takes arguments defines ``get_config`` returning them.

        Example:
            >>> from kerastorch import layers
            >>> class Head(Model):
            ...     def __init__(self, units=2, **kwargs):
            ...         super().__init__(**kwargs)
            ...         self.units = units
            ...         self.dense = layers.Dense(units)
            ...     def call(self, x):
            ...         return self.dense(x)
            ...     def get_config(self):
            ...         return {**super().get_config(), "units": self.units}
            >>> Head.from_config(Head(units=5).get_config()).units
            5
        """
        functional = Model._functional_class
        if functional is not None and isinstance(config, dict) and "input_layers" in config:
            return functional.from_config(config, custom_objects)  # type: ignore[no-any-return]
        try:
            return cls(**config)
        except TypeError as error:
            raise TypeError(
                f"Cannot create {cls.__name__} from its config {config!r}: {error}. A subclassed "
                f"model is rebuilt as {cls.__name__}(**model.get_config()): define get_config() "
                f"in {cls.__name__} to return its constructor arguments (and from_config if they "
                "need converting), and accept **kwargs (name, trainable) in __init__."
            ) from error

    @classmethod
    def from_keras_config(cls, config: Any, custom_objects: Any = None) -> Model:
        """Create a model (new weights) from the config Keras saves for the same kind of model
        (in ``.keras`` / ``.h5`` files and ``keras_model.get_config()``).

        Each model class Keras files can hold defines it (:meth:`Sequential.from_keras_config`).
        """
        raise NotImplementedError(
            f"{cls.__name__} defines no from_keras_config, so it cannot be read from Keras's "
            "config."
        )


def _is_shape(value: Any) -> bool:
    """Whether ``value`` is one shape (ints and None), not a list of shapes."""
    return isinstance(value, (tuple, list)) and all(d is None or isinstance(d, int) for d in value)


def _zeros_for(shape: Any) -> Any:
    """Zeros of ``shape`` (unknown sizes 2), or a list of them for a list of shapes."""
    if _is_shape(shape):
        return torch.zeros(tuple(2 if d is None else d for d in shape))
    return [_zeros_for(s) for s in shape]
