"""Auditing a training recipe (:mod:`wdtheory.analysis.audit`): the decay of each group derived
per step, its total over the schedule checked by running the rule, the timescale, and the
pitfalls flagged with the quantity that shows them."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
import torch
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from optimizer_cases import examples

from wdtheory.analysis.audit import (
    Group,
    Pitfall,
    Recipe,
    audit,
    decay_factor,
    decay_over_run,
    read_recipe,
    ridge_at_end,
    ridge_gap,
)
from wdtheory.core.errors import WdtheoryError
from wdtheory.core.notation import SCHEDULE
from wdtheory.optim import schedules as S
from wdtheory.optim.optimizer import Optimizer

build = Optimizer.from_spec
R = sp.Rational


@pytest.mark.parametrize(
    ("spec", "factor"),
    [
        ("torch.adamw(lr=1e-3, weight_decay=0.1)", 1 - R(1, 10**4) * SCHEDULE),  # 1 - eta lam s_t
        ("torch.sgd(lr=0.1, weight_decay=0.01)", 1 - R(1, 1000) * SCHEDULE),  # L2, plain SGD
        ("sgdw(lr=0.1, momentum=0.9, weight_decay=0.01)", 1 - R(1, 1000) * SCHEDULE),
        ("adamw(lr=1e-3, weight_decay=1e-4, decay=independent)", 1 - R(1, 10**4)),  # no s_t
        ("paper.adamw(weight_decay=0.01)", 1 - R(1, 100) * SCHEDULE),  # the paper's eta_t
        ("torch.sgd(lr=0.1, momentum=0.9, weight_decay=0.01)", None),  # through the buffer
        ("torch.adam(lr=1e-3, weight_decay=0.01)", None),  # through the preconditioner
    ],
)
def test_the_per_step_factor_of_the_decay_alone_is_derived_for_each_mode(spec, factor):
    derived = decay_factor(build(spec))
    assert derived == factor if factor is None else sp.simplify(derived - factor) == 0


@hsettings(max_examples=examples(8), deadline=None)
@given(
    lr=st.floats(1e-4, 0.1),
    decay=st.floats(1e-4, 0.5),
    warmup=st.integers(0, 20),
    steps=st.integers(30, 120),
)
def test_the_total_shrink_is_the_product_under_the_schedule_and_the_rule_agrees(
    lr, decay, warmup, steps
):
    optimizer = build(f"torch.adamw(lr={lr!r}, weight_decay={decay!r})")
    schedule = S.warmup_cosine(warmup, steps) if warmup else S.cosine(steps)
    result = decay_over_run(optimizer, Recipe((Group("g", optimizer),), schedule, steps))
    expected = float(np.prod(1 - lr * decay * schedule.values(steps)))
    assert math.isclose(result.shrink, expected, rel_tol=1e-12)
    assert math.isclose(result.run_shrink, expected, rel_tol=1e-9)
    assert result.multiplicative


def test_the_timescale_is_the_first_step_that_shrinks_w_by_e():
    """eta * lambda = 0.01 at a constant rate: 0.99^99 > 1/e >= 0.99^100."""
    optimizer = build("torch.adamw(lr=0.1, weight_decay=0.1)")
    result = decay_over_run(optimizer, Recipe((Group("g", optimizer),), S.constant(), 300))
    assert result.timescale == 100
    assert 0.99**99 > math.exp(-1) >= 0.99**100


def recipe(*groups: Group, schedule=None, steps=400, epoch=None) -> Recipe:
    return Recipe(tuple(groups), schedule or S.constant(), steps, epoch)


def pitfalls(result) -> dict[tuple[str, Pitfall], float]:
    return {(f.group, f.pitfall): f.value for f in result.findings}


def test_adam_with_weight_decay_is_flagged_as_l2_inside_the_preconditioner():
    """Its decay moves w by steps of about eta, whatever w is: no shrink factor at all."""
    result = audit(
        recipe(Group("all", build("torch.adam(lr=1e-3, weight_decay=1e-2)"))), frameworks=()
    )
    (group,) = result.groups
    assert group.mode == "coupled" and group.decay.factor is None
    assert not group.decay.multiplicative
    assert ("all", Pitfall.L2_IN_PRECONDITIONER) in pitfalls(result)


def test_the_same_recipe_with_adamw_is_not():
    result = audit(
        recipe(Group("all", build("torch.adamw(lr=1e-3, weight_decay=1e-2)"))), frameworks=()
    )
    assert ("all", Pitfall.L2_IN_PRECONDITIONER) not in pitfalls(result)


def test_decay_on_vectors_is_flagged_and_an_excluded_group_is_not():
    adamw = "torch.adamw(lr=1e-3, weight_decay={})"
    result = audit(
        recipe(
            Group("norms, decayed", build(adamw.format(0.1)), vectors=True),
            Group("norms, excluded", build(adamw.format(0)), vectors=True),
        ),
        frameworks=(),
    )
    found = pitfalls(result)
    assert ("norms, decayed", Pitfall.DECAY_ON_VECTORS) in found
    assert not [key for key in found if key[0] == "norms, excluded"]
    assert result.groups[1].mode == "none" and result.groups[1].decay is None


def test_a_timescale_longer_than_the_run_and_one_shorter_than_an_epoch_are_flagged():
    weak = build("torch.adamw(lr=1e-3, weight_decay=1e-3)")  # 1e-6 per step: does nothing here
    strong = build("torch.adamw(lr=0.1, weight_decay=1.0)")  # e in 10 steps
    result = audit(recipe(Group("weak", weak), Group("strong", strong), epoch=50), frameworks=())
    found = pitfalls(result)
    assert found[("weak", Pitfall.LONGER_THAN_RUN)] == pytest.approx((1 - 1e-6) ** 400)
    assert found[("strong", Pitfall.SHORTER_THAN_EPOCH)] == 10


def test_a_decay_that_follows_the_schedule_is_flagged_with_the_schedules_mean():
    """Under warm-up and cosine decay torch's AdamW decays about half as much as at a constant
    rate (the mean multiplier); the paper's independent decay does not follow the schedule."""
    schedule = S.warmup_cosine(100, 2000)
    result = audit(
        recipe(
            Group("torch", build("torch.adamw(lr=1e-3, weight_decay=0.1)")),
            Group("independent", build("adamw(lr=1e-3, weight_decay=1e-4, decay=independent)")),
            schedule=schedule,
            steps=2000,
        ),
        frameworks=(),
    )
    found = pitfalls(result)
    assert found[("torch", Pitfall.FOLLOWS_SCHEDULE)] == pytest.approx(
        schedule.values(2000).mean(), rel=1e-3
    )
    assert ("independent", Pitfall.FOLLOWS_SCHEDULE) not in found


def test_a_live_torch_optimizer_and_scheduler_are_read_as_a_recipe():
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.LayerNorm(8), torch.nn.Linear(8, 1))
    named = list(model.named_parameters())
    optimizer = torch.optim.AdamW(
        [
            {"params": [(n, p) for n, p in named if p.ndim >= 2]},
            {"params": [(n, p) for n, p in named if p.ndim < 2], "weight_decay": 0.0},
        ],
        lr=3e-4,
        weight_decay=0.1,
    )
    scheduler = torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=10)
    read = Recipe.from_torch(optimizer, scheduler, steps=100, steps_per_epoch=10, normalized=(0,))
    expected = [
        build("torch.adamw(lr=3e-4, weight_decay=0.1)"),  # lr: the base, not the warm-up's first
        build("torch.adamw(lr=3e-4, weight_decay=0)"),
    ]
    assert [(g.optimizer.values, g.optimizer.flags) for g in read.groups] == [
        (e.values, e.flags) for e in expected
    ]
    assert [g.vectors for g in read.groups] == [False, True]
    assert [g.normalized for g in read.groups] == [True, False]  # as the caller said
    assert read.groups[0].name == "group 0 (0.weight, 2.weight)"
    assert read.schedule == S.linear(0.1, 1, 10)


def test_the_explanation_renders_the_derived_factor_totals_and_findings():
    result = audit(
        recipe(Group("all", build("torch.adamw(lr=1e-3, weight_decay=0.1)"))), frameworks=("optax",)
    )
    text = result.explain().render("text")
    assert "w_{t+1} / w_t = 1 - s_t/10000" in text
    assert "in optax: optax.adamw(learning_rate=0.001, weight_decay=0.1)" in text
    assert "Findings" in text and "decay timescale longer than the run" in text
    assert result.explain().render("markdown").startswith("# audit:")


@pytest.mark.parametrize(("steps", "epoch"), [(0, None), (10, 0)])
def test_a_recipe_of_no_steps_is_refused_in_one_line(steps, epoch):
    with pytest.raises(WdtheoryError, match="whole numbers >= 1"):
        recipe(Group("g", build("torch.adamw")), steps=steps, epoch=epoch)


# --------------------------------------------------------------------------- recipe files

EXAMPLES = Path(__file__).parents[2] / "examples" / "recipes"


def test_the_example_recipes_read_and_audit_as_their_comments_say():
    resnet, transformer, adam = (
        audit(read_recipe(EXAMPLES / f"{name}.toml"), frameworks=())
        for name in ("resnet-sgd", "transformer-adamw", "adam-l2")
    )
    assert ("biases and batch-norm scales", Pitfall.DECAY_ON_VECTORS) in pitfalls(resnet)
    assert [g.mode for g in transformer.groups] == ["decoupled", "none"]
    assert ("weight matrices", Pitfall.FOLLOWS_SCHEDULE) in pitfalls(transformer)
    assert ("all parameters", Pitfall.L2_IN_PRECONDITIONER) in pitfalls(adam)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "recipe.toml"
    path.write_text(text)
    return path


def test_a_group_sets_hyperparameters_by_the_optimizers_keys(tmp_path):
    recipe = read_recipe(
        write(
            tmp_path,
            'optimizer = "torch.adamw(lr=1e-3, weight_decay=0.1)"\nsteps = 10\n'
            '[[group]]\nname = "a"\n[[group]]\nname = "b"\nvectors = true\nweight_decay = 0\n',
        )
    )
    assert [g.optimizer.values["weight_decay"] for g in recipe.groups] == [R(1, 10), 0]
    assert [g.vectors for g in recipe.groups] == [False, True]
    assert recipe.schedule == S.constant()


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('optimizer = "torch.adamw"\nstepz = 10', "unknown key 'stepz' (did you mean 'steps'?)"),
        ("steps = 10", "give optimizer"),
        ('optimizer = "torch.adamw"\nsteps = "ten"', "steps='ten'"),
        (
            'optimizer = "torch.adamw"\nsteps = 10\nschedule = "cosin(steps=3)"',
            "did you mean 'cosine'",
        ),
        ('optimizer = "torch.adamw"\nsteps = 10\n[[group]]\nweight_decay = "x"', "group 1"),
        (
            'optimizer = "torch.adamw"\nsteps = 10\n[[group]]\nweight_decai = 0.1',
            "group 1: unknown",
        ),
        ('optimizer = "__import__(\\"os\\")"\nsteps = 10', "optimizer: strings are not allowed"),
        ("optimizer = ", "is not a TOML file"),
    ],
)
def test_a_bad_recipe_is_one_line_naming_the_entry(tmp_path, text, fragment):
    with pytest.raises(WdtheoryError) as error:
        read_recipe(write(tmp_path, text))
    assert "\n" not in str(error.value) and fragment in str(error.value), str(error.value)


def test_a_momentum_rule_reports_its_effective_lambda_at_rest():
    """SGDW with momentum rests at ridge(lambda (1 - mu)/(1 - tau)); torch's SGD at lambda."""
    result = audit(
        recipe(
            Group("sgdw", build("sgdw(lr=0.1, momentum=0.9, weight_decay=1e-4)")),
            Group("torch", build("torch.sgd(lr=0.1, momentum=0.9, weight_decay=1e-4)")),
            Group("adamw", build("torch.adamw(lr=1e-3, weight_decay=0.1)")),
        ),
        frameworks=(),
    )
    assert [g.fixed.ridge_strength for g in result.groups[:2]] == [R(1, 10**5), R(1, 10**4)]
    assert not result.groups[2].fixed.is_ridge
    assert "ridge with lambda_eff = 1/100000" in result.explain().render("text")


def test_a_decay_step_that_overshoots_is_flagged_not_called_slow():
    """eta*lambda = 3: each step maps w to -2w; |w| grows, which no timescale describes."""
    result = audit(
        recipe(Group("g", build("torch.sgd(lr=0.1, weight_decay=30)")), steps=10), frameworks=()
    )
    assert pitfalls(result)[("g", Pitfall.GROWS)] == 1024
    assert ("g", Pitfall.LONGER_THAN_RUN) not in pitfalls(result)


def test_eps_zero_is_a_one_line_error_not_an_engine_disagreement():
    with pytest.raises(WdtheoryError, match="divides 0 by 0"):
        audit(recipe(Group("g", build("torch.adamw(lr=1e-3, eps=0)")), steps=5), frameworks=())


@pytest.mark.usefixtures("fresh_comparisons")
def test_an_audit_ends_within_its_budget():
    """The searches share the budget: a tiny one leaves the conversion undecided, saying why."""
    result = audit(
        recipe(Group("g", build("torch.adamw(lr=1e-3)")), steps=5),
        frameworks=("keras",),
        budget=1e-3,
    )
    (conversion,) = result.groups[0].conversions
    assert not conversion.decided and "could not decide" in conversion.reason


def test_a_normalised_group_gets_its_equilibrium_angle_derived_and_measured():
    """Without momentum the lowered rule turns by the derived acos(1 - eta lambda s) at the
    schedule's peak; the angle follows the schedule."""
    result = audit(
        recipe(
            Group("w", build("torch.sgd(lr=0.1, weight_decay=1e-3)"), normalized=True),
            Group("same rule, not normalised", build("torch.sgd(lr=0.1, weight_decay=1e-3)")),
            schedule=S.cosine(steps=400),
        ),
        frameworks=(),
    )
    turn = result.groups[0].rotation
    assert turn.angle == sp.acos(1 - R(1, 10**4) * SCHEDULE)
    assert turn.peak == 1 and turn.derived == pytest.approx(math.acos(1 - 1e-4), rel=1e-12)
    assert turn.measured == pytest.approx(turn.derived, rel=0.05) and not turn.correlated
    assert result.groups[1].rotation is None
    text = result.explain().render("text")
    assert "theta* = acos(1 - s_t/10000)" in text and "rad measured" in text


def test_a_norm_that_cannot_settle_within_the_run_is_flagged():
    """eta*lambda = 1e-4: the norm takes ~2500 steps per e-fold, the run has 400."""
    result = audit(
        recipe(Group("w", build("torch.sgd(lr=0.1, weight_decay=1e-3)"), normalized=True)),
        frameworks=(),
    )
    assert pitfalls(result)[("w", Pitfall.NOT_AT_EQUILIBRIUM)] == pytest.approx(
        -1 / math.log(abs(2 * (1 - 1e-4) ** 2 - 1))
    )


def test_a_rule_whose_decay_passes_through_momentum_is_measured_only():
    result = audit(
        recipe(
            Group("w", build("torch.sgd(lr=0.1, momentum=0.9, weight_decay=1e-3)"), normalized=True)
        ),
        frameworks=(),
    )
    turn = result.groups[0].rotation
    assert turn.angle is None and turn.derived is None and turn.correlated
    assert 0 < turn.measured < math.acos(1 - 1e-3)  # turns, but less than uncorrelated steps


def test_a_recipe_file_marks_normalised_groups(tmp_path):
    recipe_ = read_recipe(
        write(
            tmp_path,
            'optimizer = "torch.adamw"\nsteps = 10\n[[group]]\nname = "a"\nnormalized = true\n'
            '[[group]]\nname = "b"\n',
        )
    )
    assert [g.normalized for g in recipe_.groups] == [True, False]
    with pytest.raises(WdtheoryError, match="normalized='yes'; allowed: true, false"):
        read_recipe(
            write(
                tmp_path, 'optimizer = "torch.adamw"\nsteps = 10\n[[group]]\nnormalized = "yes"\n'
            )
        )


def test_a_recipe_transfers_its_decay_to_the_target_it_names(tmp_path):
    """4x the batch with the lr kept: 4x the decay keeps the timescale in epochs (the examples
    come from steps_per_epoch x batch_size); L2 inside Adam has no rate to keep."""
    result = audit(
        read_recipe(
            write(
                tmp_path,
                'optimizer = "torch.adamw(lr=1e-3, weight_decay=0.05)"\nsteps = 100\n'
                "steps_per_epoch = 10\nbatch_size = 32\n"
                '[transfer]\nbatch_size = 128\n[[group]]\nname = "w"\n'
                '[[group]]\nname = "adam l2"\nvectors = false\n',
            )
        ),
        frameworks=(),
    )
    assert result.recipe.scale.examples == 320
    assert result.groups[0].transfer.value == R(1, 5)
    assert "weight_decay = 0.2" in result.explain().render("text")
    l2 = audit(
        dataclasses.replace(
            result.recipe, groups=(Group("l2", build("torch.adam(lr=1e-3, weight_decay=0.05)")),)
        ),
        frameworks=(),
    )
    assert l2.groups[0].transfer is None


@pytest.mark.parametrize(
    ("table", "fragment"),
    [
        ("batch = 4", "transfer: unknown key 'batch' (did you mean 'batch_size'?)"),
        ("batch_size = 0", "transfer: batch_size=0: give a whole number >= 1"),
        ('keep = "days"', "transfer: unknown keep 'days'; allowed: epochs, run, steps"),
        ('lr_rule = "cubic"', "transfer: unknown lr_rule 'cubic'"),
    ],
)
def test_a_bad_transfer_table_is_one_line_naming_it(tmp_path, table, fragment):
    with pytest.raises(WdtheoryError) as error:
        read_recipe(
            write(tmp_path, f'optimizer = "torch.adamw"\nsteps = 10\n[transfer]\n{table}\n')
        )
    assert "\n" not in str(error.value) and fragment in str(error.value), str(error.value)


def test_independent_decay_under_a_varying_schedule_is_no_librarys_and_grows_relative_to_the_step():
    """The paper's decay without the schedule: the step anneals to 10% while the decay does not,
    so lambda_eff at rest is 10x at the end, and no torch rule is it (torch's decay is
    multiplied by the scheduled lr). Under a constant schedule the rest point has no s_t and
    nothing is flagged."""
    optimizer = build("sgdw(lr=0.1, momentum=0.9, weight_decay=1e-3, decay=independent)")
    cosine = S.cosine(steps=100, floor=0.1)
    result = audit(recipe(Group("g", optimizer), schedule=cosine, steps=101), frameworks=("torch",))
    (group,) = result.groups
    assert group.fixed.ridge_strength == 1 / (1000 * SCHEDULE)  # lambda (1 - mu) / (eta s_t)
    assert float(ridge_at_end(group.fixed, result.recipe)) == pytest.approx(1e-2)
    assert pitfalls(result)[("g", Pitfall.IGNORES_SCHEDULE)] == pytest.approx(10)
    assert group.conversions[0].target is None
    constant = audit(recipe(Group("g", optimizer), steps=101), frameworks=())
    assert ridge_at_end(constant.groups[0].fixed, constant.recipe) is None
    assert ("g", Pitfall.IGNORES_SCHEDULE) not in pitfalls(constant)


def test_a_decay_that_follows_the_schedule_converts_to_the_paper_under_it():
    """torch's AdamW under a cosine schedule is the paper's AdamW with lambda' = eta*lambda, its
    eta_t the schedule: the conversion is made of the scheduled rule."""
    result = audit(
        recipe(
            Group("w", build("torch.adamw(lr=1e-3, weight_decay=0.1)")),
            schedule=S.cosine(steps=50),
            steps=50,
        ),
        frameworks=("paper",),
    )
    (conversion,) = result.groups[0].conversions
    assert conversion.target is not None and conversion.target.name == "paper.adamw"
    assert "its learning rate following the same schedule" in result.explain().render("text")


@pytest.mark.parametrize(
    ("schedule", "steps", "pitfall", "value"),
    [
        (S.cosine(steps=50, floor=0.1), 80, Pitfall.SCHEDULE_ENDS_EARLY, 30),  # 30 steps at 0.1
        (
            S.cosine(steps=100, floor=0.1),
            50,
            Pitfall.RUN_ENDS_EARLY,
            0.55 + 0.45 * math.cos(math.pi * 49 / 100),
        ),
    ],
)
def test_a_schedule_whose_length_is_not_the_runs_is_flagged(schedule, steps, pitfall, value):
    result = audit(
        recipe(Group("g", build("torch.sgd(lr=0.1)")), schedule=schedule, steps=steps),
        frameworks=(),
    )
    assert pitfalls(result)[("all groups", pitfall)] == pytest.approx(value)


def test_a_schedule_as_long_as_the_run_or_constant_is_not_flagged():
    for schedule, steps in ((S.cosine(steps=50), 50), (S.constant(), 10), (S.exponential(0.9), 10)):
        result = audit(
            recipe(Group("g", build("torch.sgd(lr=0.1)")), schedule=schedule, steps=steps),
            frameworks=(),
        )
        assert not [f for f in result.findings if f.group == "all groups"]


def test_a_normalised_group_whose_decay_does_not_shrink_gets_no_angle():
    """f = 1 - eta*lambda = 0 (or below): no equilibrium to derive or measure."""
    result = audit(
        recipe(Group("g", build("torch.sgd(lr=1, weight_decay=1)"), normalized=True), steps=20),
        frameworks=(),
    )
    assert result.groups[0].rotation is None


def test_a_measuring_run_that_has_not_settled_says_so():
    """L2 inside Adam: its angle keeps falling far beyond the run's cap."""
    result = audit(
        recipe(
            Group("g", build("torch.adam(lr=1e-3, weight_decay=1e-4)"), normalized=True), steps=20
        ),
        frameworks=(),
    )
    turn = result.groups[0].rotation
    assert turn.derived is None and not turn.settled
    assert "not settled when the run stopped" in result.explain().render("text")


@pytest.mark.parametrize(
    ("table", "fragment"),
    [
        ("keep = 3", "transfer: keep=3; allowed: steps, epochs, run"),
        ('lr_rule = ["linear"]', "transfer: lr_rule=['linear']"),
        ('width = 2048\nlr_rule = "mup"', "transfer: keeping the timescale in epochs with the mup"),
    ],
)
def test_a_transfer_table_of_the_wrong_kind_is_one_line(tmp_path, table, fragment):
    with pytest.raises(WdtheoryError) as error:
        read_recipe(
            write(tmp_path, f'optimizer = "torch.adamw"\nsteps = 10\n[transfer]\n{table}\n')
        )
    message = str(error.value)
    assert "\n" not in message and fragment in message and message.count("transfer:") == 1


def test_a_ridge_rest_point_is_checked_by_running_the_rule_to_rest():
    """torch's SGD with momentum rests at ridge(lambda): the run agrees to round-off; a wrong
    lambda_eff (twice the true one) is as far from the run as ridge is from least squares."""
    optimizer = build("torch.sgd(lr=0.1, momentum=0.9, weight_decay=0.05)")
    result = audit(recipe(Group("g", optimizer)), frameworks=())
    fixed = result.groups[0].fixed
    assert result.groups[0].ridge_gap < 1e-9
    wrong = dataclasses.replace(fixed, ridge_strength=2 * fixed.ridge_strength)
    assert ridge_gap(optimizer, wrong) > 0.3
    adam = audit(recipe(Group("a", build("torch.adam(lr=1e-3, weight_decay=0.05)"))), frameworks=())
    assert adam.groups[0].fixed.is_ridge and adam.groups[0].ridge_gap is None  # cannot tell


@pytest.mark.parametrize(
    "spec",
    [
        "torch.sgd(lr=0, momentum=0.9, weight_decay=0.05)",  # the step does not move
        "torch.sgd(lr=0.1, momentum=1, weight_decay=0.05)",  # no rest to reach
        "torch.sgd(lr=1, weight_decay=5)",  # the decay step overshoots: the run diverges
        "torch.adagrad(lr=0.1, lr_decay=0.01, weight_decay=0.01)",  # a factor of t too
    ],
)
def test_an_audit_of_a_rule_a_run_cannot_check_answers_without_the_check(spec):
    (group,) = audit(recipe(Group("g", build(spec)), steps=50), frameworks=()).groups
    assert group.ridge_gap is None


def test_a_loss_scale_is_part_of_the_step_the_ridge_check_scales_to():
    (group,) = audit(
        recipe(Group("g", build("sgd(lr=0.1, weight_decay=0.05, loss_scale=1024)"))),
        frameworks=(),
    ).groups
    assert group.ridge_gap < 1e-9
