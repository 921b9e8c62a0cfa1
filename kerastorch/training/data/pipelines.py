"""A :class:`~kerastorch.utils.dataset.Pipeline` (what ``timeseries_dataset_from_array`` and the
other ``*_dataset_from_*`` utilities return, as Keras returns a ``tf.data.Dataset``): a stream of
ready batches whose count is known, re-iterated every epoch. ``fit``'s ``batch_size`` and
``shuffle`` do not apply (its batches and its order are its own, as in Keras).
"""

from __future__ import annotations

from kerastorch.training.data.generators import BatchStreamData
from kerastorch.training.data.structured import SINGLE, Signature
from kerastorch.utils.dataset import INFINITE, Pipeline


class PipelineData(BatchStreamData):
    """The batches of a :class:`~kerastorch.utils.dataset.Pipeline`.

    Example:
        >>> import torch
        >>> from kerastorch.training.data.generators import StreamAdapter
        >>> pipeline = Pipeline.from_tensor_slices((torch.zeros(5, 2), torch.zeros(5))).batch(2)
        >>> data = StreamAdapter(PipelineData(pipeline))
        >>> data.num_batches(), [len(batch.x) for batch in data.batches()]
        (3, [2, 2, 1])
    """

    def __init__(self, pipeline: Pipeline, signature: Signature = SINGLE) -> None:
        super().__init__(pipeline, signature)
        self.description = f"a dataset ({pipeline.description})"
        self.infinite = int(pipeline.cardinality()) == INFINITE

    def num_items(self) -> int | None:
        count = int(self.source.cardinality())
        return count if count >= 0 else None
