"""Running lowered rules on arrays: :class:`~wdtheory.runtime.stepper.Stepper` (``init`` and
``step``, any backend), its bound form for training loops, many tensors as one
:class:`~wdtheory.runtime.param_group.ParamGroup` or stepped where they lie by one call
(:class:`~wdtheory.runtime.tensor_list.TensorList`), batches of runs, the training adapters
for torch and optax, and the checks a step makes on its arrays.

May import: :mod:`wdtheory.core`, :mod:`wdtheory.optim`, :mod:`wdtheory.lowering` (only
``lowering.compile``).
"""
