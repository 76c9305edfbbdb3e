"""cond, case and while_loop: only the taken branch runs, structures, TF's errors, and how they
compose with control dependencies and variables."""
import pytest

import flowlog as fl


def test_only_the_taken_branch_runs():
    with fl.Graph().as_default():
        p = fl.placeholder(fl.bool, [])
        v = fl.Variable(0)
        a = fl.cond(p, lambda: fl.assign_add(v, 1), lambda: fl.assign_add(v, 100))
        bad = fl.cond(p, lambda: fl.constant(1.0),
                      lambda: fl.Print(fl.constant(2.0), [], "never printed"))
        with fl.Session() as sess:
            sess.run(v.initializer)
            assert [sess.run(a, {p: t}) for t in (True, True, False)] == [1, 2, 102]
            assert sess.run(bad, {p: True}) == 1.0


def test_cond_structures_and_errors():
    with fl.Graph().as_default():
        p = fl.constant(True)
        pair = fl.cond(p, lambda: (fl.constant(1), fl.constant(2.0)),
                       lambda: (fl.constant(3), fl.constant(4.0)))
        single = fl.cond(p, lambda: [fl.constant(1)], lambda: [fl.constant(2)])
        strict = fl.cond(p, lambda: [fl.constant(1)], lambda: [fl.constant(2)], strict=True)
        named = fl.cond(p, lambda: {"a": fl.constant(1.0)}, lambda: {"a": fl.constant(2.0)})
        assert isinstance(pair, tuple) and isinstance(single, fl.Tensor)
        assert isinstance(strict, list) and set(named) == {"a"}
        with fl.Session() as sess:
            assert sess.run([pair[0], pair[1], single, strict[0], named["a"]]) == [1, 2.0, 1, 1, 1.0]
        with pytest.raises(ValueError, match="must have the same type: int32, float32"):
            fl.cond(p, lambda: fl.constant(1), lambda: fl.constant(1.0))
        with pytest.raises(ValueError, match="same nested structure"):
            fl.cond(p, lambda: (fl.constant(1), fl.constant(2)), lambda: fl.constant(1))
        with pytest.raises(TypeError, match="true_fn must be callable"):
            fl.cond(p, fl.constant(1), lambda: fl.constant(2))
        with pytest.raises(TypeError, match="pred must be a bool tensor"):
            fl.cond(fl.constant(1), lambda: fl.constant(1), lambda: fl.constant(2))


def test_cond_shape_is_what_both_branches_agree_on():
    with fl.Graph().as_default():
        p = fl.placeholder(fl.bool, [])
        y = fl.cond(p, lambda: fl.zeros([2, 3]), lambda: fl.zeros([2, 5]))
        assert y.shape.as_list() == [2, None]
        with fl.Session() as sess:
            assert sess.run(y, {p: False}).shape == (2, 5)


def test_case_picks_the_first_true_predicate():
    with fl.Graph().as_default():
        x = fl.placeholder(fl.int32, [])
        y = fl.case([(x > 10, lambda: fl.constant(2)), (x > 5, lambda: fl.constant(1))],
                    default=lambda: fl.constant(0))
        z = fl.case({x > 0: lambda: fl.constant(7), x <= 0: lambda: fl.constant(8)})
        with fl.Session() as sess:
            assert [sess.run(y, {x: v}) for v in (20, 7, 1)] == [2, 1, 0]
            assert [sess.run(z, {x: v}) for v in (3, -3)] == [7, 8]


def test_while_loop_values_structure_and_maximum_iterations():
    with fl.Graph().as_default():
        n = fl.placeholder(fl.int32, [])
        i, fib = fl.while_loop(lambda i, f: i < n,
                               lambda i, f: (i + 1, fl.stack([f[1], f[0] + f[1]])),
                               [fl.constant(0), fl.constant([0, 1])])
        single = fl.while_loop(lambda v: v < 100, lambda v: v * 2, [fl.constant(1)])
        capped = fl.while_loop(lambda v: v < 100, lambda v: v + 1, [0], maximum_iterations=5)
        named = fl.while_loop(lambda s: s["k"] < 3, lambda s: [{"k": s["k"] + 1}],
                              [{"k": fl.constant(0)}], return_same_structure=True)
        assert isinstance(single, fl.Tensor) and fib.shape.as_list() == [2]
        with fl.Session() as sess:
            assert sess.run([i, fib], {n: 10}) == [10, pytest.approx([55, 89])]
            assert sess.run([single, capped, named[0]["k"]]) == [128, 5, 3]


def test_while_loop_errors():
    with fl.Graph().as_default():
        with pytest.raises(ValueError, match="enters the loop with shape"):
            fl.while_loop(lambda v: fl.size(v) < 5, lambda v: fl.concat([v, v], 0),
                          [fl.ones([1])])
        with pytest.raises(ValueError, match="enters the loop with type int32"):
            fl.while_loop(lambda v: v < 5, lambda v: fl.cast(v, fl.float32), [fl.constant(0)])
        with pytest.raises(ValueError, match="same nested structure"):
            fl.while_loop(lambda a, b: a < 5, lambda a, b: a + 1,
                          [fl.constant(0), fl.constant(0)])
        grows = fl.while_loop(lambda v: fl.size(v) < 5, lambda v: fl.concat([v, v], 0),
                              [fl.ones([1])], shape_invariants=[fl.TensorShape([None])])
        with fl.Session() as sess:
            assert sess.run(grows).shape == (8,)


def test_control_dependencies_apply_to_cond_and_while_as_a_whole():
    with fl.Graph().as_default():
        v = fl.Variable(1.0)
        update = fl.assign_add(v, 1.0)
        with fl.control_dependencies([update]):
            seen = fl.cond(fl.constant(True), lambda: v.read_value(), lambda: fl.constant(0.0))
            looped = fl.while_loop(lambda k, s: k < 2, lambda k, s: (k + 1, s + v.read_value()),
                                   [0, 0.0])[1]
        assert update.op in seen.op.control_inputs and update.op in looped.op.control_inputs
        with fl.Session() as sess:
            sess.run(v.initializer)
            assert sess.run(seen) == 2.0  # after the update, which ran once
            assert sess.run(looped) == 6.0  # one more update, then 3 + 3
            assert sess.run(v) == 3.0


def test_gradient_through_a_while_loop_into_a_variable_trains():
    with fl.Graph().as_default():
        w = fl.Variable(1.0)
        # x_{k+1} = w * x_k, four times, from 1: the loss pulls w ** 4 toward 16
        out = fl.while_loop(lambda k, x: k < 4, lambda k, x: (k + 1, x * w), [0, 1.0])[1]
        loss = fl.square(out - 16.0)
        (grad,) = fl.gradients(loss, [w])
        train = fl.train.AdamOptimizer(0.05).minimize(loss)
        with fl.Session() as sess:
            sess.run(fl.global_variables_initializer())
            assert sess.run(grad) == pytest.approx(8 * 1.0 * (1.0 - 16))  # 8 w^3 (w^4 - 16)
            for _ in range(300):
                sess.run(train)
            assert sess.run(w) == pytest.approx(2.0, rel=1e-3)


def test_unfed_loop_variables_are_not_reachable_from_outside():
    with fl.Graph().as_default():
        body_value = []
        fl.while_loop(lambda v: v < 3, lambda v: body_value.append(v * 2) or v + 1, [0])
        with fl.Session() as sess, pytest.raises(fl.errors.InvalidArgumentError,
                                                 match="no value outside its loop"):
            sess.run(body_value[0])
