"""The reports folder: :mod:`~wdtheory.report.build` computes the pages
(:mod:`wdtheory.report.pages`, one module per page) in worker processes and writes them through
:mod:`~wdtheory.report.files` (atomic, confined to its folder); :mod:`~wdtheory.report.plots` and
:mod:`~wdtheory.report.markdown` are the layout pieces the pages share.

May import: every layer below (core to claims).
"""
