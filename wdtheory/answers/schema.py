"""The JSON schema of every answer (``--format json``), version 2; ``wdtheory schema`` prints it.

A JSON Schema (draft 2020-12) document, kept as data here and checked against every command's
output in the tests. A change that removes or retypes a field raises :data:`VERSION`.
"""

from __future__ import annotations

from wdtheory.analysis.audit import Pitfall
from wdtheory.analysis.transfer import INVARIANTS, LR_RULES
from wdtheory.answers.records import SCHEMA_NAME, VERSION
from wdtheory.optim.builders import ALL_DECAY_MODES

__all__ = ["SCHEMA"]


def _record(
    properties: dict[str, object],
    *,
    required: list[str] | None = None,
    description: str | None = None,
) -> dict[str, object]:
    """A JSON object with these properties and no others, all required unless ``required``
    names which."""
    return {
        "type": "object",
        **({"description": description} if description else {}),
        "required": list(properties) if required is None else required,
        "properties": properties,
        "additionalProperties": False,
    }


def _list_of(item: dict[str, object], **keywords: object) -> dict[str, object]:
    return {"type": "array", "items": item, **keywords}


_STRING = {"type": "string"}
_EXPRESSION_REF = {"$ref": "#/$defs/expression"}
_EXPRESSION = _record(
    {"text": _STRING, "latex": _STRING}, description="an exact expression: plain text and LaTeX"
)
_MAYBE_EXPRESSION = {"anyOf": [_EXPRESSION_REF, {"type": "null"}]}
_NAMED = _record(
    {"symbol": _STRING, "state": _STRING, "value": _EXPRESSION_REF}, required=["value"]
)
_OPTIMIZER = _record(
    {
        "role": {"enum": ["A", "B", "subject", "source", "target", "group"]},
        "spec": {
            "type": ["string", "null"],
            "description": "the spec that means it (it parses back); null when none does (a "
            "value that is a formula, a standard construction: see name and code)",
        },
        "name": _STRING,
        "symbolic": {"type": "boolean", "description": "left-out hyperparameters are symbols"},
        "decay_mode": {"enum": list(ALL_DECAY_MODES)},
        "hyperparameters": {"type": "object", "additionalProperties": _EXPRESSION_REF},
        "switches": {
            "type": "object",
            "additionalProperties": {"type": ["boolean", "string"]},
        },
        "defaults_filled": {
            "type": "object",
            "description": "the library defaults the answer assumed, by key",
            "additionalProperties": {"type": ["string", "boolean"]},
        },
        "free_symbols": _list_of(_STRING),
    },
    description="an optimizer an answer is about, as it was read",
)
_DERIVATION = _record(
    {
        "title": _STRING,
        "sections": _list_of(
            _record(
                {
                    "title": _STRING,
                    "intro": _STRING,
                    "steps": _list_of(
                        _record({"text": _STRING, "latex": _STRING, "note": _STRING})
                    ),
                    "checks": _list_of(_STRING),
                    "notes": _list_of(_STRING),
                }
            )
        ),
    }
)
_COMMON = {
    "schema": {"const": SCHEMA_NAME},
    "version": {"const": VERSION},
    "optimizers": _list_of({"$ref": "#/$defs/optimizer"}),
    "free_symbols": _list_of(_record({"name": _STRING, "latex": _STRING})),
    "derivation": {"$ref": "#/$defs/derivation"},
}
_COMMON_REQUIRED = ["schema", "version", "command", "optimizers", "free_symbols", "derivation"]
_VERDICT = {"enum": ["identical", "equivalent", "different", "undecided"]}
_SCHEDULE = {
    "type": ["string", "null"],
    "description": "the learning-rate schedule the optimizers ran under (--schedule), or null",
}


def _command(name: str, properties: dict[str, object]) -> dict[str, object]:
    """An answer of command ``name``: the common fields and ``properties``, all required."""
    return _record(
        {**_COMMON, "command": {"const": name}, **properties},
        required=[*_COMMON_REQUIRED, *properties],
    )


_DERIVE = _command("derive", {"kind": {"enum": ["problem", "optimizer"]}, "subject": _STRING})
_COMPARE = _command(
    "compare",
    {
        "schedule": _SCHEDULE,
        "verdict": _VERDICT,
        "first_difference": {"type": ["integer", "null"], "minimum": 1},
        "difference": _MAYBE_EXPRESSION,
        "quadratic_difference": _MAYBE_EXPRESSION,
        "hyper_map": _list_of(_NAMED),
        "state_map": _list_of(_NAMED),
        "mapped": {
            "enum": ["A", "B"],
            "description": "whose hyperparameters and states the maps give in terms of the other's",
        },
        "counterexample": {
            "anyOf": [
                {"type": "null"},
                _record(
                    {
                        "point": {
                            "type": "object",
                            "description": "exact values by symbol name",
                            "additionalProperties": _STRING,
                        },
                        "difference": _EXPRESSION_REF,
                        "lowered": {"type": "number"},
                        "confirmed": {"type": "boolean"},
                    }
                ),
            ]
        },
        "lowered_gap": {
            "type": ["number", "null"],
            "description": "identical / equivalent: the largest relative gap between both lowered"
            " optimizers run from one random rational point",
        },
        "confirmed": {
            "type": "boolean",
            "description": "the lowered code agrees with the verdict (the map reproduced, or the"
            " counterexample's difference reproduced); false when undecided",
        },
        "no_constant_value": _list_of(
            _record(
                {
                    "symbol": _STRING,
                    "needed": _list_of(
                        _record({"step": {"type": "integer"}, "value": _EXPRESSION_REF})
                    ),
                }
            )
        ),
        "evidence": _list_of(_STRING),
    },
)
_DECIDED = {
    "type": "boolean",
    "description": "false when the time budget ran out first: then the other fields answer "
    "nothing and the reason says what was still being searched",
}
_FIXED_POINT = _command(
    "fixed-point",
    {
        "schedule": _SCHEDULE,
        "decided": _DECIDED,
        "ridge": {"type": "boolean"},
        "ridge_strength": _MAYBE_EXPRESSION,
        "gradient_at_rest": _MAYBE_EXPRESSION,
        "states": _list_of(_NAMED),
        "history": _list_of(
            _NAMED,
            description="states the rest conditions leave free (AMSGrad's running maximum), each "
            "with the value it bounds from above: the rest point depends on the run",
        ),
        "conditions": _list_of(_EXPRESSION_REF),
        "summary": _STRING,
    },
)
_CONVERT = _command(
    "convert",
    {
        "schedule": _SCHEDULE,
        "framework": {"enum": ["torch", "keras", "optax", "paper"]},
        "decided": _DECIDED,
        "found": {"type": "boolean"},
        "construction": {
            "type": "boolean",
            "description": "the target is a standard construction (an optax chain, a Keras "
            "optimizer with a regularizer), not a preset",
        },
        "code": {"type": ["string", "null"], "description": "the target as library code"},
        "reason": {"type": ["string", "null"], "description": "why none is equivalent"},
        "near": _list_of(
            _record(
                {
                    "name": _STRING,
                    "first_difference": {"type": "integer", "minimum": 1},
                    "difference": _EXPRESSION_REF,
                    "code": {"type": ["string", "null"]},
                }
            ),
            description="candidates that differ from the source only where epsilon enters",
        ),
        "candidates": _list_of(
            _record(
                {
                    "name": _STRING,
                    "verdict": _VERDICT,
                    "first_difference": {"type": ["integer", "null"]},
                }
            )
        ),
    },
)
_NUMBER = {"type": "number"}
_MAYBE_COUNT = {"type": ["integer", "null"], "minimum": 1}
_AUDIT = _command(
    "audit",
    {
        "schedule": _STRING,
        "steps": {"type": "integer", "minimum": 1},
        "steps_per_epoch": {"type": ["integer", "null"], "minimum": 1},
        "target": {
            "oneOf": [
                {"type": "null"},
                _record(
                    {
                        "examples": _MAYBE_COUNT,
                        "batch_size": _MAYBE_COUNT,
                        "steps": _MAYBE_COUNT,
                        "width": _MAYBE_COUNT,
                        "keep": {"enum": list(INVARIANTS)},
                        "lr_rule": {"enum": list(LR_RULES)},
                    }
                ),
            ]
        },
        "groups": _list_of(
            _record(
                {
                    "name": _STRING,
                    "vectors": {"type": "boolean"},
                    "normalized": {"type": "boolean"},
                    "mode": {"enum": list(ALL_DECAY_MODES)},
                    "decay": {
                        "oneOf": [
                            {"type": "null"},
                            _record(
                                {
                                    "factor": _MAYBE_EXPRESSION,
                                    "shrink": _NUMBER,
                                    "run_shrink": _NUMBER,
                                    "multiplicative": {"type": "boolean"},
                                    "timescale_steps": {"type": ["integer", "null"]},
                                    "constant_lr_shrink": _NUMBER,
                                }
                            ),
                        ]
                    },
                    "ridge_strength": _MAYBE_EXPRESSION,
                    "ridge_strength_at_end": {"type": ["number", "null"]},
                    "ridge_run_gap": {"type": ["number", "null"], "minimum": 0},
                    "rotation": {
                        "oneOf": [
                            {"type": "null"},
                            _record(
                                {
                                    "kind": {"enum": ["sgd", "adam"]},
                                    "angle": _MAYBE_EXPRESSION,
                                    "peak_multiplier": _NUMBER,
                                    "derived_angle": {"type": ["number", "null"]},
                                    "measured_angle": _NUMBER,
                                    "measured_steps": {"type": "integer", "minimum": 1},
                                    "relaxation_steps": _NUMBER,
                                    "correlated_updates": {"type": "boolean"},
                                    "measured_settled": {"type": "boolean"},
                                }
                            ),
                        ]
                    },
                    "transfer": {
                        "oneOf": [
                            {"type": "null"},
                            _record(
                                {"formula": _MAYBE_EXPRESSION, "weight_decay": _MAYBE_EXPRESSION}
                            ),
                        ]
                    },
                    "conversions": _list_of(
                        _record(
                            {
                                "framework": _STRING,
                                "code": {"type": ["string", "null"]},
                                "reason": {"type": ["string", "null"]},
                            }
                        )
                    ),
                }
            )
        ),
        "findings": _list_of(
            _record(
                {
                    "pitfall": {"enum": [str(p) for p in Pitfall]},
                    "group": _STRING,
                    "quantity": _STRING,
                    "value": _NUMBER,
                }
            )
        ),
    },
)
_CLAIM_VERDICT = {"$ref": "#/$defs/claim_verdict"}
_VERIFY = _record(
    {
        "schema": {"const": SCHEMA_NAME},
        "version": {"const": VERSION},
        "command": {"const": "verify"},
        "agree": {"type": "integer", "minimum": 0},
        "total": {"type": "integer", "minimum": 0},
        "claims": _list_of(
            _record(
                {
                    "id": _STRING,
                    "statement": _STRING,
                    "source": _STRING,
                    "expected": _CLAIM_VERDICT,
                    "verdict": _CLAIM_VERDICT,
                    "kind": _STRING,
                    "evidence": _STRING,
                    "agrees": {"type": "boolean"},
                    "seconds": {"type": "number", "minimum": 0},
                }
            )
        ),
    }
)

#: the schema every ``--format json`` answer follows, one branch per command
SCHEMA: dict[str, object] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": f"urn:{SCHEMA_NAME}:{VERSION}",
    "title": f"{SCHEMA_NAME} version {VERSION}",
    "description": "The answer of a wdtheory command (--format json).",
    "oneOf": [_DERIVE, _COMPARE, _FIXED_POINT, _CONVERT, _AUDIT, _VERIFY],
    "$defs": {
        "expression": _EXPRESSION,
        "optimizer": _OPTIMIZER,
        "derivation": _DERIVATION,
        "claim_verdict": {"enum": ["true", "false", "conditional", "not checkable", "error"]},
    },
}
