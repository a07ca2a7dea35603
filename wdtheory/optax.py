"""Train with any derived rule in a JAX loop: the rule as an optax ``GradientTransformation``.

>>> import optax, wdtheory.optax
>>> tx = wdtheory.optax.transformation("sgdw(lr=0.1, momentum=0.9, weight_decay=5e-4)")
>>> state = tx.init(params)
>>> updates, state = tx.update(grads, state, params)
>>> params = optax.apply_updates(params, updates)

:func:`transformation` takes a spec or an :class:`~wdtheory.optim.optimizer.Optimizer`, with
``values=`` for hyperparameters left symbolic, ``schedule=`` (an optax schedule of the learning
rate multiplier) and ``mask=`` (which leaves decay, as ``optax.add_decayed_weights(mask=...)``).
Its state is a NamedTuple ``(count, *state variables)``; ``init`` and ``update`` are
jit-compatible. Needs the ``jax`` extra (``pip install 'wdtheory[jax]'``). The step and its
precision: :mod:`wdtheory.runtime.optax`.
"""

from wdtheory.runtime.optax import state_class, transformation

__all__ = ["state_class", "transformation"]
