"""Independent NumPy reference implementations of optimizer update rules (test oracles).

Each reference is a small class with ``init(params) -> state`` and
``step(params, grads, state, t) -> (params, state)``, where ``t`` is the 1-based number of the
step being taken. They are transcribed from their sources (cited in each docstring), keep the
dtype of the parameters (float32 or float64) and share nothing with ``wdtheory``. Modules:

* ``torch_optim``: ``torch.optim`` 2.13.0 SGD, Adam, AdamW, RMSprop, Adagrad (checked against
  torch itself in ``tests/runtime/test_references.py``); they carry the learning-rate schedules
  that generic optimizers are checked with in ``tests/runtime/test_conformance.py``;
* ``paper``: Loshchilov & Hutter (2019) Algorithm 1 (SGDW) and Algorithm 2 (AdamW), the paper's
  forms, which no library implements.

There are no Keras or optax references: those libraries are installed and run themselves
(``tests/runtime/test_library_conformance.py`` for wdtheory's presets,
``tests/runtime/test_references.py`` for the properties of the libraries the tests rely on).
"""

from .paper import PaperAdamW, PaperSGDW
from .torch_optim import TorchAdagrad, TorchAdam, TorchAdamW, TorchRMSprop, TorchSGD

__all__ = [
    "PaperAdamW",
    "PaperSGDW",
    "TorchAdagrad",
    "TorchAdam",
    "TorchAdamW",
    "TorchRMSprop",
    "TorchSGD",
]
