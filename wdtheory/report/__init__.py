"""The reports folder: :mod:`~wdtheory.report.build` computes the pages
(:mod:`wdtheory.report.pages`, one module per page) in worker processes and writes them through
:mod:`~wdtheory.report.files` (atomic, confined to its folder); :mod:`~wdtheory.report.plots` and
:mod:`~wdtheory.report.markdown` are the layout pieces the pages share.

The reports need the ``report`` extra (matplotlib for the plots, scikit-learn for the digits
data set): importing this package without them is a one-line error saying what to install,
before anything is computed.

May import: every layer below (core to claims).
"""

from importlib.util import find_spec

from wdtheory.core.errors import WdtheoryError

#: module -> the package that provides it
NEEDS = {"matplotlib": "matplotlib", "sklearn": "scikit-learn"}


def check_dependencies() -> None:
    """Refuse in one line unless every package of :data:`NEEDS` is installed."""
    missing = [package for module, package in NEEDS.items() if find_spec(module) is None]
    if missing:
        raise WdtheoryError(
            f"the reports need {' and '.join(missing)}: pip install 'wdtheory[report]'"
        )


check_dependencies()
