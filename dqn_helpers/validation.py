"""Argument checks that speak to a learner, written once for the whole package.

Each ``check_*`` function takes a value and the argument's name, and either
returns the value *normalized* to a plain Python type or raises:

- ``TypeError`` when the value has the wrong kind (a string where a number
  goes, a bool where an int goes, an int where a flag goes, ``None``);
- ``ValueError`` when the kind is right but the value is not (out of range,
  NaN or infinite, the wrong shape).

Both name the argument and say what was expected, e.g.
``TypeError: total_steps must be a positive int, got float 100000.0; write it as an int: 100_000``.

What a learner legitimately passes is accepted and normalized: NumPy scalars
and 0-d arrays or tensors become Python ``int``/``float``/``bool``
(``np.int64(3) -> 3``), sequences become tuples (``[64, 64] -> (64, 64)``).
So whatever a check accepts can be saved with ``torch.save`` and read back
with ``torch.load(..., weights_only=True)``.

This module imports nothing else from ``dqn_helpers`` (it is the bottom layer).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Iterable

import numpy as np

__all__ = [
    "check_bool",
    "check_callable",
    "check_choice",
    "check_device",
    "check_int",
    "check_int_tuple",
    "check_number",
    "check_path",
    "check_plain_data",
    "check_positive_int",
    "check_seed",
    "check_shape",
    "check_str",
    "describe",
    "python_scalar",
]


def describe(value: object, limit: int = 60) -> str:
    """``"str '128'"``: the type's name and a short repr, for error messages."""
    text = repr(value)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return f"{type(value).__name__} {text}"


def python_scalar(value: object) -> object:
    """A NumPy scalar or a 0-d array or tensor as the Python scalar it holds; anything else unchanged.

    ``np.int64(3) -> 3``, ``np.float32(0.5) -> 0.5``, ``np.bool_(True) -> True``,
    ``torch.tensor(2) -> 2``.  A one-element array of shape ``(1,)`` is *not* a scalar.
    """
    if type(value) in (int, float, bool, str) or value is None:
        return value
    if getattr(value, "ndim", None) == 0 and hasattr(value, "item"):
        try:
            return value.item()
        except (TypeError, ValueError, RuntimeError):
            return value
    return value


# ----------------------------------------------------------------------------- numbers


def _int_expectation(minimum: int | None, maximum: int | None) -> str:
    if minimum is not None and maximum is not None:
        return f"an int in [{minimum}, {maximum}]"
    if minimum == 1:
        return "a positive int"
    if minimum == 0:
        return "a non-negative int"
    if minimum is not None:
        return f"an int >= {minimum}"
    if maximum is not None:
        return f"an int <= {maximum}"
    return "an int"


def check_int(value: object, name: str, minimum: int | None = None, maximum: int | None = None) -> int:
    """``value`` as a Python ``int`` in ``[minimum, maximum]`` (either bound may be ``None``).

    Accepts ``int``, NumPy integers and 0-d integer arrays or tensors.  Refuses
    ``bool`` (``True`` is not a count), floats (even ``1e5``: the message says
    how to write it) and everything else, with a ``TypeError``; a value out of
    range gets a ``ValueError``.
    """
    scalar = python_scalar(value)
    expected = _int_expectation(minimum, maximum)
    if type(scalar) is bool or not isinstance(scalar, int):
        hint = ""
        if isinstance(scalar, float) and math.isfinite(scalar) and scalar.is_integer():
            hint = f"; write it as an int: {int(scalar):_}"
        elif isinstance(scalar, str):
            hint = "; write the number without quotes"
        raise TypeError(f"{name} must be {expected}, got {describe(value)}{hint}")
    scalar = int(scalar)
    if (minimum is not None and scalar < minimum) or (maximum is not None and scalar > maximum):
        raise ValueError(f"{name} must be {expected}, got {scalar}")
    return scalar


def check_positive_int(value: object, name: str) -> int:
    """``check_int(value, name, minimum=1)``."""
    return check_int(value, name, minimum=1)


def check_seed(seed: object, name: str = "seed") -> int:
    """``seed`` as a non-negative Python ``int`` (NumPy integers accepted), else a clear error."""
    return check_int(seed, name, minimum=0)


def check_number(
    value: object,
    name: str,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
    finite: bool = True,
) -> float:
    """``value`` as a Python ``float`` in the interval from ``low`` to ``high``.

    The interval is closed unless ``low_open`` / ``high_open``; a ``None``
    bound is no bound.  NaN is always refused; infinity too unless
    ``finite=False``.  ``bool``, strings, ``None`` and complex numbers get a
    ``TypeError``.
    """
    scalar = python_scalar(value)
    if type(scalar) is bool or not isinstance(scalar, (int, float)):
        hint = "; write the number without quotes" if isinstance(scalar, str) else ""
        raise TypeError(f"{name} must be a number (int or float), got {describe(value)}{hint}")
    number = float(scalar)
    if math.isnan(number):
        raise ValueError(f"{name} must be a number, got nan")
    if finite and math.isinf(number):
        raise ValueError(f"{name} must be finite, got {number}")
    too_low = low is not None and (number <= low if low_open else number < low)
    too_high = high is not None and (number >= high if high_open else number > high)
    if too_low or too_high:
        if low is not None and high is not None:
            where = f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        elif low is not None:
            where = f"{'>' if low_open else '>='} {low:g}"
        else:
            where = f"{'<' if high_open else '<='} {high:g}"
        raise ValueError(f"{name} must be {where}, got {number:g}")
    return number


# ----------------------------------------------------------------------------- flags, strings, choices


def check_bool(value: object, name: str) -> bool:
    """``value`` as a Python ``bool``: ``True``/``False`` or ``np.bool_``; anything else is a ``TypeError``.

    ``"False"`` is a non-empty string, hence truthy: accepting it would do the
    opposite of what was written.  ``0`` and ``1`` are refused too.
    """
    scalar = python_scalar(value)
    if type(scalar) is not bool:
        raise TypeError(f"{name} must be True or False, got {describe(value)}")
    return scalar


def check_str(value: object, name: str, example: str | None = None) -> str:
    """``value`` if it is a non-empty ``str``."""
    if not isinstance(value, str):
        such = f" such as {example!r}" if example else ""
        raise TypeError(f"{name} must be a str{such}, got {describe(value)}")
    if not value:
        raise ValueError(f"{name} must be a non-empty str, got ''")
    return value


def check_choice(value: object, name: str, choices: Iterable[Any]) -> Any:
    """``value`` if it equals one of ``choices`` (strings are matched exactly)."""
    choices = tuple(choices)
    allowed = ", ".join(repr(c) for c in choices)
    if any(type(c) is str for c in choices) and not isinstance(value, str):
        raise TypeError(f"{name} must be one of {allowed}, got {describe(value)}")
    try:
        if value in choices:
            return value
    except TypeError:  # an unhashable or uncomparable value
        pass
    raise ValueError(f"{name} must be one of {allowed}, got {value!r}")


def check_callable(value: object, name: str, what: str = "a function", *, optional: bool = False) -> Any:
    """``value`` if it can be called (or is ``None`` when ``optional``)."""
    if value is None and optional:
        return None
    if not callable(value):
        none = " or None" if optional else ""
        raise TypeError(f"{name} must be {what}{none}, got {describe(value)}")
    return value


# ----------------------------------------------------------------------------- sequences and shapes


def check_int_tuple(value: object, name: str, minimum: int | None = 1, *, example: str = "(64, 64)") -> tuple[int, ...]:
    """``value`` as a tuple of ints, each at least ``minimum``.

    Accepts a list, a tuple, a ``range``, or a 1-d integer array or tensor.
    Refuses a string (``"128"`` would otherwise become ``(1, 2, 8)``), a single
    number, a set (no order) and ``None``.
    """
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be a sequence of ints such as {example}, got {describe(value)}; "
                        "for one number n write (n,)")
    if getattr(value, "ndim", None) is not None and hasattr(value, "tolist"):  # an array or a tensor
        if value.ndim != 1:
            raise ValueError(f"{name} must be a 1-d sequence of ints such as {example}, got shape {tuple(value.shape)}")
        value = value.tolist()
    if not isinstance(value, (list, tuple, range)):
        hint = "; for one number n write (n,)" if isinstance(python_scalar(value), (int, float)) else ""
        raise TypeError(f"{name} must be a sequence of ints such as {example}, got {describe(value)}{hint}")
    return tuple(check_int(item, f"{name}[{i}]", minimum=minimum) for i, item in enumerate(value))


def check_shape(value: object, name: str) -> tuple[int, ...]:
    """An array shape: an int ``n`` means ``(n,)``; otherwise a sequence of positive ints."""
    scalar = python_scalar(value)
    if isinstance(scalar, int) and type(scalar) is not bool:
        return (check_int(scalar, name, minimum=1),)
    return check_int_tuple(value, name, minimum=1, example="(4,)")


# ----------------------------------------------------------------------------- paths and plain data


def check_path(value: object, name: str = "path") -> Path:
    """``value`` as a ``Path``: a non-empty ``str`` or an ``os.PathLike``."""
    if isinstance(value, Path):
        return value
    if isinstance(value, str):
        if not value:
            raise ValueError(f"{name} must name a file, got ''")
        return Path(value)
    if isinstance(value, os.PathLike):
        return Path(os.fspath(value))
    raise TypeError(f"{name} must be a file path (a str or pathlib.Path), got {describe(value)}")


_PLAIN = (type(None), bool, int, float, str, bytes)


def check_plain_data(value: object, name: str) -> Any:
    """``value`` made of plain data only, normalized: what ``torch.load(weights_only=True)`` reads back.

    Allowed: ``None``, ``bool``, ``int``, ``float``, ``str``, ``bytes``, and
    lists, tuples and dicts (with str keys) of those.  NumPy scalars become
    Python ones, arrays become (nested) lists.  Anything else (a function, an
    object) is a ``TypeError`` naming where it sits, e.g. ``env_kwargs['reward_fn']``.
    """
    value = python_scalar(value)
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, np.ndarray):
        return check_plain_data(value.tolist(), name)
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{name} must have str keys, got the key {describe(key)}")
            out[key] = check_plain_data(item, f"{name}[{key!r}]")
        return out
    if isinstance(value, (list, tuple)):
        items = [check_plain_data(item, f"{name}[{i}]") for i, item in enumerate(value)]
        return items if isinstance(value, list) else tuple(items)
    raise TypeError(
        f"{name} must hold plain data (numbers, strings, lists, dicts) so that it can be saved and loaded, "
        f"got {describe(value)}"
    )


def check_device(value: object, name: str = "device") -> str:
    """A torch device as a string (``"cpu"``, ``"cuda"``, ``"cuda:1"``); a ``torch.device`` is accepted."""
    import torch  # here, not at the top: the other checks need no torch

    if isinstance(value, torch.device):
        return str(value)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a device name such as 'cpu' or 'cuda', got {describe(value)}")
    try:
        return str(torch.device(value))
    except (RuntimeError, ValueError):
        raise ValueError(f"{name} must be a device name such as 'cpu', 'cuda' or 'cuda:0', got {value!r}") from None

