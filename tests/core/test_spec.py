"""The spec mini-language: what parses to what, what is refused, and that nothing ever runs."""

from __future__ import annotations

import ast
import builtins
import contextlib
import dataclasses
import decimal
import keyword
import os
import pathlib
import sys
import warnings
from collections.abc import Iterator
from fractions import Fraction

import pytest
import sympy
import sympy.parsing.sympy_parser
from hypothesis import given
from hypothesis import strategies as st

from wdtheory.core.errors import SpecError
from wdtheory.core.spec import Reference, Spec, format_number, is_decimal, parse_spec

R = sympy.Rational
I = sympy.Integer  # noqa: E741


def sym(name: str) -> sympy.Symbol:
    return sympy.Symbol(name, real=True)


def spec(name: str, **params: object) -> Spec:
    return Spec(name, tuple(params.items()))


# --- tripwires: record any call that would mean user text is being executed ------------------


@contextlib.contextmanager
def tripwires() -> Iterator[list[str]]:
    """Replace eval/exec/__import__/open/os.system/sympify/parse_expr/symbols by recorders.

    ``compile`` is allowed only to build an AST; SymPy's internal ``sympify`` only on non-text.

    The recorders also raise, but ``parse_spec`` turns any exception into SpecError, so tests
    assert that the returned list of calls is empty. Everything is restored on exit.
    """
    calls: list[str] = []

    def recorder(what: str):
        def called(*args, **kwargs):
            calls.append(what)
            raise AssertionError(f"{what} called while parsing")

        return called

    real_compile = builtins.compile
    real_sympify = sys.modules["sympy.core.sympify"].sympify

    def sympify_non_text(a, *args, **kwargs):
        # SymPy itself calls its module-level sympify on numbers (strict); text must never reach it.
        if isinstance(a, str | bytes):
            calls.append(f"sympify({a!r})")
            raise AssertionError("sympify on text while parsing")
        return real_sympify(a, *args, **kwargs)

    def ast_only_compile(source, filename, mode, flags=0, *args, **kwargs):
        if not flags & ast.PyCF_ONLY_AST:
            calls.append(f"compile(mode={mode!r}) to code")
            raise AssertionError("compile to code while parsing")
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    targets = [
        (builtins, "eval"),
        (builtins, "exec"),
        (builtins, "__import__"),
        (builtins, "open"),
        (os, "system"),
        (sympy, "sympify"),
        (sympy, "parse_expr"),
        (sympy.parsing.sympy_parser, "parse_expr"),
        (sympy, "symbols"),
    ]
    saved = [(obj, name, getattr(obj, name)) for obj, name in targets]
    saved.append((builtins, "compile", real_compile))
    saved.append((sys.modules["sympy.core.sympify"], "sympify", real_sympify))
    try:
        for obj, name in targets:
            setattr(obj, name, recorder(f"{getattr(obj, '__name__', obj)}.{name}"))
        builtins.compile = ast_only_compile
        sys.modules["sympy.core.sympify"].sympify = sympify_non_text
        yield calls
    finally:
        for obj, name, original in reversed(saved):
            setattr(obj, name, original)


def outcome(text: object) -> Spec | SpecError:
    """Parse under tripwires; return the Spec or the SpecError; anything else fails the test."""
    with warnings.catch_warnings(record=True) as caught, tripwires() as calls:
        warnings.simplefilter("always")
        try:
            result: Spec | SpecError = parse_spec(text)  # type: ignore[arg-type]
        except SpecError as exc:
            result = exc
    assert calls == [], f"parsing {text!r:.60} called {calls}"
    assert [str(w.message) for w in caught] == []
    if isinstance(result, SpecError):
        message = str(result)
        assert message and "\n" not in message and "\r" not in message
        assert len(message) < 400, message
    return result


# --- what parses, and to what ------------------------------------------------------------------

VALID = [
    ("adam", spec("adam")),
    ("adam()", spec("adam")),
    ("  adam (  )  ", spec("adam")),
    ("torch.sgd", spec("torch.sgd")),
    ("a.b.c", spec("a.b.c")),
    (
        "torch.sgd(lr=0.1, momentum=mu, weight_decay=1e-4, nesterov=true)",
        spec("torch.sgd", lr=R(1, 10), momentum=sym("mu"), weight_decay=R(1, 10000), nesterov=True),
    ),
    (
        "squared_error(l2=lam, penalize_bias=false)",
        spec("squared_error", l2=sym("lam"), penalize_bias=False),
    ),
    ("f(a=True, b=False, c=true, d=false)", spec("f", a=True, b=False, c=True, d=False)),
    ("f(n=3)", spec("f", n=I(3))),
    ("f(n=0)", spec("f", n=I(0))),
    ("f(n=-3)", spec("f", n=I(-3))),
    ("f(n=+3)", spec("f", n=I(3))),
    ("f(n=- 0.5)", spec("f", n=R(-1, 2))),
    ("f(x=.5, y=5., z=3.0)", spec("f", x=R(1, 2), y=I(5), z=I(3))),
    ("f(x=1e3, y=1E+3, z=2.5e-7)", spec("f", x=I(1000), y=I(1000), z=R(1, 4_000_000))),
    ("f(x=0.30000000000000004)", spec("f", x=R(30000000000000004, 10**17))),
    ("f(x=1e15, y=-1e15, z=1e-30)", spec("f", x=I(10**15), y=I(-(10**15)), z=R(1, 10**30))),
    ("f(x=0e999, y=0.000)", spec("f", x=I(0), y=I(0))),
    ("f(x=(1), y=(mu))", spec("f", x=I(1), y=sym("mu"))),
    ("f(b=2, a=1,)", spec("f", b=I(2), a=I(1))),
    ("f(lr=eval, b=nan, c=TRUE)", spec("f", lr=sym("eval"), b=sym("nan"), c=sym("TRUE"))),
    ("X" * 32, spec("X" * 32)),
    ("f(mu2=beta_1)", spec("f", mu2=sym("beta_1"))),
    ("match.case(type=match)", spec("match.case", type=sym("match"))),  # soft keywords are names
    # constructor code: up to 5 parts, positional arguments, references, tuples, lists, None
    ("a.b.c.d.e", spec("a.b.c.d.e")),
    ("sgd(1)", Spec("sgd", args=(I(1),))),
    ("sgd(mu, lr=1)", Spec("sgd", (("lr", I(1)),), (sym("mu"),))),
    (
        "torch.optim.AdamW(model.parameters(), 1e-3, betas=(0.9, 0.999), foreach=True)",
        Spec(
            "torch.optim.AdamW",
            (("betas", (R(9, 10), R(999, 1000))), ("foreach", True)),
            (Reference("model.parameters()"), R(1, 1000)),
        ),
    ),
    ("sgd(net.params)", Spec("sgd", args=(Reference("net.params"),))),
    ("sgd(parameters())", Spec("sgd", args=(Reference("parameters()"),))),
    ("sgd(lr=[1])", spec("sgd", lr=(I(1),))),
    ("sgd(lr=(1, mu, true),)", spec("sgd", lr=(I(1), sym("mu"), True))),
    ("sgd(lr=None, m=(2,))", spec("sgd", lr=None, m=(I(2),))),
    ("sgd(None)", Spec("sgd", args=(None,))),
    ("symbolic(sgd)", Spec("sgd", symbolic=True)),
    (
        "symbolic( torch.sgd(momentum=mu) )",
        Spec("torch.sgd", (("momentum", sym("mu")),), symbolic=True),
    ),
    ("symbolic.sgd(x=1)", spec("symbolic.sgd", x=I(1))),  # a name that starts so is a name
    ("symbolic()", spec("symbolic")),
    # references are inert text wherever they stand: nothing is looked up or called
    (
        "sgd(lr=mu.real, d=jnp.bfloat16)",
        spec("sgd", lr=Reference("mu.real"), d=Reference("jnp.bfloat16")),
    ),
    (
        "sgd(lr=globals(), b=breakpoint())",
        spec("sgd", lr=Reference("globals()"), b=Reference("breakpoint()")),
    ),
]


@pytest.mark.parametrize(("text", "expected"), VALID)
def test_valid_specs_parse_to_exact_values(text: str, expected: Spec) -> None:
    parsed = outcome(text)
    assert parsed == expected
    for (key, got), (_, want) in zip(parsed.params, expected.params, strict=True):
        assert type(got) is type(want), key  # bool stays bool, 3 is Integer, 0.1 is Rational


def test_numbers_are_exact_rationals_never_floats() -> None:
    parsed = parse_spec("f(a=0.1, b=1e-4, c=3)")
    assert parsed.get("a") == R(1, 10) and isinstance(parsed.get("a"), sympy.Rational)
    assert parsed.get("b") == R(1, 10000)
    assert parsed.get("c") == 3 and isinstance(parsed.get("c"), sympy.Integer)
    assert not any(isinstance(v, sympy.Float | float) for v in parsed.as_dict().values())


def test_symbols_are_real() -> None:
    mu = parse_spec("f(m=mu)").get("m")
    assert mu == sympy.Symbol("mu", real=True)
    assert mu != sympy.Symbol("mu")
    assert mu.is_real is True


def test_booleans_are_not_numbers() -> None:
    assert sympy.Integer(1) == True  # noqa: E712 - SymPy's own equality, hence Spec's own
    assert parse_spec("f(a=true)") != parse_spec("f(a=1)")
    assert parse_spec("f(a=false)") != parse_spec("f(a=0)")
    assert len({parse_spec("f(a=true)"), parse_spec("f(a=1)")}) == 2
    assert parse_spec("f(a=false)").get("a") is False


# --- canonical text -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("adam()", "adam"),
        ("f(lr=1e-4)", "f(lr=0.0001)"),
        ("f(lr=.1,momentum=mu)", "f(lr=0.1, momentum=mu)"),
        ("f(eps=1e-8, b=1e-5, c=1e-6)", "f(eps=1e-8, b=0.00001, c=1e-6)"),
        ("f(a=2.50e-7, b=-3.0)", "f(a=2.5e-7, b=-3)"),
        ("f(a=1000, b=1e6, c=1e15, d=+0)", "f(a=1000, b=1e6, c=1e15, d=0)"),
        ("f(a=True, b=false)", "f(a=true, b=false)"),
        ("f(a=123456789012345678901234567891e-59)", "f(a=1.23456789012345678901234567891e-30)"),
        ("f(a=[1,2], b=(mu ,), c=None)", "f(a=(1, 2), b=(mu,), c=None)"),
        ("symbolic( f (x,m.p( ),  k=1 ))", "symbolic(f(x, m.p(), k=1))"),
    ],
)
def test_text_is_canonical(text: str, canonical: str) -> None:
    parsed = parse_spec(text)
    assert parsed.text() == canonical == str(parsed)
    assert parse_spec(canonical) == parsed


IDENT = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,31}", fullmatch=True).filter(
    lambda s: not keyword.iskeyword(s)
)
NAMES = st.lists(IDENT, min_size=1, max_size=5).map(".".join)
SYMBOLS = IDENT.filter(lambda s: s not in ("true", "false")).map(sym)


@st.composite
def numbers(draw: st.DrawFn) -> sympy.Rational:
    """Any allowed number: 0, or +-M * 10**k with <= 30 digits and 1e-30 <= |value| <= 1e15."""
    if draw(st.booleans()):
        return sympy.Integer(draw(st.sampled_from([0, 10**15, -(10**15), 1, -1])))
    digits = draw(st.integers(1, 30))
    mantissa = draw(st.integers(10 ** (digits - 1), 10**digits - 1))
    magnitude = draw(st.integers(-30, 14))  # of the leading digit
    sign = draw(st.sampled_from([1, -1]))
    return sign * R(mantissa) * R(10) ** (magnitude - digits + 1)


VALUES = st.one_of(st.booleans(), SYMBOLS, numbers(), st.integers(-1000, 1000).map(I))
ITEMS = st.one_of(VALUES, st.none(), st.lists(VALUES, min_size=1, max_size=8).map(tuple))
#: references as the parser makes them: dotted or called (a bare name is a symbol)
REFERENCES = st.builds(
    lambda name, called: Reference(name + "()" * called), NAMES, st.booleans()
).filter(lambda ref: "." in ref.text or ref.text.endswith("()"))
SPECS = st.builds(
    Spec,
    NAMES,
    st.lists(st.tuples(IDENT, ITEMS), max_size=5, unique_by=lambda kv: kv[0]).map(tuple),
    st.lists(st.one_of(ITEMS, REFERENCES), max_size=3).map(tuple),
    st.booleans(),
).filter(lambda s: len(s.text()) <= 500)


@given(SPECS)
def test_text_round_trips(original: Spec) -> None:
    text = original.text()
    assert outcome(text) == original
    assert parse_spec(text).text() == text


@given(
    st.from_regex(r"[0-9]{0,20}(\.[0-9]{0,20})?([eE][+-]?[0-9]{1,3})?", fullmatch=True).filter(
        lambda s: any(c.isdigit() for c in s.partition("e")[0].partition("E")[0])
    )
)
def test_number_literals_are_exact_or_refused(literal: str) -> None:
    result = outcome(f"f(x={literal})")
    if isinstance(result, SpecError):
        assert "number" in str(result)
        return
    assert result.get("x") == R(Fraction(literal).numerator, Fraction(literal).denominator)
    assert outcome(result.text()) == result


# --- hostile input -----------------------------------------------------------------------------

STRINGS = "strings are not allowed"
EXPR = "expressions are not allowed"
SIGN = "only allowed directly before a number"
HOSTILE = [
    ("__import__('os').system('touch X')", STRINGS),
    ("__import__(os).system(touch)", "bad spec name '__import__(os)'"),
    ("().__class__.__bases__[0].__subclasses__()", "bad spec name"),
    ("sgd(lr=__import__('os'))", STRINGS),
    ("sgd(lr=__import__(os))", "a call with arguments is not allowed"),
    ("sgd(lr=__import__)", "bad value '__import__' for 'lr': a name is"),
    ("sgd(lr=(1).__class__)", "expected a dotted name"),
    ("sgd(lr=x.__globals__)", "expected a dotted name"),
    ("sgd(lr=1 .real)", "expected a dotted name"),
    ("sgd(lr=1.5.real)", "bad number '1.5.real'"),
    ("sgd(lr=eval('1'))", STRINGS),
    ("sgd(lr=eval(x))", "a call with arguments is not allowed"),
    ("sgd(lr=exec('x'))", STRINGS),
    ("sgd(**{'lr': 1})", STRINGS),
    ("sgd(**kw)", "'**' argument '**kw' is not allowed"),
    ("sgd(*args)", "'*' argument '*args' is not allowed"),
    ("sgd(lr=*x)", "cannot parse spec at '*x)'"),
    ("sgd(lr=1, lr=2)", "duplicate parameter 'lr'"),
    ("sgd(_lr=1)", "bad parameter name '_lr'"),
    ("sgd(lr=lambda: 1)", "lambdas are not allowed"),
    ("lambda: 0", "bad spec name 'lambda: 0'"),
    ("sgd(lr={1: 2})", "dicts and sets are not allowed"),
    ("sgd(lr={1})", "dicts and sets are not allowed"),
    ("sgd(lr=[x for x in y])", "comprehensions are not allowed"),
    ("sgd(lr=(x for x in y))", "comprehensions are not allowed"),
    ("sgd(lr=x[0])", "subscripts are not allowed"),
    ("sgd(lr='0.1')", STRINGS),
    ('sgd(lr="0.1")', STRINGS),
    ("sgd(lr=f'{1}')", STRINGS),
    ("sgd(lr=b'1')", STRINGS),
    ("sgd(lr=1/10)", EXPR),
    ("sgd(lr=2*mu)", "bad value '2*mu' for 'lr': expressions are not allowed"),
    ("sgd(lr=9**9**9)", EXPR),
    ("sgd(lr=True+1)", EXPR),
    ("sgd(lr=~1)", EXPR),
    ("sgd(lr=not x)", EXPR),
    ("sgd(lr=a and b)", EXPR),
    ("sgd(lr=1<2)", EXPR),
    ("sgd(lr=-mu)", SIGN),
    ("sgd(lr=--1)", SIGN),
    ("sgd(lr=" + "-" * 480 + "1)", SIGN),
    ("sgd(lr=-true)", SIGN),
    ("sgd(lr=1e999)", "number out of range: '1e999'"),
    ("sgd(lr=1e-99999999999999999999999999999999999)", "number out of range"),
    ("sgd(lr=1e16)", "number out of range"),
    ("sgd(lr=1e-31)", "number out of range"),
    ("sgd(lr=" + "9" * 41 + ")", "number out of range"),
    ("sgd(lr=1234567890123456789012345678901e-20)", "too many significant digits"),
    ("sgd(lr=1j)", "complex numbers are not allowed"),
    ("sgd(lr=1e5J)", "complex numbers are not allowed"),
    ("sgd(lr=0x10)", "only decimal numbers are allowed"),
    ("sgd(lr=0o17)", "only decimal numbers are allowed"),
    ("sgd(lr=0b101)", "only decimal numbers are allowed"),
    ("sgd(lr=1_000)", "digit separators '_' are not allowed"),
    ("sgd(lr=010)", "leading zeros are not allowed"),
    ("sgd(lr=1if x else 2)", "bad number '1if'"),  # Python would only warn and go on
    ("sgd.5not", "bad number '.5not'"),
    ("sgd(lr=1 if x else 2)", "conditional expressions are not allowed"),
    ("sgd(if=1)", "cannot parse spec at 'if=1)'"),
    ("import", "cannot parse spec at 'import'"),
    ("sgd(lr=...)", "constant is not allowed"),
    ("sgd(lr=(yield))", "yield is not allowed"),
    ("sgd(lr=(yield from x))", "yield is not allowed"),
    ("sgd(lr=await x)", "await is not allowed"),
    ("sgd(lr=(x:=1))", "':=' is not allowed"),
    ("sgd(lr=1);import os", "cannot parse spec at ';import os'"),
    ("sgd(lr=1)\nimport os", "control character '\\n'"),
    ("sgd(lr=1)\r", "control character '\\r'"),
    ("sgd(lr=1,\tmomentum=0.9)", "control character '\\t'"),
    ("sgd(lr=1)\x00", "control character '\\x00'"),
    ("sgd(lr=1) # comment", "comments are not allowed: '# comment'"),
    ("sgd(lr=\\x41)", "cannot parse spec"),
    ("sgd(lr=1)(x=1)", "bad spec name 'sgd(lr=1)'"),
    ("sgd(lr=1)[0]", "bad spec name"),
    ("getattr(sgd, x)()", "bad spec name"),
    ("__builtins__", "bad spec name '__builtins__'"),
    ("a.__class__(lr=1)", "bad spec name 'a.__class__'"),
    ("a." * 200 + "b", "1 to 5 dot-separated parts"),
    ("a.b.c.d.e.f", "1 to 5 dot-separated parts"),
    # the constructor-code syntax: positional references, tuples, None, the symbolic wrapper
    ("sgd(f(x))", "a call with arguments is not allowed"),
    ("sgd(m.parameters(x=1))", "a call with arguments is not allowed"),
    ("sgd(m.__class__)", "expected a dotted name"),
    ("sgd(m.a.b.c.d.e)", "expected a dotted name"),
    ("sgd(lr=m.lr(1))", "a call with arguments is not allowed"),
    ("sgd(lr=1, m.parameters())", "cannot parse spec"),
    ("sgd(betas=((1, 2),))", "not lists or tuples"),
    ("sgd(betas=())", "a tuple holds 1 to 8 values"),
    ("sgd(betas=(1, 2, 3, 4, 5, 6, 7, 8, 9))", "a tuple holds 1 to 8 values"),
    ("sgd(betas=(None, 1))", "None is allowed only as a whole argument"),
    ("sgd(betas=(mu.real, 1))", "attribute access is not allowed"),
    ("sgd(*[m.parameters()])", "'*' argument"),
    ("symbolic(sgd, adam)", "symbolic(...) takes one spec"),
    ("symbolic(sgd, lr=1)", "symbolic(...) takes one spec"),
    ("symbolic(symbolic(sgd))", "symbolic(...) takes one spec"),
    ("symbolic(1)", "bad spec name '1'"),
    ("symbolic(sgd(lr=1))(x=1)", "bad spec name"),
    ("x" * 33, "at most 32 characters"),
    ("1", "bad spec name '1'"),
    ("-" * 499 + "1", "bad spec name"),
    ("sgd(lr=" + "(" * 240 + "1" + ")" * 240 + ")", "too many nested parentheses"),
    ("(" * 100_000, "too long (100000 characters, at most 500)"),
    ("x" * 10**6, "too long"),
    ("\u0455gd(lr=1)", "non-ASCII character 'ѕ' (U+0455)"),  # Cyrillic dze, looks like s
    ("\uff53\uff47\uff44", "non-ASCII"),  # full-width 'sgd', which Python would NFKC to sgd
    ("sgd(lr=\uff11)", "non-ASCII character '１' (U+FF11)"),  # full-width digit one
    ("sgd(lr=\u00b5)", "non-ASCII"),  # micro sign
    ("sgd(lr=1)\u2028", "non-ASCII"),  # line separator
    ("", "empty spec"),
    ("   ", "empty spec"),
]


@pytest.mark.parametrize(("payload", "expected"), HOSTILE, ids=lambda p: repr(p)[:40])
def test_hostile_input_is_refused_with_a_one_line_message(payload: str, expected: str) -> None:
    result = outcome(payload)
    assert isinstance(result, SpecError)
    assert expected in str(result), str(result)


def test_there_are_many_hostile_payloads() -> None:
    assert len(HOSTILE) >= 40


@pytest.mark.parametrize(
    "text", ["sympy.sympify", "os.system(cmd=rm)", "builtins.exec(code=x)", "sgd(lr=eval)"]
)
def test_names_of_dangerous_things_are_inert_strings(text: str) -> None:
    """A dotted name is only a string; resolving it is the job of a registry, not the parser."""
    assert isinstance(outcome(text), Spec)


def canary_payloads(canary: pathlib.Path) -> list[str]:
    return [
        f"__import__('pathlib').Path(r'{canary}').touch()",
        f"sgd(lr=__import__('pathlib').Path(r'{canary}').touch())",
        f"sgd(lr=open(r'{canary}', 'w'))",
        f"sgd(lr=1)\nopen(r'{canary}', 'w')",
        f"sgd(lr=1);open(r'{canary}','w')",
        f"sgd(**{{'lr': open(r'{canary}', 'w')}})",
        f"sgd(lr=[open(r'{canary}', 'w') for _ in [0]])",
    ]


def test_the_canary_is_live(tmp_path: pathlib.Path) -> None:
    """Sanity check of the next test: evaluating the first payload for real does write the file."""
    canary = tmp_path / "canary"
    eval(canary_payloads(canary)[0])
    assert canary.exists()


def test_no_payload_is_executed(tmp_path: pathlib.Path) -> None:
    canary = tmp_path / "pwned"
    for payload in canary_payloads(canary):
        assert isinstance(outcome(payload), SpecError)
    assert not canary.exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "value", [None, 1, 0.1, b"sgd", bytearray(b"sgd"), ["sgd"], object(), Spec("sgd")]
)
def test_non_strings_are_refused(value: object) -> None:
    result = outcome(value)
    assert isinstance(result, SpecError)
    assert "must be a str" in str(result)


def test_str_subclasses_are_parsed_as_plain_text() -> None:
    class Sneaky(str):
        def strip(self, *args):  # pragma: no cover - must not be called
            raise RuntimeError("called")

    assert parse_spec(Sneaky("sgd(lr=1)")) == spec("sgd", lr=I(1))


def test_messages_truncate_long_fragments() -> None:
    with pytest.raises(SpecError) as info:
        parse_spec("sgd(lr=" + "mu+" * 100 + "1)")
    assert "..." in str(info.value) and len(str(info.value)) < 250


def test_parsing_does_not_touch_global_state() -> None:
    modules, limit = set(sys.modules), sys.getrecursionlimit()
    filters, context = list(warnings.filters), repr(decimal.getcontext())
    for text, _ in VALID + HOSTILE:
        outcome(text)
    assert set(sys.modules) == modules and sys.getrecursionlimit() == limit
    assert warnings.filters == filters and repr(decimal.getcontext()) == context


def test_module_source_calls_no_evaluator() -> None:
    source = pathlib.Path(sys.modules["wdtheory.core.spec"].__file__).read_text()
    called = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            called.add(node.func.id)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            base = node.func.value
            called.add(f"{base.id if isinstance(base, ast.Name) else '?'}.{node.func.attr}")
        if isinstance(node, ast.Attribute) and getattr(node.value, "id", None) == "sympy":
            assert node.attr in {"Symbol", "Rational", "Integer"}, node.attr
    forbidden = {"eval", "exec", "compile", "__import__", "getattr", "setattr", "open", "vars"}
    assert called & forbidden == set()
    methods = {c.partition(".")[2] for c in called - {"re.compile"} if "." in c}
    assert (
        methods & (forbidden | {"sympify", "parse_expr", "symbols", "import_module", "system"})
        == set()
    )
    assert "ast.parse" in called and "ast.literal_eval" not in called


# --- fuzzing: a Spec or a SpecError, never anything else ------------------------------------------

TOKENS = [
    "sgd", "torch", "mu", "lr", "_x", "__class__", "true", "True", "None", "lambda", "if", "else",
    "symbolic", "parameters", "betas",
    "yield", "await", "not", ".", "(", ")", "[", "]", "{", "}", "=", ",", ":", ";", "*", "**", "+",
    "-", "/", "~", "@", " ", "'", '"', "#", "\\", "\n", "\t", "\x00", "0", "1", "0.1", "1e-4",
    "1e999", "1j", "0x1", "1_0", ".5", "e", "\u0455",
]  # fmt: skip


@given(st.lists(st.sampled_from(TOKENS), max_size=20).map("".join))
def test_fuzz_token_soup(text: str) -> None:
    result = outcome(text)
    if isinstance(result, Spec):
        assert outcome(result.text()) == result


@given(st.text(alphabet="sgdlrmuTF_.()[]{}=,:;*+-/ '\"#0123456789eEjx\\", max_size=60))
def test_fuzz_specish_characters(text: str) -> None:
    result = outcome(text)
    if isinstance(result, Spec):
        assert outcome(result.text()) == result


@given(st.text())
def test_fuzz_any_text(text: str) -> None:
    outcome(text)


# --- the Spec object ---------------------------------------------------------------------------


def test_spec_accessors() -> None:
    s = parse_spec("torch.sgd(lr=0.1, momentum=mu)")
    assert s.name == "torch.sgd"
    assert s.keys() == ("lr", "momentum")
    assert s.get("lr") == R(1, 10)
    assert s.get("nesterov") is None and s.get("nesterov", False) is False
    assert s.as_dict() == {"lr": R(1, 10), "momentum": sym("mu")}
    assert list(s.as_dict()) == ["lr", "momentum"]


def test_spec_is_frozen_hashable_and_order_sensitive() -> None:
    a, b = parse_spec("f(x=1, y=2)"), parse_spec("f( x = 1 , y = 2 )")
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a != parse_spec("f(y=2, x=1)")
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.name = "g"  # type: ignore[misc]


def test_spec_constructed_in_python_is_validated_and_normalised() -> None:
    assert Spec("sgd", [["lr", R(1, 10)]]).params == (("lr", R(1, 10)),)  # type: ignore[list-item]
    bad = [
        ("sgd", (("lr", sympy.Float(0.1)),), "bad value of type Float"),
        ("sgd", (("lr", 0.1),), "bad value of type float"),
        ("sgd", (("lr", R(1, 3)),), "not a terminating decimal"),
        ("sgd", (("lr", R(10**16)),), "number out of range"),
        ("sgd", (("m", sympy.Symbol("mu")),), "need Symbol(name, real=True)"),
        ("sgd", (("m", sym("true")),), "need Symbol(name, real=True)"),
        ("sgd", (("m", sym("_x")),), "bad symbol '_x' for 'm'"),
        ("sgd", (("lr", I(1)), ("lr", I(2))), "duplicate parameter 'lr'"),
        ("sgd", ((1, 2),), "bad parameter name int"),
        ("sgd", (1,), "must be (key, value) pairs"),
        ("sgd.", (), "bad spec name 'sgd.'"),
        ("torch.if", (), "bad spec name 'torch.if'"),
        ("sgd", (("lambda", I(1)),), "bad parameter name 'lambda'"),
        ("sgd", (("m", sym("None")),), "bad symbol 'None' for 'm'"),
        (None, (), "spec name must be a str"),
        ("f", tuple((f"k{i}", sym("x" * 30)) for i in range(20)), "too long in canonical form"),
    ]
    for name, params, message in bad:
        with pytest.raises(SpecError) as info:
            Spec(name, params)  # type: ignore[arg-type]
        text = str(info.value)
        assert message in text, (message, text)


# --- check_params ------------------------------------------------------------------------------


def test_check_params_accepts_allowed_keys() -> None:
    s = parse_spec("torch.sgd(lr=0.1, momentum=mu)")
    assert s.check_params(["lr", "momentum", "nesterov"]) is None
    assert s.check_params(k for k in ("momentum", "lr")) is None
    assert parse_spec("adam").check_params([]) is None


def test_check_params_suggests_the_closest_key() -> None:
    with pytest.raises(SpecError) as info:
        parse_spec("torch.sgd(lrr=0.1)").check_params(["lr", "momentum"])
    assert str(info.value) == (
        "unknown parameter 'lrr' for torch.sgd (did you mean 'lr'?); allowed: lr, momentum"
    )


def test_check_params_without_a_close_match_lists_what_is_allowed() -> None:
    with pytest.raises(SpecError) as info:
        parse_spec("adam(zzz=1)").check_params(iter(["beta1", "beta2", "eps"]))
    assert str(info.value) == "unknown parameter 'zzz' for adam; allowed: beta1, beta2, eps"
    with pytest.raises(SpecError, match="allowed: none"):
        parse_spec("relu(x=1)").check_params([])


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (sympy.Rational(1, 8), "0.125"),
        (sympy.Rational(-1, 10**4), "-0.0001"),
        (sympy.Rational(1, 4 * 10**7), "2.5e-8"),
        (sympy.Integer(0), "0"),
        (sympy.Integer(3), "3"),
    ],
)
def test_a_terminating_decimal_is_written_exactly_and_parses_back(value, text) -> None:
    assert is_decimal(value) and format_number(value) == text
    assert parse_spec(f"x(v={text})").params[0][1] == value


@pytest.mark.parametrize("value", [sympy.Rational(1, 3), sympy.Rational(2, 7)])
def test_a_rational_without_a_terminating_decimal_has_no_decimal_text(value) -> None:
    assert not is_decimal(value)
    with pytest.raises(ValueError, match="not a terminating decimal"):
        format_number(value)
