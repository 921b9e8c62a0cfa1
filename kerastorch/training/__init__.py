"""The training machinery behind compile / fit / evaluate / predict.

``compile.py`` resolves the configuration, ``data.py`` turns inputs into batches, ``step.py``
runs one batch, ``loop.py`` iterates epochs and batches and fires callbacks.
"""
