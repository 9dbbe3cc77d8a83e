"""The classic mistakes (issue 10): the backward pass replayed with ONE wrong rule.

The page's "what if" is computed, not drawn: `evaluate(..., mistake=name)` runs the right
backward pass and then a second one that differs from it in exactly one rule, so any
expression shows what the mistake does to it. The wrong pass is the `Result`'s main answer
(gradients, nodes' `grad`, edges' `grad`, the trace); the right one comes beside it
(`Result.mistake`, and `right_grad` on every node and edge).

One entry per mistake in `MISTAKES`; the rule itself is the one `if` in `backward` below
that names it. This pass is a plain loop, apart from `autodiff.backward`, so the right
pass (and its fast inline trace) is not touched by any of this.
"""

import dataclasses

import numpy as np

from .autodiff import _scalar_edges, _tensor_edges, _zeros, backward as right_backward
from .numerics import ArrayMath
from .trace import OP, seed_event, tensor_edge_event


@dataclasses.dataclass(frozen=True, slots=True)
class Mistake:
    name: str
    title: dict  # {"en": ..., "ko": ...}
    description: dict


MISTAKES: dict[str, Mistake] = {m.name: m for m in (
    Mistake(
        "overwrite_at_forks",
        {"en": "Overwriting at forks (= instead of +=)",
         "ko": "분기 지점에서 덮어쓰기 (+= 대신 =)"},
        {"en": "At a fork (a node used in several places) each use sends back its own "
               "contribution, and the multivariable chain rule adds them up (+=). This "
               "pass assigns (=) instead: the node keeps only the contribution that arrives "
               "last in the backward order, so a variable used in several places gets a "
               "wrong gradient, and so does everything upstream of it.",
         "ko": "분기 지점(여러 곳에서 쓰이는 노드)에는 쓰인 곳마다 기울기가 하나씩 돌아오고, "
               "다변수 연쇄법칙에 따라 이들을 모두 더해야(+=) 합니다. 이 실수는 더하지 않고 "
               "대입(=)합니다. 그러면 노드에는 역전파 순서에서 마지막으로 도착한 기울기만 "
               "남으므로, 여러 곳에서 쓰인 변수의 기울기가 틀리고 그보다 앞쪽 노드들의 "
               "기울기도 모두 틀어집니다."}),
    Mistake(
        "no_broadcast_sum",
        {"en": "Not summing a broadcast operand's gradient",
         "ko": "브로드캐스트된 피연산자의 기울기를 합하지 않기"},
        {"en": "An operand that was broadcast in the forward pass (b in W @ X + b is added to "
               "every column) must get the upstream gradient summed over the broadcast axes, "
               "so that its gradient has its shape. This pass forgets the sum: a broadcast "
               "variable or constant gets the upstream gradient itself, of the wrong shape "
               "(2×4 for a scalar b). Only variables and constants get the wrong tensor; a "
               "broadcast intermediate is still summed, because the ops before it could not "
               "use a gradient of the wrong shape.",
         "ko": "순전파에서 브로드캐스트된 피연산자(W @ X + b에서 모든 열에 더해지는 b)는 상위 "
               "기울기를 브로드캐스트된 축을 따라 더한 값을 받아야 자기 모양과 같은 기울기를 "
               "갖습니다. 이 실수는 그 합을 빠뜨려서, 브로드캐스트된 변수나 상수가 상위 "
               "기울기를 그대로 받아 모양이 틀립니다(스칼라 b인데 2×4). 틀린 텐서를 받는 것은 "
               "변수와 상수뿐이고, 브로드캐스트된 중간 노드는 그대로 합산합니다. 그 앞의 "
               "연산들은 모양이 틀린 기울기를 쓸 수 없기 때문입니다."}),
    Mistake(
        "output_for_input",
        {"en": "The input where the derivative wants the output",
         "ko": "도함수에 출력 대신 입력 넣기"},
        {"en": "Some local derivatives are written with the op's output y: σ′ = σ(1 − σ), "
               "tanh′ = 1 − tanh², exp′ = exp, √′ = 1/(2√). This pass puts the input u "
               "where y belongs: σ′ becomes u(1 − u), tanh′ 1 − u², exp′ u and √′ 1/(2u). "
               "Only these four ops (sigmoid, tanh, exp, sqrt) change.",
         "ko": "어떤 지역 기울기는 연산의 출력 y로 씁니다: σ′ = σ(1 − σ), tanh′ = 1 − tanh², "
               "exp′ = exp, √′ = 1/(2√). 이 실수는 y 자리에 입력 u를 넣어서 σ′를 u(1 − u)로, "
               "tanh′를 1 − u²로, exp′를 u로, √′를 1/(2u)로 계산합니다. 바뀌는 연산은 이 "
               "네 가지(sigmoid, tanh, exp, sqrt)뿐입니다."}),
)}


def mistakes_json():
    return [dataclasses.asdict(m) for m in MISTAKES.values()]


def check(name):
    """None, or a known mistake's name; else ValueError (the API refuses it with a 422)."""
    if name is not None and name not in MISTAKES:
        raise ValueError(f"unknown mistake; the mistakes are {', '.join(MISTAKES)}")
    return name


def backward(g, vals, seed, ids, name):
    """The backward pass with mistake `name`: (grads, contributions, events, report, right).

    `right` is (grads, contributions) of the right pass; `report` is the MistakeReport.
    Op nodes in the same order as `autodiff.backward`, so the steps line up one to one.
    """
    right_grads, right_contributions, _ = right_backward(g, vals, seed)
    ops, args, shapes, first, kinds = g.ops, g.args, g.shapes, g.first_edge, g.kinds
    grads = [None] * len(g)
    grads[g.output] = seed
    contributions = [None] * g.edge_count
    events = [seed_event(ids[g.output], seed)]
    holder, dropped = {}, []  # node -> the edge whose contribution it holds; overwritten edges
    with np.errstate(all="ignore"):
        for i in reversed(g.op_nodes):
            op, ins = ops[i], args[i]
            gi = grads[i]
            if gi is None:
                gi = grads[i] = _zeros(shapes[i])
            locals_, contribs = _edges(g, i, gi, vals, vals[i])
            swapped = name == "output_for_input" and bool(op.output_derivative)
            if swapped:  # the mistake: the input u goes where the rule reads the output y
                right_locals = locals_
                locals_, contribs = _edges(g, i, gi, vals, vals[ins[0]])
            names = [g.names[a] or op.operands[m] for m, a in enumerate(ins)]
            e = first[i]
            for k, j in enumerate(ins):
                c, local, said = contribs[k], locals_[k], {}
                if swapped:
                    said = {"mistake": name, "right_local": right_locals[k]}
                    if local.__class__ is str:
                        local = "G⊙(" + op.output_derivative[k].replace("{y}", "{0}").format(
                            *names) + ")"
                elif (name == "no_broadcast_sum" and op.local is not None
                      and kinds[j] is not OP and shapes[j] != shapes[i]):
                    unsummed = _unsummed(op, k, gi, vals, ins, vals[i], shapes[i])
                    if _adds_to(grads[j], unsummed):
                        said = {"mistake": name, "right_contribution": c}
                        c, local = unsummed, op.rule[k].format(*names)  # G, not Σ(G)
                acc = grads[j]
                if name == "overwrite_at_forks" and acc is not None:
                    said = {"mistake": name, "overwritten": acc}
                    dropped.append(holder[j])
                    acc = c  # the mistake: = where the chain rule says +=
                else:
                    acc = c if acc is None else acc + c
                grads[j], holder[j], contributions[e] = acc, e, c
                if local.__class__ is str:
                    event = tensor_edge_event(e, ids[j], ids[i], k, gi, local, c, acc,
                                              shapes[i], shapes[j])
                else:
                    event = {"phase": "backward", "kind": "edge", "edge": e, "source": ids[j],
                             "target": ids[i], "index": k, "upstream": gi, "local": local,
                             "contribution": c, "accumulated": acc}
                events.append({**event, **said})
                e += 1
    grads = [_zeros(shapes[i]) if v is None else v for i, v in enumerate(grads)]
    report = {"name": name,
              "right_gradients": {v: right_grads[i] for v, i in g.variables.items()},
              "wrong_nodes": [ids[i] for i in range(len(g))
                              if _differs(grads[i], right_grads[i])],
              "wrong_edges": [e for e in range(g.edge_count)
                              if _differs(contributions[e], right_contributions[e])],
              "dropped_edges": sorted(dropped)}
    return grads, contributions, events, report, (right_grads, right_contributions)


def _edges(g, i, gi, vals, out):
    """(locals, contributions) of op node i's edges, as autodiff computes them, with `out`
    standing for the node's output in its local derivatives."""
    op = g.ops[i]
    if op.local is not None and not g.shapes[i]:
        return _scalar_edges(op, g.args[i], vals, out, gi)
    return _tensor_edges(g, i, gi, out, vals)


def _unsummed(op, k, gi, vals, ins, out, shape):
    """upstream × local for argument k, left at the broadcast (output) shape."""
    xs = [np.float64(vals[j]) if vals[j].__class__ is float else vals[j] for j in ins]
    local = op.local[k](ArrayMath, *xs, out)
    return np.array(np.broadcast_to(gi * local, shape), dtype=np.float64)


def _adds_to(acc, unsummed):
    """Whether an un-summed gradient can join what the leaf holds. Two un-summed gradients
    of shapes that do not broadcast together (a scalar added to a 2×3 and to a 3×2) cannot:
    the wrong code would crash there, so that contribution is summed as it should be."""
    if acc is None:
        return True
    try:
        np.broadcast_shapes(np.shape(acc), unsummed.shape)
        return True
    except ValueError:
        return False


def _differs(a, b):
    if a.__class__ is float and b.__class__ is float:
        return a != b and not (a != a and b != b)  # NaN against NaN is no difference
    return np.shape(a) != np.shape(b) or not np.array_equal(a, b, equal_nan=True)
