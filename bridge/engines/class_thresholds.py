"""Per-class settings (thresholds, drum velocity references) that OSC and the config may change while an engine
runs, addressed by class name."""

from __future__ import annotations

import numpy as np


def set_class_threshold(thresholds: np.ndarray, classes: tuple[str, ...], value: float, name: str | None,
                        what: str) -> None:
    """Set ``thresholds`` (one per class, in place) to ``value``: every class's, or class ``name``'s only.

    Raises
    ------
    ValueError
        ``value`` is not between 0 and 1 (exclusive), or there is no class ``name``; ``what`` names the
        kind of class in the message ("drum", "instrument").
    """
    if not 0.0 < value < 1.0:
        raise ValueError(f"a {what} threshold is an activation between 0 and 1, got {value}")
    index = class_index(classes, name, what)
    if index is None:
        thresholds[:] = value
    else:
        thresholds[index] = value


def class_index(classes: tuple[str, ...], name: str | None, what: str) -> int | None:
    """The index of class ``name`` in ``classes``; None for None (every class).

    Raises
    ------
    ValueError
        There is no class ``name``; ``what`` names the kind of class in the message ("drum", "instrument").
    """
    if name is None:
        return None
    if name not in classes:
        raise ValueError(f"no {what} class '{name}'; the classes are {', '.join(classes)}")
    return classes.index(name)


def thresholds_by_name(thresholds: np.ndarray, classes: tuple[str, ...]) -> dict[str, float]:
    """The thresholds by class name, rounded to 4 decimals."""
    return {name: round(float(value), 4) for name, value in zip(classes, thresholds)}
