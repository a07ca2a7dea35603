"""What every page takes (:class:`Settings`, the sizes of its experiments) and returns (:data:`Files`)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Files", "Settings"]

#: file name (relative to the report folder) -> contents
Files = dict[str, str | bytes]


@dataclass(frozen=True)
class Settings:
    """Sizes of the experiments: ``quick`` is the committed report, the full one is larger."""

    seeds: int
    sweep: int
    penalties: tuple[str, ...]
    steps: int

    @classmethod
    def make(cls, quick: bool) -> Settings:
        if quick:
            return cls(seeds=20, sweep=50, penalties=("l2", "l1", "elastic-net"), steps=1000)
        return cls(seeds=50, sweep=100, penalties=("l2", "l1", "elastic-net"), steps=4000)
