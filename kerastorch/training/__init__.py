"""The training machinery behind compile / fit / evaluate / predict.

``compile.py`` resolves the configuration; ``data/`` turns every kind of input into batches
(``as_data``, then ``adapt``); ``step.py`` runs one batch; ``loop.py`` iterates epochs and
batches and fires callbacks; ``run.py`` is what a call shares with other processes in
multi-process training (nothing in one process); ``placement.py`` moves batches to the model's
device.
"""
