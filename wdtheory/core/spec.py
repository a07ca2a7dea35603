"""Safe parser of the spec mini-language, e.g. ``torch.sgd(lr=0.1, momentum=mu, nesterov=true)``.

A spec is also what a training script writes: ``torch.optim.AdamW(model.parameters(), lr=1e-3,
betas=(0.9, 0.999), foreach=True)`` parses (what its names and arguments mean is decided by the
layer that reads the spec, e.g. :mod:`wdtheory.optim.optimizer`). Grammar (spaces allowed between
tokens; a trailing comma inside the parentheses is fine)::

    spec      := "symbolic" "(" call ")"                  every left-out hyperparameter a symbol
               | call
    call      := name [ "(" [ arguments ] ")" ]
               | chain "(" piece { "," piece } ")"       chain, optax.chain
    piece     := name [ "(" [ arguments ] ")" ]           a transformation or an optimizer
    arguments := positional { "," positional } { "," keyword } | keyword { "," keyword }
    name      := ident { "." ident }                     1 to 5 dot-separated parts
    positional:= item | reference
    keyword   := ident "=" ( item | reference )          no repeats
    item      := value | "None" | "(" value "," ... ")" | "[" value "," ... "]"   (at most 8)
    value     := [ "+" | "-" ] number                    a single sign, only before a number
               | "true" | "false" | "True" | "False"     booleans
               | ident                                   a real SymPy symbol, e.g. mu
    reference := name [ "(" ")" ]                        2 or more parts, or a call without
                                                         arguments: model.parameters(), jnp.float32
    ident     := [A-Za-z][A-Za-z0-9_]{0,31}               ASCII, no leading _, not a keyword
    number    := digits [ "." [ digits ] ] [ ("e" | "E") [ "+" | "-" ] digits ]  (or ".5")

Numbers are exact: ``0.1`` is ``Rational(1, 10)``, ``1e-4`` is ``Rational(1, 10000)``, ``3`` is
``Integer(3)``. A number literal has at most 40 characters and 30 significant digits, and its
absolute value is 0 or between 1e-30 and 1e15. Hex, octal, binary, complex numbers, digit
separators (``1_000``) and leading zeros (``010``) are refused. A reference (the parameters a
constructor takes, a dtype) is kept as its text, a :class:`Reference`: it names something in the
user's script that wdtheory never looks up.

Safety: the text is limited to 500 printable ASCII characters, and quotes and ``#`` are refused
before parsing. It is then parsed with ``ast.parse(text, mode="eval")`` (which only builds a tree)
and walked against a whitelist at a fixed depth. Nothing is evaluated, compiled to code, imported
or sympified; a symbol is made with ``sympy.Symbol(name, real=True)`` only after its name passed
the identifier whitelist. Every refusal is a one-line :class:`~wdtheory.core.errors.SpecError`.
"""

from __future__ import annotations

import ast
import keyword
import re
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy

from wdtheory.core.errors import SpecError, did_you_mean

__all__ = [
    "CHAINS",
    "Item",
    "Reference",
    "Spec",
    "Value",
    "format_item",
    "format_number",
    "is_decimal",
    "parse_spec",
]

Value = bool | sympy.Rational | sympy.Integer | sympy.Symbol


@dataclass(frozen=True)
class Reference:
    """An argument that names something in the user's script (``model.parameters()``,
    ``jnp.bfloat16``): kept as text, never looked up or evaluated."""

    text: str

    def __post_init__(self) -> None:
        name = self.text.removesuffix("()")
        if not isinstance(self.text, str) or not _is_dotted(name, MAX_PARTS):
            raise SpecError(f"bad reference {_q(str(self.text))}: a dotted name, or one called ()")


#: what a spec argument holds: a value, None, a tuple of values, or a reference
Item = Value | None | tuple[Value, ...] | Reference  # or, as a chain's argument, a Spec

MAX_LENGTH = 500
MAX_NUMBER_LENGTH = 40
MAX_DIGITS = 30
MAX_ABS = 10**15
MIN_EXPONENT = -30  # smallest non-zero magnitude is 1e-30
MAX_PARTS = 5  # tensorflow.keras.optimizers.experimental.AdamW
MAX_TUPLE = 8
SYMBOLIC = "symbolic"
#: the calls whose positional arguments are calls themselves (one level deep): a chain of
#: transformations, ``chain(trace(decay=0.9), ...)`` or ``optax.chain(optax.adam(1e-3), ...)``
CHAINS = ("chain", "optax.chain")

FORM = "write name or name(key=value, ...), e.g. torch.sgd(lr=0.1, momentum=mu)"
ITEMS = "an argument is a number, true/false, None, a name, or a tuple of those: betas=(0.9, 0.999)"
NAMES = (
    "a name is ASCII letters, digits and '_', starts with a letter, has at most 32 characters "
    "and is not a Python keyword"
)
VALUES = "a value is a decimal number (3, -0.1, 1e-4), true/false or a name (mu)"
NUMBERS = (
    "numbers are decimal (3, 0.1, 1e-4), at most 40 characters and 30 significant digits, "
    "0 or between 1e-30 and 1e15 in absolute value"
)

_IDENT = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}")
_DECIMAL = re.compile(
    r"(?=\.?[0-9])(?P<int>[0-9]*)(?:\.(?P<frac>[0-9]*))?(?:[eE](?P<exp>[+-]?[0-9]+))?"
)
# Anything the tokenizer could read as a number literal, including invalid ones such as `1if`
# or the `.5not` in `sgd.5not` (a digit starts one unless it continues a name; `.digit` always).
_NUMBER_RUN = re.compile(r"(?:(?<![A-Za-z0-9_.])[0-9]|\.[0-9])(?:[eE][+-]|[A-Za-z0-9_.])*")
_BOOLS = {"true": True, "false": False}

_FORBIDDEN: dict[type, str] = {
    ast.BinOp: "expressions are not allowed, write a number or a name",
    ast.BoolOp: "expressions are not allowed, write a number or a name",
    ast.Compare: "expressions are not allowed, write a number or a name",
    ast.UnaryOp: "expressions are not allowed, write a number or a name",
    ast.Call: "calls are not allowed",
    ast.Attribute: "attribute access is not allowed",
    ast.Subscript: "subscripts are not allowed",
    ast.Lambda: "lambdas are not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.List: "a list or tuple holds numbers, booleans or names, not lists or tuples",
    ast.Tuple: "a list or tuple holds numbers, booleans or names, not lists or tuples",
    ast.Dict: "dicts and sets are not allowed",
    ast.Set: "dicts and sets are not allowed",
    ast.NamedExpr: "':=' is not allowed",
    ast.Starred: "'*' is not allowed",
    ast.IfExp: "conditional expressions are not allowed",
    ast.Yield: "yield is not allowed",
    ast.YieldFrom: "yield is not allowed",
    ast.Await: "await is not allowed",
    ast.JoinedStr: "strings are not allowed",
}


def _q(fragment: str) -> str:
    """The fragment as a repr, truncated to about 40 characters."""
    return repr(fragment if len(fragment) <= 40 else fragment[:37] + "...")


@dataclass(frozen=True, eq=False)
class Spec:
    """A parsed spec: a dotted ``name``, positional ``args`` and keyword ``params`` in the order
    written, and ``symbolic``: every left-out hyperparameter is asked to be a symbol.

    Values are ``bool``, exact ``sympy.Integer``/``sympy.Rational`` (terminating decimals),
    ``sympy.Symbol(name, real=True)``, ``None``, tuples of values, and :class:`Reference`. Equality is order-sensitive and tells ``true`` from ``1`` (which SymPy
    alone would not: ``Integer(1) == True``). Construction validates like :func:`parse_spec`, so
    ``parse_spec(spec.text()) == spec`` holds for every spec.
    """

    name: str
    params: tuple[tuple[str, Item], ...] = ()
    args: tuple[Item, ...] = ()
    symbolic: bool = False

    def __post_init__(self) -> None:
        _check_name(self.name)
        try:
            params = tuple((key, value) for key, value in self.params)
            args = tuple(self.args)
        except (TypeError, ValueError):
            raise SpecError(f"params of {self.name} must be (key, value) pairs") from None
        object.__setattr__(self, "params", params)
        object.__setattr__(self, "args", args)
        if not isinstance(self.symbolic, bool):
            raise SpecError(f"symbolic must be true or false, not {self.symbolic!r}")
        for index, value in enumerate(args, start=1):
            if isinstance(value, Spec) and self.name in CHAINS and not value.symbolic:
                if any(isinstance(a, Spec) for a in value.args):
                    raise SpecError(f"{value.name}: a chain's piece takes values, not calls")
                continue
            _check_item(f"argument {index}", value)
        seen: set[str] = set()
        for key, value in params:
            _check_ident(key, "parameter name")
            if key in seen:
                raise SpecError(f"duplicate parameter {key!r} for {self.name}; give each once")
            seen.add(key)
            _check_item(key, value)
        if len(self.text()) > MAX_LENGTH:  # so that text() always parses back
            raise SpecError(f"spec {_q(self.text())} is too long in canonical form (at most 500)")

    def _key(self) -> tuple[object, ...]:
        return (
            self.name,
            tuple((k, _item_key(v)) for k, v in self.params),
            tuple(_item_key(a) for a in self.args),
            self.symbolic,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Spec):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def get(self, key: str, default: Any = None) -> Any:
        """The value of ``key``, or ``default`` if it was not given."""
        for k, value in self.params:
            if k == key:
                return value
        return default

    def keys(self) -> tuple[str, ...]:
        """The parameter names in the order written."""
        return tuple(key for key, _ in self.params)

    def as_dict(self) -> dict[str, Item]:
        """The parameters as a new dict (in the order written)."""
        return dict(self.params)

    def check_params(self, allowed: Iterable[str]) -> None:
        """Raise :class:`SpecError` naming the first parameter that is not in ``allowed`` (and the
        first positional argument: this spec takes keywords only)."""
        if self.args:
            raise SpecError(
                f"positional argument {_q(format_item(self.args[0]))} is not allowed for "
                f"{self.name}; write key=value"
            )
        allowed = tuple(dict.fromkeys(allowed))
        for key in self.keys():
            if key not in allowed:
                raise SpecError(
                    f"unknown parameter {key!r} for {self.name}{did_you_mean(key, allowed)}; "
                    f"allowed: {', '.join(allowed) or 'none'}"
                )

    def text(self) -> str:
        """Canonical text: ``name`` or ``name(arg, ..., k=v, ...)``, in ``symbolic(...)`` when
        symbolic; numbers as exact decimals."""
        arguments = [format_item(a) for a in self.args]
        arguments += [f"{k}={format_item(v)}" for k, v in self.params]
        call = f"{self.name}({', '.join(arguments)})" if arguments else self.name
        return f"{SYMBOLIC}({call})" if self.symbolic else call

    def __str__(self) -> str:
        return self.text()


def parse_spec(text: str) -> Spec:
    """Parse spec text (see the module docstring for the grammar) into a :class:`Spec`.

    Raises :class:`SpecError`, and only that, for any input that is not a valid spec; the message
    is one line naming the offending fragment and what is allowed.
    """
    try:
        return _parse(text)
    except SpecError:
        raise
    except (RecursionError, MemoryError):
        raise SpecError(f"spec is too deeply nested or too large; {FORM}") from None
    except Exception as exc:  # the contract: nothing but SpecError escapes
        raise SpecError(f"cannot parse spec ({type(exc).__name__}); {FORM}") from exc


def _parse(text: object) -> Spec:
    if not isinstance(text, str):
        raise SpecError(f"a spec must be a str, not {type(text).__name__}; {FORM}")
    text = str.__str__(text)  # a plain str, whatever a subclass overrides
    if len(text) > MAX_LENGTH:
        raise SpecError(f"spec {_q(text)} is too long ({len(text)} characters, at most 500)")
    for i, ch in enumerate(text):
        if not " " <= ch <= "~":
            kind = "non-ASCII" if ord(ch) > 127 else "control"
            raise SpecError(
                f"{kind} character {ch!r} (U+{ord(ch):04X}) at position {i} in {_q(text)}; "
                "specs are printable ASCII on one line (tabs, newlines and null bytes are refused)"
            )
    src = text.strip(" ")
    if not src:
        raise SpecError(f"empty spec; {FORM}")
    for chars, what in (("'\"", "strings are not allowed"), ("#", "comments are not allowed")):
        i = next((i for i, ch in enumerate(src) if ch in chars), -1)
        if i >= 0:
            raise SpecError(f"{what}: {_q(src[i:])}; {FORM}")
    for run in _NUMBER_RUN.finditer(src):
        _number(run.group())
    try:
        tree = ast.parse(src, mode="eval")  # builds a tree only; nothing is executed
    except SyntaxError as exc:
        at = src[exc.offset - 1 :] if exc.offset and exc.offset >= 1 else src
        raise SpecError(
            f"cannot parse spec at {_q(at) if at else 'end of input'}: {exc.msg}; {FORM}"
        ) from None
    body, symbolic = tree.body, False
    if _is_symbolic_wrapper(body):
        if body.keywords or len(body.args) != 1 or _is_symbolic_wrapper(body.args[0]):
            raise SpecError(
                f"symbolic(...) takes one spec, e.g. symbolic(torch.sgd(momentum=mu)); got "
                f"{_q(_seg(src, body))}"
            )
        body, symbolic = body.args[0], True
    if not isinstance(body, ast.Call):
        return Spec(_dotted(body, src), symbolic=symbolic)
    return _call(body, src, symbolic, nested=True)


def _call(body: ast.Call, src: str, symbolic: bool, nested: bool) -> Spec:
    """A call's spec; its positional arguments may be calls when it is a chain and ``nested``
    (one level: a chain's pieces take values only)."""
    name = _dotted(body.func, src)
    pieces = nested and name in CHAINS
    args = tuple(
        _piece(arg, src) if pieces else _argument(arg, src, f"argument {i}")
        for i, arg in enumerate(body.args, start=1)
    )
    params = []
    for kw in body.keywords:
        if kw.arg is None:
            raise SpecError(f"'**' argument {_q(_seg(src, kw))} is not allowed; write key=value")
        _check_ident(kw.arg, "parameter name")
        params.append((kw.arg, _argument(kw.value, src, kw.arg)))
    return Spec(name, tuple(params), args, symbolic)


def _piece(node: ast.expr, src: str) -> Spec:
    """A chain's piece: a call (``trace(decay=0.9)``, ``optax.adam(1e-3)``) or a bare name
    (``scale_by_adam``), whose arguments are values."""
    if isinstance(node, ast.Call):
        if _dotted(node.func, src) in CHAINS:
            raise SpecError(f"a chain inside a chain: {_q(_seg(src, node))}; write its pieces")
        return _call(node, src, False, nested=False)
    if not isinstance(node, ast.Name | ast.Attribute):
        raise SpecError(
            f"{_q(_seg(src, node))} in a chain is not a transformation; write one as a call, "
            "e.g. chain(trace(decay=0.9), scale_by_learning_rate(learning_rate=0.1))"
        )
    return Spec(_dotted(node, src))


def _is_symbolic_wrapper(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == SYMBOLIC
        and bool(node.args)
    )


def _seg(src: str, node: ast.AST) -> str:
    # Column offsets are UTF-8 byte offsets; the text is ASCII on one line, so they index chars.
    return src[node.col_offset : node.end_col_offset]  # type: ignore[attr-defined]


def _dotted(node: ast.AST, src: str) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        raise SpecError(f"bad spec name {_q(_seg(src, node))}: expected a dotted name; {FORM}")
    parts.append(node.id)
    name = ".".join(reversed(parts))
    _check_name(name)
    return name


def _argument(node: ast.expr, src: str, key: str) -> Item:
    """An argument: an item, or a reference to something in the user's script."""
    if isinstance(node, ast.Starred):
        raise SpecError(f"'*' argument {_q(_seg(src, node))} is not allowed; write key=value")
    called = isinstance(node, ast.Call)
    target = node.func if called else node
    if called and (node.args or node.keywords):
        raise SpecError(
            f"bad argument {_q(_seg(src, node))}: a call with arguments is not allowed; write "
            "a value as a number or a name, the parameters as a name or m.parameters()"
        )
    if called or isinstance(node, ast.Attribute):
        if not _is_dotted(_seg(src, target), MAX_PARTS):
            raise SpecError(f"bad argument {_q(_seg(src, node))}: expected a dotted name; {ITEMS}")
        return Reference(_seg(src, target) + ("()" if called else ""))
    return _item(node, src, key)


def _item(node: ast.expr, src: str, key: str) -> Item:
    """A value, ``None`` or a tuple (or list) of values."""
    if isinstance(node, ast.Constant) and node.value is None:
        return None
    if isinstance(node, ast.Tuple | ast.List):
        if not 1 <= len(node.elts) <= MAX_TUPLE:
            raise SpecError(
                f"bad value {_q(_seg(src, node))} for {key!r}: a tuple holds 1 to {MAX_TUPLE} "
                f"values; {ITEMS}"
            )
        return tuple(_value(element, src, key) for element in node.elts)
    return _value(node, src, key)


def _value(node: ast.expr, src: str, key: str) -> Value:
    if isinstance(node, ast.Name):
        if node.id in _BOOLS:
            return _BOOLS[node.id]
        _check_ident(node.id, "value", f" for {key!r}")
        return sympy.Symbol(node.id, real=True)
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool):
            return node.value
        if type(node.value) in (int, float):
            return _number(_seg(src, node))
        reason = {
            complex: "complex numbers are not allowed",
            str: "strings are not allowed",
            bytes: "strings are not allowed",
            type(None): "None is allowed only as a whole argument",
        }.get(type(node.value), "this constant is not allowed")
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd | ast.USub):
        operand = node.operand
        if isinstance(operand, ast.Constant) and type(operand.value) in (int, float):
            value = _number(_seg(src, operand))
            return -value if isinstance(node.op, ast.USub) else value
        reason = "a sign (+ or -) is only allowed directly before a number"
    else:
        reason = _FORBIDDEN.get(type(node), f"{type(node).__name__} is not allowed")
    raise SpecError(f"bad value {_q(_seg(src, node))} for {key!r}: {reason}; {VALUES}")


def _number(literal: str) -> sympy.Rational:
    """The exact value of a decimal literal (no sign), refusing anything else."""
    if len(literal) > MAX_NUMBER_LENGTH:
        raise SpecError(f"number out of range: {_q(literal)}; {NUMBERS}")
    match = _DECIMAL.fullmatch(literal)
    if match is None:
        if "_" in literal:
            reason = "digit separators '_' are not allowed"
        elif literal[:2].lower() in ("0x", "0o", "0b"):
            reason = "only decimal numbers are allowed (no hex, octal or binary)"
        elif literal[-1] in "jJ" and _DECIMAL.fullmatch(literal[:-1]):
            reason = "complex numbers are not allowed"
        else:
            reason = "not a decimal number"
        raise SpecError(f"bad number {_q(literal)}: {reason}; {NUMBERS}")
    integer, frac, exp = match["int"], match["frac"] or "", match["exp"] or "0"
    if len(integer) > 1 and integer[0] == "0" and match["frac"] is None and match["exp"] is None:
        raise SpecError(f"bad number {_q(literal)}: leading zeros are not allowed; {NUMBERS}")
    digits = (integer + frac).lstrip("0")
    if not digits:
        return sympy.Integer(0)
    # Order of magnitude, checked before any big power of ten is built.
    magnitude = int(exp) - len(frac) + len(digits) - 1
    if not MIN_EXPONENT <= magnitude <= 15:
        raise SpecError(f"number out of range: {_q(literal)}; {NUMBERS}")
    exact = Fraction(literal)  # exact: parsed from the text, never through a float
    value = sympy.Rational(exact.numerator, exact.denominator)
    _check_number(value, literal)
    return value


def _decimal_places(q: int) -> int | None:
    """Smallest k with q dividing 10**k, or None if 1/q is not a terminating decimal."""
    twos = fives = 0
    while q % 2 == 0:
        q, twos = q // 2, twos + 1
    while q % 5 == 0:
        q, fives = q // 5, fives + 1
    return max(twos, fives) if q == 1 else None


def _check_number(value: sympy.Rational, fragment: str) -> None:
    p, q = abs(int(value.p)), int(value.q)
    if p == 0:
        return
    if p > MAX_ABS * q or p * 10**-MIN_EXPONENT < q:
        raise SpecError(f"number out of range: {_q(fragment)}; {NUMBERS}")
    places = _decimal_places(q) if q <= 10**60 else None
    if places is None:
        raise SpecError(f"number {_q(fragment)} is not a terminating decimal; {NUMBERS}")
    if len(str(p * 10**places // q).strip("0")) > MAX_DIGITS:
        raise SpecError(f"number {_q(fragment)} has too many significant digits; {NUMBERS}")


def is_decimal(value: object) -> bool:
    """Whether ``value`` is a rational with a terminating decimal (``1/8`` is, ``1/3`` is not)."""
    return isinstance(value, sympy.Rational) and _decimal_places(int(value.q)) is not None


def format_number(value: sympy.Rational) -> str:
    """Exact decimal text of a terminating decimal (:func:`is_decimal`): plain (``0.0001``)
    unless scientific (``2.5e-7``) is much shorter."""
    p, q = abs(int(value.p)), int(value.q)
    places = _decimal_places(q)
    if places is None:
        raise ValueError(f"{value} is not a terminating decimal")
    if p == 0:
        return "0"
    digits = str(p * 10**places // q)  # value = digits * 10**-places exactly
    plain = digits
    if places:
        padded = digits.rjust(places + 1, "0")
        plain = f"{padded[:-places]}.{padded[-places:]}"
    mantissa = digits.rstrip("0")
    exponent = len(digits) - 1 - places
    sci = f"{mantissa[0]}{'.' if len(mantissa) > 1 else ''}{mantissa[1:]}e{exponent}"
    return ("-" if value.p < 0 else "") + (plain if len(plain) <= len(sci) + 3 else sci)


def _format_value(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, sympy.Symbol):
        return value.name
    return format_number(value)


def format_item(item: Item) -> str:
    """An argument as spec text: ``None``, ``(0.9, 0.999)``, ``model.parameters()``, ``0.1``."""
    if item is None:
        return "None"
    if isinstance(item, Reference):
        return item.text
    if isinstance(item, Spec):
        return item.text()
    if isinstance(item, tuple):
        inside = ", ".join(_format_value(v) for v in item)
        return f"({inside},)" if len(item) == 1 else f"({inside})"
    return _format_value(item)


def _item_key(item: Item) -> object:
    """What equality compares: a value with its kind (``true`` is not ``1``)."""
    if isinstance(item, tuple):
        return ("tuple", tuple(_item_key(v) for v in item))
    if isinstance(item, Reference):
        return ("reference", item.text)
    if isinstance(item, Spec):
        return ("spec", item._key())
    return (type(item) is bool, item)


def _is_ident(word: str) -> bool:
    return _IDENT.fullmatch(word) is not None and not keyword.iskeyword(word)


def _is_dotted(text: str, parts: int) -> bool:
    """Whether ``text`` is 1 to ``parts`` identifiers joined by dots (no spaces)."""
    words = text.split(".")
    return len(words) <= parts and all(_is_ident(w) for w in words)


def _check_ident(word: object, what: str, where: str = "") -> None:
    if not isinstance(word, str) or not _is_ident(word):
        shown = _q(word) if isinstance(word, str) else type(word).__name__
        raise SpecError(f"bad {what} {shown}{where}: {NAMES}")


def _check_name(name: object) -> None:
    if not isinstance(name, str):
        raise SpecError(f"a spec name must be a str, not {type(name).__name__}; {FORM}")
    if not _is_dotted(name, MAX_PARTS):
        raise SpecError(f"bad spec name {_q(name)}: 1 to {MAX_PARTS} dot-separated parts; {NAMES}")


def _check_item(key: str, item: object) -> None:
    if item is None or isinstance(item, Reference):
        return
    if isinstance(item, tuple):
        if not 1 <= len(item) <= MAX_TUPLE:
            raise SpecError(f"bad value for {key!r}: a tuple holds 1 to {MAX_TUPLE} values")
        for value in item:
            _check_value(key, value)
        return
    _check_value(key, item)


def _check_value(key: str, value: object) -> None:
    if isinstance(value, bool):
        return
    if isinstance(value, sympy.Symbol):
        _check_ident(value.name, "symbol", f" for {key!r}")
        if value.name in _BOOLS or value != sympy.Symbol(value.name, real=True):
            raise SpecError(f"bad symbol {value.name!r} for {key!r}: need Symbol(name, real=True)")
        return
    if isinstance(value, sympy.Rational):
        p, q = int(value.p), int(value.q)
        shown = f"Rational({p}, {q})" if max(abs(p), q) < 10**40 else "a huge Rational"
        _check_number(value, shown)
        return
    raise SpecError(f"bad value of type {type(value).__name__} for {key!r}; {VALUES}")
