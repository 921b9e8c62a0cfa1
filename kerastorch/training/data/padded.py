"""Padded arrays whose mask the model computes from the data: where each row's valid steps lie.

NOTE [padded arrays]
    Keras users pad sequences into one array (``pad_sequences``) and let the model's first layer
    mask the padding: ``Masking(mask_value)`` (a step is padding when **all** its features equal
    ``mask_value``) or ``Embedding(mask_zero=True)`` (an id 0 is padding). The model then tells
    the data (``training/padding.py``) which rule it uses, and the valid steps of every row are
    found once per ``fit`` / ``evaluate`` / ``predict`` call, from the whole array, as one
    :class:`PaddedSteps`. Two things use them:

    * **Trimming** (only when the model's results cannot depend on the padded steps, which
      ``training/padding.py`` decides): each batch is cut to the steps between its earliest
      first valid step and its latest last valid step, so a batch of short sequences no longer
      runs all ``timesteps``. The mask the model computes from the cut batch is the same mask,
      cut the same way, so results are those of the whole batch.
    * **Length buckets** (NOTE [length buckets] in ``indexed.py``): the rows' numbers of valid
      steps are their lengths, so shuffled batches group sequences of similar lengths, as they
      do for ragged lists.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

# Rows whose valid steps are found at once (bounds the memory of the comparison with
# mask_value to ROWS_PER_CHUNK x timesteps x features booleans).
ROWS_PER_CHUNK = 4096


class PaddingRule(NamedTuple):
    """How the model finds padded steps in its input, and whether batches may be cut to their
    valid steps (NOTE [padded arrays]).

    Attributes:
        mask_value: The padding value.
        features: The input is ``(samples, timesteps, features)`` and a step is padding when all
            its features equal ``mask_value`` (``Masking``); False: ``(samples, timesteps)``
            ids, padding where the id equals ``mask_value`` (``Embedding(mask_zero=True)``).
        trim: Batches may be cut to their valid steps (exact for this model).
    """

    mask_value: float
    features: bool
    trim: bool


class PaddedSteps:
    """The valid steps of every row of a padded array under a :class:`PaddingRule`: each row's
    first valid step (``start``), one past its last (``stop``) and their number (``lengths``).

    A row without valid steps has ``start = timesteps`` and ``stop = 0`` (it asks for no step).

    Example:
        >>> x = torch.tensor([[[1.0], [2.0], [0.0]], [[0.0], [3.0], [0.0]]])
        >>> steps = PaddedSteps.of_array(x, PaddingRule(0.0, features=True, trim=True))
        >>> steps.lengths.tolist(), steps.window(torch.tensor([0, 1]))
        ([2, 1], slice(0, 2, None))
    """

    def __init__(
        self, start: torch.Tensor, stop: torch.Tensor, lengths: torch.Tensor, trim: bool
    ) -> None:
        self.start = start
        self.stop = stop
        self.lengths = lengths
        self.trim = trim

    @classmethod
    def of_array(cls, x: torch.Tensor, rule: PaddingRule) -> PaddedSteps:
        """Find the valid steps of ``x`` (``(N, T, F)`` for ``Masking``, ``(N, T)`` ids)."""
        timesteps = x.shape[1]
        starts, stops, counts = [], [], []
        positions = torch.arange(timesteps, device=x.device)
        for chunk in x.split(ROWS_PER_CHUNK):
            valid = chunk != rule.mask_value
            if rule.features:
                valid = valid.any(dim=-1)
            counts.append(valid.sum(dim=1))
            starts.append(torch.where(valid, positions, timesteps).amin(dim=1))
            stops.append(torch.where(valid, positions + 1, 0).amax(dim=1))
        # On the CPU, where batch indices are drawn: cutting a batch then needs no device sync.
        steps = (torch.cat(parts).cpu() for parts in (starts, stops, counts))
        return cls(*steps, trim=rule.trim)

    def __getitem__(self, index: slice) -> PaddedSteps:
        """The rows ``index`` (for ``validation_split``)."""
        return PaddedSteps(self.start[index], self.stop[index], self.lengths[index], self.trim)

    def window(self, index: slice | torch.Tensor) -> slice:
        """The steps that batch ``index`` keeps: from its earliest valid step to its latest.
        A batch without any valid step keeps its first step (masked: the model's results are
        those of all-padding rows)."""
        start = int(self.start[index].min())
        stop = int(self.stop[index].max())
        return slice(start, stop) if stop > start else slice(0, 1)
