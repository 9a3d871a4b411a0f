"""Record classes, declared as with :mod:`dataclasses`, made in a fraction of the time.

The engine's model is some fifty small classes of named fields. Declared with
``dataclasses``, they cost a one-file ``validate`` a third of its run before
it read a byte: the module imports ``inspect`` (and with it ``ast``, ``dis``
and ``tokenize``), and each class gets three to six generated methods, each
compiled when the class is made. :func:`record` takes the same declarations
(annotated fields, plain defaults, :func:`field` with ``default_factory`` or
``repr=False``, ``__post_init__``) and compiles each method on its first
call, so a run pays only for the methods it uses; instances behave as the
dataclass would: the same ``__init__`` arguments, ``__repr__``, ``__eq__``
(and ``__hash__`` when frozen), ordering with ``order=True``,
:class:`FrozenInstanceError` when frozen.
"""

from __future__ import annotations

from typing import Any, Callable

MISSING: Any = object()  # no default given


class FrozenInstanceError(AttributeError):
    """An assignment to a field of a frozen record."""


class Field:
    """One field of a record: its name, default and how it shows."""

    __slots__ = ("name", "default", "default_factory", "repr", "compare")

    def __init__(self, default: Any = MISSING, default_factory: Any = MISSING, repr: bool = True,
                 compare: bool = True) -> None:
        if default is not MISSING and default_factory is not MISSING:
            raise ValueError("a field cannot have both a default and a default_factory")
        self.name = ""
        self.default = default
        self.default_factory = default_factory
        self.repr = repr
        self.compare = compare

    def __repr__(self) -> str:
        return f"Field({self.name!r})"


def field(*, default: Any = MISSING, default_factory: Callable[[], Any] | Any = MISSING, repr: bool = True,
          compare: bool = True) -> Any:
    """A field with a default made per instance, or left out of the repr or comparisons."""
    return Field(default, default_factory, repr, compare)


def record(cls: type | None = None, /, *, eq: bool = True, frozen: bool = False, order: bool = False) -> Any:
    """Make ``cls`` a record class: ``@record`` or ``@record(frozen=True, ...)``."""
    if order and not eq:
        raise ValueError("order=True needs eq=True")

    def wrap(cls: type) -> type:
        return _make(cls, eq, frozen, order)

    return wrap if cls is None else wrap(cls)


def fields(obj_or_class: Any) -> tuple[Field, ...]:
    """The fields of a record class or instance, in declaration order."""
    found = getattr(obj_or_class, "__record_fields__", None)
    if found is None:
        raise TypeError(f"{obj_or_class!r} is not a record")
    return tuple(found.values())


def replace(obj: Any, /, **changes: Any) -> Any:
    """A copy of a record with some fields changed."""
    for name in obj.__record_fields__:
        if name not in changes:
            changes[name] = getattr(obj, name)
    return obj.__class__(**changes)


def asdict(obj: Any) -> Any:
    """A record as a dict of its fields, records inside it too (lists, tuples and dicts copied)."""
    if hasattr(type(obj), "__record_fields__"):
        return {name: asdict(getattr(obj, name)) for name in obj.__record_fields__}
    if isinstance(obj, (list, tuple)):
        return type(obj)(asdict(item) for item in obj)
    if isinstance(obj, dict):
        return {asdict(key): asdict(value) for key, value in obj.items()}
    return obj


# -- making the class ------------------------------------------------------------------------------


_ORDER = (("__lt__", "<"), ("__le__", "<="), ("__gt__", ">"), ("__ge__", ">="))
_COMPARISONS = dict((("__eq__", "=="), *_ORDER))  # method -> the operator it compares field tuples with


def _make(cls: type, eq: bool, frozen: bool, order: bool) -> type:
    own = _own_fields(cls)
    every: dict[str, Field] = {}
    for base in reversed(cls.__mro__[1:]):
        every.update(getattr(base, "__record_fields__", {}))
    every.update(own)
    _check_order(cls, every)
    cls.__record_fields__ = every
    # Each method is written when it is first called: most of a run's classes
    # need only __init__, and some not even that.
    names = ["__init__", "__repr__"] + (["__eq__"] if eq else []) + ([m for m, _ in _ORDER] if order else []) \
        + (["__setattr__", "__delattr__"] if frozen else []) + (["__hash__"] if eq and frozen else [])
    for name in names:
        if name not in cls.__dict__:
            setattr(cls, name, _placeholder(cls, name, (eq, frozen, order)))
    if eq and not frozen and "__hash__" not in cls.__dict__:
        cls.__hash__ = None  # type: ignore[assignment] - equal by value and mutable: unhashable, as dataclasses
    return cls


def _placeholder(cls: type, name: str, plan: tuple) -> Callable:
    """A method that writes itself on its first call, then runs."""

    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        _write_method(cls, name, *plan)
        return getattr(cls, name)(self, *args, **kwargs)

    method.__name__, method.__qualname__ = name, f"{cls.__qualname__}.{name}"
    method.__record_placeholder__ = True  # type: ignore[attr-defined]
    return method


def _write_method(cls: type, name: str, eq: bool, frozen: bool, order: bool) -> None:
    every = cls.__record_fields__
    namespace: dict[str, Any] = {"MISSING": MISSING, "FrozenInstanceError": FrozenInstanceError, "cls": cls}
    compared = [field_name for field_name, f in every.items() if f.compare]
    if name == "__init__":
        lines = _init_lines(cls, every, frozen, namespace)
    elif name == "__repr__":
        lines = _repr_lines(every)
    elif name == "__hash__":
        lines = ["def __hash__(self):", f"    return hash({_tuple_of('self', compared)})"]
    elif name in ("__setattr__", "__delattr__"):
        lines = _frozen_lines(name)
    else:
        lines = _compare_lines(name, _COMPARISONS[name], compared)
    exec("\n".join(lines), namespace)  # noqa: S102 - our own generated source, as dataclasses does
    if getattr(cls.__dict__.get(name), "__record_placeholder__", False):
        function = namespace[name]
        function.__qualname__ = f"{cls.__qualname__}.{name}"
        setattr(cls, name, function)


def _own_fields(cls: type) -> dict[str, Field]:
    found: dict[str, Field] = {}
    for name, annotation in cls.__dict__.get("__annotations__", {}).items():
        if str(annotation).startswith(("ClassVar", "typing.ClassVar")):
            continue
        value = cls.__dict__.get(name, MISSING)
        spec = value if isinstance(value, Field) else Field(default=value)
        if isinstance(spec.default, (list, dict, set)):
            raise ValueError(f"mutable default {type(spec.default).__name__} for field {name}: use default_factory")
        spec.name = name
        if spec.default is MISSING:
            if name in cls.__dict__:
                delattr(cls, name)
        else:
            setattr(cls, name, spec.default)
        found[name] = spec
    return found


def _check_order(cls: type, every: dict[str, Field]) -> None:
    seen_default = False
    for name, spec in every.items():
        has_default = spec.default is not MISSING or spec.default_factory is not MISSING
        if seen_default and not has_default:
            raise TypeError(f"{cls.__name__}: non-default field {name!r} follows a default field")
        seen_default = seen_default or has_default


def _init_lines(cls: type, every: dict[str, Field], frozen: bool, namespace: dict) -> list[str]:
    parameters, body = ["self"], []
    for name, spec in every.items():
        if spec.default_factory is not MISSING:
            namespace[f"factory_{name}"] = spec.default_factory
            parameters.append(f"{name}=MISSING")
            value = f"factory_{name}() if {name} is MISSING else {name}"
        else:
            if spec.default is not MISSING:
                namespace[f"default_{name}"] = spec.default
                parameters.append(f"{name}=default_{name}")
            else:
                parameters.append(name)
            value = name
        body.append(f"    object.__setattr__(self, {name!r}, {value})" if frozen else f"    self.{name} = {value}")
    if hasattr(cls, "__post_init__"):
        body.append("    self.__post_init__()")
    return [f"def __init__({', '.join(parameters)}):", *(body or ["    pass"])]


def _repr_lines(every: dict[str, Field]) -> list[str]:
    shown = ", ".join(f"{name}={{self.{name}!r}}" for name, spec in every.items() if spec.repr)
    return ["def __repr__(self):", f"    return f'{{self.__class__.__qualname__}}({shown})'"]


def _tuple_of(owner: str, names: list[str]) -> str:
    return "(" + "".join(f"{owner}.{name}," for name in names) + ")"


def _compare_lines(method: str, operator: str, names: list[str]) -> list[str]:
    return [f"def {method}(self, other):",
            "    if other.__class__ is self.__class__:",
            f"        return {_tuple_of('self', names)} {operator} {_tuple_of('other', names)}",
            "    return NotImplemented"]


def _frozen_lines(method: str) -> list[str]:
    signature = "self, name, value" if method == "__setattr__" else "self, name"
    return [f"def {method}({signature}):",
            "    if type(self) is cls or name in cls.__record_fields__:",
            "        raise FrozenInstanceError(f'cannot assign to field {name!r}')",
            f"    super(cls, self).{method}({signature.replace('self, ', '')})"]


__all__ = ["FrozenInstanceError", "MISSING", "Field", "asdict", "field", "fields", "record", "replace"]
