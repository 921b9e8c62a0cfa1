"""A griffe extension for the API pages: kerastorch's docstrings as the library shows them.

- ``Example:`` (kerastorch's heading for doctested examples) is read as griffe's ``Examples:``
  section, so ``>>>`` lines render as code rather than as Markdown text.
- A docstring completed at import time (the recurrent layers' ``{sequence_args}`` line, written
  by ``_document_sequence_args``) is taken from the imported object, as ``help()`` shows it.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

import griffe

EXAMPLE_HEADING = re.compile(r"^(\s*)Example:[ \t]*$", re.M)


class KerastorchDocstrings(griffe.Extension):
    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        docstring = obj.docstring
        if docstring is None:
            return
        text = docstring.value
        if "{" in text and re.search(r"\{\w+\}", text):
            runtime = inspect.getdoc(griffe.dynamic_import(obj.path))
            if runtime:
                text = runtime
        docstring.value = EXAMPLE_HEADING.sub(r"\1Examples:", text)
