"""Train with any derived rule in PyTorch: :class:`Optimizer` is a ``torch.optim.Optimizer``
built from a spec (see :mod:`wdtheory.runtime.torch`). Needs torch (``pip install
wdtheory[torch]``); ``import wdtheory`` alone never imports it."""

from wdtheory.runtime.torch import Optimizer, matrices_only

__all__ = ["Optimizer", "matrices_only"]
