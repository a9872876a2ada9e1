"""Module: the container that knows its parameters.

Assigning a :class:`~fnlearn.Parameter` or another :class:`Module` as an attribute registers it, so
``parameters()`` finds every weight of a model however it is nested.

Example:
    >>> import fnlearn as fl, numpy as np
    >>> class Line(fl.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.w = fl.Parameter(np.ones(1)); self.b = fl.Parameter(np.zeros(1))
    ...     def forward(self, x):
    ...         return self.w * x + self.b
    >>> [name for name, _ in Line().named_parameters()]
    ['w', 'b']
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .. import backend
from ..errors import ShapeError
from ..tensor import Parameter, Tensor


class Module:
    """Base class of layers and models: parameter registry, train/eval mode, state dicts."""

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)

    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            Module.__init__(self)  # subclasses that forgot super().__init__() still register
        params, modules = self.__dict__["_parameters"], self.__dict__["_modules"]
        params.pop(name, None)
        modules.pop(name, None)
        if isinstance(value, Parameter):
            params[name] = value
        elif isinstance(value, Module):
            modules[name] = value
        object.__setattr__(self, name, value)

    def forward(self, *args: Any, **kwargs: Any) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} must define forward().")

    def __call__(self, *args: Any, **kwargs: Any) -> Tensor:
        return self.forward(*args, **kwargs)

    def children(self) -> Iterator[tuple[str, Module]]:
        yield from self.__dict__.get("_modules", {}).items()

    def modules(self) -> Iterator[Module]:
        """This module and every module inside it, depth first, in registration order."""
        yield self
        for _, child in self.children():
            yield from child.modules()

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) for every parameter, each once, in registration order."""
        seen: set[int] = set()
        stack = [(prefix, self)]
        while stack:
            pre, mod = stack.pop(0)
            for name, p in mod.__dict__.get("_parameters", {}).items():
                if id(p) not in seen:
                    seen.add(id(p))
                    yield pre + name, p
            stack[0:0] = [(f"{pre}{name}.", child) for name, child in mod.children()]

    def parameters(self) -> list[Parameter]:
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = None

    def train(self, mode: bool = True) -> Module:
        """Training mode (Dropout active); ``eval()`` switches it off."""
        object.__setattr__(self, "training", mode)
        for _, child in self.children():
            child.train(mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of every parameter as NumPy arrays, by dotted name."""
        return {name: backend.to_numpy(p.data).copy() for name, p in self.named_parameters()}

    def load_state_dict(self, state: dict[str, Any], strict: bool = True) -> None:
        """Copy values into the parameters; every name and shape is checked before anything changes."""
        own = dict(self.named_parameters())
        if strict:
            missing = sorted(set(own) - set(state))
            extra = sorted(set(state) - set(own))
            if missing or extra:
                raise ShapeError(
                    f"state dict does not match the model: missing {missing or 'nothing'}, unexpected "
                    f"{extra or 'nothing'}; load a state saved from the same architecture."
                )
        staged = {}
        for name, value in state.items():
            if name not in own:
                continue
            arr = np.asarray(backend.to_numpy(value.data if isinstance(value, Tensor) else value))
            if arr.shape != own[name].shape:
                raise ShapeError(f"parameter {name!r} has shape {own[name].shape} in the model but {arr.shape} "
                                 "in the state dict; load a state saved from the same architecture.")
            staged[name] = arr
        for name, arr in staged.items():
            # copy into the existing array, so anything holding it (an optimizer, a compiled step) sees the values
            p = own[name]
            if getattr(p.data.flags, "writeable", True):
                p.data[...] = backend.to_device(arr.astype(p.data.dtype, copy=False))
            else:
                p.data = backend.to_device(arr.astype(p.data.dtype, copy=True))
            p.grad = None

    def to(self, device: str) -> Module:
        """Move every parameter to ``"cpu"`` or ``"cuda"`` (and make that the current backend).

        A compiled model's optimizer state (momentum, Adam's moments) moves with it, so training goes on
        where it left off. Data given afterwards as NumPy arrays is moved to the device automatically.

        >>> import fnlearn as fl
        >>> m = fl.Sequential([fl.layers.Dense(2, input_dim=3)]).to("cpu")
        >>> type(m.parameters()[0].data).__module__
        'numpy'
        """
        backend.set_device(device)  # refuses an unknown or unavailable device before anything moves
        for p in self.parameters():
            p.data = backend.to_device(backend.to_numpy(p.data))
            p.grad = None
        optimizer = getattr(self, "optimizer", None)
        for state in getattr(optimizer, "state", None) or ():
            for key, value in state.items():
                if hasattr(value, "shape"):
                    state[key] = backend.to_device(backend.to_numpy(value))
        return self

    def num_parameters(self) -> int:
        return int(sum(p.size for p in self.parameters()))
