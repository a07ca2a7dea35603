"""The report package refuses to start without its extra (:mod:`wdtheory.report`)."""

from __future__ import annotations

import importlib.util

import pytest

import wdtheory.report as report
from wdtheory.core.errors import WdtheoryError


@pytest.mark.parametrize(
    ("absent", "named"),
    [
        ({"sklearn"}, "scikit-learn"),
        ({"matplotlib"}, "matplotlib"),
        ({"sklearn", "matplotlib"}, "matplotlib and scikit-learn"),
    ],
)
def test_a_missing_package_of_the_report_extra_is_one_line_saying_what_to_install(
    monkeypatch, absent, named
):
    real = importlib.util.find_spec
    monkeypatch.setattr(report, "find_spec", lambda name: None if name in absent else real(name))
    with pytest.raises(WdtheoryError) as error:
        report.check_dependencies()
    assert str(error.value) == f"the reports need {named}: pip install 'wdtheory[report]'"


def test_with_the_extra_installed_nothing_is_said():
    report.check_dependencies()
