"""Independent NumPy reference implementations of optimizer update rules (test oracles).

Each reference is a small class with ``init(params) -> state`` and
``step(params, grads, state, t) -> (params, state)``, where ``t`` is the 1-based number of the
step being taken. They are transcribed from the libraries' own source code (cited in each
docstring), keep the dtype of the parameters (float32 or float64) and share nothing with
``wdtheory``. Modules:

* ``torch_optim``: ``torch.optim`` 2.13.0 SGD, Adam, AdamW, RMSprop, Adagrad (checked against
  torch itself in ``tests/test_references.py``);
* ``keras_optimizers``: Keras 3 SGD, Adam, AdamW, including ``BaseOptimizer``'s weight decay;
* ``optax_aliases``: optax ``sgd``, ``adam``, ``adamw``, ``lion``;

  (written when Keras and optax were not installed; the conformance of wdtheory's presets is
  now checked against the libraries themselves, ``tests/runtime/test_library_conformance.py``,
  and these two are left only to ``tests/runtime/test_references.py``'s checks of them)
* ``paper``: Loshchilov & Hutter (2019) Algorithm 1 (SGDW) and Algorithm 2 (AdamW).
"""

from .keras_optimizers import KerasAdam, KerasAdamW, KerasSGD
from .optax_aliases import OptaxAdam, OptaxAdamW, OptaxLion, OptaxSGD
from .paper import PaperAdamW, PaperSGDW
from .torch_optim import TorchAdagrad, TorchAdam, TorchAdamW, TorchRMSprop, TorchSGD

__all__ = [
    "KerasAdam",
    "KerasAdamW",
    "KerasSGD",
    "OptaxAdam",
    "OptaxAdamW",
    "OptaxLion",
    "OptaxSGD",
    "PaperAdamW",
    "PaperSGDW",
    "TorchAdagrad",
    "TorchAdam",
    "TorchAdamW",
    "TorchRMSprop",
    "TorchSGD",
]
