"""The JSON schema of every answer (``--format json``), version 1; ``wdtheory schema`` prints it.

A JSON Schema (draft 2020-12) document, kept as data here and checked against every command's
output in the tests. A change that removes or retypes a field raises :data:`VERSION`.
"""

from __future__ import annotations

from wdtheory.answers.records import SCHEMA_NAME, VERSION

__all__ = ["SCHEMA"]

_EXPRESSION = {
    "type": "object",
    "description": "an exact expression: plain text and LaTeX",
    "required": ["text", "latex"],
    "properties": {"text": {"type": "string"}, "latex": {"type": "string"}},
    "additionalProperties": False,
}
_MAYBE_EXPRESSION = {"anyOf": [{"$ref": "#/$defs/expression"}, {"type": "null"}]}
_NAMED = {
    "type": "object",
    "required": ["value"],
    "properties": {
        "symbol": {"type": "string"},
        "state": {"type": "string"},
        "value": {"$ref": "#/$defs/expression"},
    },
    "additionalProperties": False,
}
_OPTIMIZER = {
    "type": "object",
    "description": "an optimizer an answer is about, as it was read",
    "required": [
        "role",
        "spec",
        "name",
        "symbolic",
        "decay_mode",
        "hyperparameters",
        "switches",
        "defaults_filled",
        "free_symbols",
    ],
    "properties": {
        "role": {"enum": ["A", "B", "subject", "source", "target"]},
        "spec": {
            "type": ["string", "null"],
            "description": "the spec that means it (it parses back); null when none does (a "
            "value that is a formula, a standard construction: see name and code)",
        },
        "name": {"type": "string"},
        "symbolic": {"type": "boolean", "description": "left-out hyperparameters are symbols"},
        "decay_mode": {"enum": ["none", "coupled", "decoupled", "independent", "proximal"]},
        "hyperparameters": {
            "type": "object",
            "additionalProperties": {"$ref": "#/$defs/expression"},
        },
        "switches": {
            "type": "object",
            "additionalProperties": {"type": ["boolean", "string"]},
        },
        "defaults_filled": {
            "type": "object",
            "description": "the library defaults the answer assumed, by key",
            "additionalProperties": {"type": ["string", "boolean"]},
        },
        "free_symbols": {"type": "array", "items": {"type": "string"}},
    },
    "additionalProperties": False,
}
_DERIVATION = {
    "type": "object",
    "required": ["title", "sections"],
    "properties": {
        "title": {"type": "string"},
        "sections": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["title", "intro", "steps", "checks", "notes"],
                "properties": {
                    "title": {"type": "string"},
                    "intro": {"type": "string"},
                    "steps": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["text", "latex", "note"],
                            "properties": {
                                "text": {"type": "string"},
                                "latex": {"type": "string"},
                                "note": {"type": "string"},
                            },
                            "additionalProperties": False,
                        },
                    },
                    "checks": {"type": "array", "items": {"type": "string"}},
                    "notes": {"type": "array", "items": {"type": "string"}},
                },
                "additionalProperties": False,
            },
        },
    },
    "additionalProperties": False,
}
_COMMON = {
    "schema": {"const": SCHEMA_NAME},
    "version": {"const": VERSION},
    "optimizers": {"type": "array", "items": {"$ref": "#/$defs/optimizer"}},
    "free_symbols": {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["name", "latex"],
            "properties": {"name": {"type": "string"}, "latex": {"type": "string"}},
            "additionalProperties": False,
        },
    },
    "derivation": {"$ref": "#/$defs/derivation"},
}
_COMMON_REQUIRED = ["schema", "version", "command", "optimizers", "free_symbols", "derivation"]


def _command(name: str, required: list[str], properties: dict[str, object]) -> dict[str, object]:
    return {
        "type": "object",
        "required": [*_COMMON_REQUIRED, *required],
        "properties": {**_COMMON, "command": {"const": name}, **properties},
        "additionalProperties": False,
    }


_DERIVE = _command(
    "derive",
    ["kind", "subject"],
    {"kind": {"enum": ["problem", "optimizer"]}, "subject": {"type": "string"}},
)
_COMPARE = _command(
    "compare",
    [
        "verdict",
        "first_difference",
        "difference",
        "quadratic_difference",
        "hyper_map",
        "state_map",
        "counterexample",
        "no_constant_value",
        "evidence",
    ],
    {
        "verdict": {"enum": ["identical", "equivalent", "different"]},
        "first_difference": {"type": ["integer", "null"], "minimum": 1},
        "difference": _MAYBE_EXPRESSION,
        "quadratic_difference": _MAYBE_EXPRESSION,
        "hyper_map": {"type": "array", "items": _NAMED},
        "state_map": {"type": "array", "items": _NAMED},
        "counterexample": {
            "anyOf": [
                {"type": "null"},
                {
                    "type": "object",
                    "required": ["point", "difference", "lowered", "confirmed"],
                    "properties": {
                        "point": {
                            "type": "object",
                            "description": "exact values by symbol name",
                            "additionalProperties": {"type": "string"},
                        },
                        "difference": {"$ref": "#/$defs/expression"},
                        "lowered": {"type": "number"},
                        "confirmed": {"type": "boolean"},
                    },
                    "additionalProperties": False,
                },
            ]
        },
        "no_constant_value": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["symbol", "needed"],
                "properties": {
                    "symbol": {"type": "string"},
                    "needed": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["step", "value"],
                            "properties": {
                                "step": {"type": "integer"},
                                "value": {"$ref": "#/$defs/expression"},
                            },
                            "additionalProperties": False,
                        },
                    },
                },
                "additionalProperties": False,
            },
        },
        "evidence": {"type": "array", "items": {"type": "string"}},
    },
)
_FIXED_POINT = _command(
    "fixed-point",
    ["ridge", "ridge_strength", "gradient_at_rest", "states", "conditions", "summary"],
    {
        "ridge": {"type": "boolean"},
        "ridge_strength": _MAYBE_EXPRESSION,
        "gradient_at_rest": _MAYBE_EXPRESSION,
        "states": {"type": "array", "items": _NAMED},
        "conditions": {"type": "array", "items": {"$ref": "#/$defs/expression"}},
        "summary": {"type": "string"},
    },
)
_CONVERT = _command(
    "convert",
    ["framework", "found", "construction", "code", "reason", "near", "candidates"],
    {
        "framework": {"enum": ["torch", "keras", "optax", "paper"]},
        "found": {"type": "boolean"},
        "construction": {
            "type": "boolean",
            "description": "the target is a standard construction (an optax chain, a Keras "
            "optimizer with a regularizer), not a preset",
        },
        "code": {"type": ["string", "null"], "description": "the target as library code"},
        "reason": {"type": ["string", "null"], "description": "why none is equivalent"},
        "near": {
            "type": "array",
            "description": "candidates that differ from the source only where epsilon enters",
            "items": {
                "type": "object",
                "required": ["name", "first_difference", "difference", "code"],
                "properties": {
                    "name": {"type": "string"},
                    "first_difference": {"type": "integer", "minimum": 1},
                    "difference": {"$ref": "#/$defs/expression"},
                    "code": {"type": ["string", "null"]},
                },
                "additionalProperties": False,
            },
        },
        "candidates": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "verdict", "first_difference"],
                "properties": {
                    "name": {"type": "string"},
                    "verdict": {"enum": ["identical", "equivalent", "different"]},
                    "first_difference": {"type": ["integer", "null"]},
                },
                "additionalProperties": False,
            },
        },
    },
)
_VERIFY = {
    "type": "object",
    "required": ["schema", "version", "command", "agree", "total", "claims"],
    "properties": {
        "schema": {"const": SCHEMA_NAME},
        "version": {"const": VERSION},
        "command": {"const": "verify"},
        "agree": {"type": "integer", "minimum": 0},
        "total": {"type": "integer", "minimum": 0},
        "claims": {
            "type": "array",
            "items": {
                "type": "object",
                "required": [
                    "id",
                    "statement",
                    "source",
                    "expected",
                    "verdict",
                    "kind",
                    "evidence",
                    "agrees",
                    "seconds",
                ],
                "properties": {
                    "id": {"type": "string"},
                    "statement": {"type": "string"},
                    "source": {"type": "string"},
                    "expected": {"$ref": "#/$defs/claim_verdict"},
                    "verdict": {"$ref": "#/$defs/claim_verdict"},
                    "kind": {"type": "string"},
                    "evidence": {"type": "string"},
                    "agrees": {"type": "boolean"},
                    "seconds": {"type": "number", "minimum": 0},
                },
                "additionalProperties": False,
            },
        },
    },
    "additionalProperties": False,
}

#: the schema every ``--format json`` answer follows, one branch per command
SCHEMA: dict[str, object] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": f"urn:{SCHEMA_NAME}:{VERSION}",
    "title": f"{SCHEMA_NAME} version {VERSION}",
    "description": "The answer of a wdtheory command (--format json).",
    "oneOf": [_DERIVE, _COMPARE, _FIXED_POINT, _CONVERT, _VERIFY],
    "$defs": {
        "expression": _EXPRESSION,
        "optimizer": _OPTIMIZER,
        "derivation": _DERIVATION,
        "claim_verdict": {"enum": ["true", "false", "conditional", "not checkable", "error"]},
    },
}
