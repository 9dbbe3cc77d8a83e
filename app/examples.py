"""The example presets: one or more per section of the Korean backprop tutorial.

`EXAMPLES` is the list served by `GET /api/examples` and shown in the page's examples
menu, in tutorial order. Each entry is plain JSON data:

    {"id": slug, "section": section slug (see SECTIONS),
     "title": {"ko", "en"}, "explanation": {"ko", "en"},   # plain text, no HTML or markdown
     "expression": str, "values": {name: number | nested list},
     "output_grad"?: number | nested list,                   # omitted when the seed is 1
     "expand"?: True,                                        # omitted when False
     "train"?: {"params": [names], "optimizer": {"name", "lr"}, "steps": n,
                "l2"?: λ, "batch"?: {"size": B, "data": [names]}}}

Every number quoted in an explanation is what `app.engine.evaluate` gives for the preset
(rounded); the training numbers follow the update rules of app/engine/optim.py (checked in
tests/unit/test_examples.py). `get_examples()` returns a deep copy, so callers may change
what they get without touching the module constant.
"""

import copy

# The tutorial sections the presets belong to, in the tutorial's order (the examples menu
# shows them so, numbered). `tutorial` is the heading number in backprop-tutorial.ko.md.
SECTIONS = [
    {"id": "numerical-gradient", "tutorial": 1,
     "title": {"ko": "왜 역전파를 계산하는가", "en": "Why backpropagation"}},
    {"id": "losses", "tutorial": 2,
     "title": {"ko": "손실 함수: MSE와 교차엔트로피", "en": "Loss functions: MSE and cross-entropy"}},
    {"id": "regularization", "tutorial": 2,
     "title": {"ko": "정규화", "en": "Regularisation"}},
    {"id": "minibatch", "tutorial": 2,
     "title": {"ko": "미니배치", "en": "Minibatches"}},
    {"id": "training", "tutorial": 2,
     "title": {"ko": "경사하강법으로 학습하기", "en": "Training with gradient descent"}},
    {"id": "chain-rule", "tutorial": 4,
     "title": {"ko": "연쇄법칙과 계산 그래프", "en": "Chain rule and the computation graph"}},
    {"id": "intuition", "tutorial": 5,
     "title": {"ko": "직관적 이해: 지역 기울기", "en": "Intuition: local gradients"}},
    {"id": "sigmoid-neuron", "tutorial": 6,
     "title": {"ko": "모듈성: 시그모이드 뉴런", "en": "Modularity: the sigmoid neuron"}},
    {"id": "staged-computation", "tutorial": 7,
     "title": {"ko": "실전 절차: 단계적 계산", "en": "Staged computation in practice"}},
    {"id": "gate-patterns", "tutorial": 8,
     "title": {"ko": "게이트별 역전파 패턴", "en": "Gate patterns in backprop"}},
    {"id": "input-scaling", "tutorial": 8,
     "title": {"ko": "스케일 효과와 전처리", "en": "Input scale and preprocessing"}},
    {"id": "matrix-gradients", "tutorial": 9,
     "title": {"ko": "벡터/행렬 연산의 기울기", "en": "Gradients of vector and matrix operations"}},
]

# The page opens on the tutorial's first worked example.
DEFAULT_EXAMPLE = "chain-rule"

# Data sets used by more than one preset. Functions, so that no two presets share a list.
def _mse_x():
    return [[1, 2, 0, -1], [0, 1, 2, 1]]


def _reg_x():
    """12 samples as the columns of one row (with _reg_y: y = 2x + 1 plus fixed noise)."""
    return [[-1.5, -1.25, -1, -0.75, -0.5, -0.25, 0.25, 0.5, 0.75, 1, 1.25, 1.5]]


def _reg_y():
    return [[-1.9, -1.7, -0.95, -0.35, -0.1, 0.7, 1.35, 2.05, 2.45, 3.1, 3.3, 4.15]]


# Two classes in 2-D, alternating 0, 1, 0, 1, ... by column; (0.6, 0.2) of class 0 lies on
# the class-1 side, so no line separates them perfectly and the loss has a finite minimum.
_CLS_X = [[-1.5, 1.0, -1.0, 1.5, -2.0, 0.5, -0.5, 2.0, 0.3, 1.2, 0.6, -0.2],
          [-1.0, 1.5, -2.0, 0.5, -0.5, 2.0, -1.5, 1.0, -1.0, -0.3, 0.2, 0.8]]
_CLS_Y = [[0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1]]

_STAGED = """sigy = sigmoid(y)
num = x + sigy
sigx = sigmoid(x)
xpy = x + y
xpysqr = xpy**2
den = sigx + xpysqr
invden = 1 / den
f = num * invden"""

_LOGISTIC = """p = sigmoid(W @ X + b)
L = -mean(Y * log(p) + (1 - Y) * log(1 - p))"""

EXAMPLES = [
    # ------------------------------------------------------------ §4 chain rule
    {
        "id": "chain-rule",
        "section": "chain-rule",
        "title": {"ko": "연쇄법칙: f = (x + y) z",
                  "en": "Chain rule: f = (x + y) z"},
        "explanation": {
            "ko": "튜토리얼의 합성함수 f = (x + y) z를 중간변수 q = x + y와 f = q z 두 단계로 "
                  "나눈 그래프입니다. 전방패스에서 q = 3, f = -12가 계산됩니다. 역전파는 출력의 "
                  "기울기 1에서 시작합니다. 곱 게이트의 지역 기울기는 서로 바뀐 입력값이므로 "
                  "∂f/∂q = z = -4, ∂f/∂z = q = 3이고, 합 게이트의 지역 기울기는 1이므로 연쇄법칙 "
                  "∂f/∂x = ∂f/∂q × ∂q/∂x = -4 × 1에 따라 x와 y의 기울기는 모두 -4입니다. "
                  "타임라인을 한 단계씩 넘기며 각 간선에서 상위 기울기 × 지역 기울기 = 전달되는 "
                  "기울기가 계산되는 것을 확인해 보세요.",
            "en": "The tutorial's function f = (x + y) z split into two named stages, q = x + y "
                  "and f = q z. The forward pass gives q = 3 and f = -12. The backward pass starts "
                  "from the gradient 1 at the output. The multiply gate's local gradients are its "
                  "swapped inputs, so ∂f/∂q = z = -4 and ∂f/∂z = q = 3; the add gate's local "
                  "gradient is 1, so by the chain rule ∂f/∂x = ∂f/∂q × ∂q/∂x = -4 × 1, and x and "
                  "y both get -4. Step through the timeline to see upstream gradient × local "
                  "gradient = contribution on every edge.",
        },
        "expression": "q = x + y\nf = q * z",
        "values": {"x": -2, "y": 5, "z": -4},
    },
    # ------------------------------------------------------------ §5 intuition
    {
        "id": "add-gate-upstream",
        "section": "intuition",
        "title": {"ko": "합 게이트와 상위 기울기 -4",
                  "en": "The add gate with upstream gradient -4"},
        "explanation": {
            "ko": "합 게이트 하나만 떼어 본 예입니다. 입력 -2와 5에서 출력 3이 나오고, 이 게이트가 "
                  "더 큰 회로의 일부라서 위에서 -4라는 기울기가 내려왔다고 가정합니다(출력 기울기를 "
                  "-4로 지정했습니다). 합 게이트의 지역 기울기는 두 입력 모두 +1이므로 "
                  "-4 × 1 = -4가 x와 y에 그대로 전달됩니다. 각 게이트는 회로 전체를 몰라도 자신의 "
                  "지역 기울기와 상위에서 전달된 기울기만으로 역전파를 할 수 있다는 것이 핵심입니다.",
            "en": "A single add gate on its own. The inputs -2 and 5 give the output 3; imagine "
                  "the gate sits inside a bigger circuit that sends the gradient -4 down to it "
                  "(the output gradient is set to -4). The add gate's local gradient is +1 for "
                  "both inputs, so -4 × 1 = -4 reaches x and y unchanged. The point: a gate needs "
                  "nothing but its own local gradient and the gradient coming from above to take "
                  "part in backpropagation; it never has to know the rest of the circuit.",
        },
        "expression": "x + y",
        "values": {"x": -2, "y": 5},
        "output_grad": -4,
    },
    # ------------------------------------------------------------ §8 gate patterns
    {
        "id": "max-gate",
        "section": "gate-patterns",
        "title": {"ko": "맥스 게이트는 기울기를 라우팅한다",
                  "en": "The max gate routes the gradient"},
        "explanation": {
            "ko": "전방패스에서 z = 2가 w = -1보다 크므로 max(z, w) = 2입니다. 역전파에서 위에서 "
                  "내려온 기울기 2는 최댓값이었던 z에만 그대로 전달되고(지역 기울기 1), w의 지역 "
                  "기울기는 0이라 w의 기울기는 0입니다. 맥스 게이트는 기울기를 나누지 않고 한 "
                  "입력으로만 보내는 라우터입니다. w 값을 z보다 크게 바꾸어 다시 실행하면 기울기가 "
                  "w 쪽으로 옮겨 가는 것을 볼 수 있습니다.",
            "en": "In the forward pass z = 2 beats w = -1, so max(z, w) = 2. In the backward pass "
                  "the upstream gradient 2 goes entirely to z, the input that was the maximum "
                  "(local gradient 1); w's local gradient is 0, so w gets 0. The max gate does not "
                  "split the gradient: it routes all of it to one input. Make w larger than z, "
                  "run again, and watch the gradient move over to w.",
        },
        "expression": "max(z, w)",
        "values": {"z": 2, "w": -1},
        "output_grad": 2,
    },
    {
        "id": "multiply-gate",
        "section": "gate-patterns",
        "title": {"ko": "곱 게이트는 입력을 바꿔 곱한다",
                  "en": "The multiply gate swaps its inputs"},
        "explanation": {
            "ko": "곱 게이트의 지역 기울기는 서로 바뀐 입력값입니다. ∂(xy)/∂x = y = -4, "
                  "∂(xy)/∂y = x = 3이므로, 위에서 내려온 기울기 2를 곱하면 x의 기울기는 "
                  "2 × (-4) = -8, y의 기울기는 2 × 3 = 6입니다. 크기가 더 작은 입력 x = 3이 더 큰 "
                  "기울기 -8을 받는다는 점에 주목하세요. 튜토리얼의 말처럼 한 입력이 매우 작으면 "
                  "작은 쪽에 더 큰 기울기가 전달될 수 있습니다.",
            "en": "The multiply gate's local gradients are its inputs, swapped: ∂(xy)/∂x = y = -4 "
                  "and ∂(xy)/∂y = x = 3. Times the upstream gradient 2, x gets 2 × (-4) = -8 and "
                  "y gets 2 × 3 = 6. Notice that the smaller input, x = 3, receives the larger "
                  "gradient, -8: as the tutorial puts it, when one input is very small, the small "
                  "input can be handed a large gradient.",
        },
        "expression": "x * y",
        "values": {"x": 3, "y": -4},
        "output_grad": 2,
    },
    {
        "id": "gate-patterns",
        "section": "gate-patterns",
        "title": {"ko": "세 게이트 패턴을 한 번에: 2 (x y + max(z, w))",
                  "en": "All three gate patterns: 2 (x y + max(z, w))"},
        "explanation": {
            "ko": "합, 맥스, 곱 게이트가 한 그래프에 모두 나옵니다. 전방패스에서 x y = -12, "
                  "max(z, w) = 2, 둘의 합은 -10, f = -20입니다. 마지막 2배 곱 게이트가 합 게이트로 "
                  "기울기 2를 보내고, 합 게이트는 이 2를 두 입력에 그대로 분배합니다. 맥스 게이트는 "
                  "2를 더 큰 입력 z에만 라우팅하므로 z의 기울기는 2, w는 0입니다. 곱 게이트는 "
                  "입력을 서로 바꿔 x에 2 × (-4) = -8, y에 2 × 3 = 6을 보냅니다.",
            "en": "The add, max and multiply gates in one graph. The forward pass gives x y = -12, "
                  "max(z, w) = 2, their sum -10 and f = -20. The final multiply by 2 sends the "
                  "gradient 2 into the add gate, which distributes it unchanged to both of its "
                  "inputs. The max gate routes the 2 to the larger input z only, so z gets 2 and "
                  "w gets 0. The multiply gate swaps its inputs: x gets 2 × (-4) = -8 and y gets "
                  "2 × 3 = 6.",
        },
        "expression": "f = 2 * (x * y + max(z, w))",
        "values": {"x": 3, "y": -4, "z": 2, "w": -1},
    },
    # ------------------------------------------------------------ §6 modularity: sigmoid neuron
    {
        "id": "sigmoid-neuron",
        "section": "sigmoid-neuron",
        "title": {"ko": "시그모이드 뉴런 (블록 하나)",
                  "en": "The sigmoid neuron (one block)"},
        "explanation": {
            "ko": "2D 뉴런 f = σ(w0 x0 + w1 x1 + w2)에서 시그모이드를 블록 하나로 계산합니다. "
                  "전방패스에서 가중합은 -2 + 6 - 3 = 1이고 출력은 σ(1) = 0.73입니다. 시그모이드 "
                  "게이트의 지역 기울기는 σ'(u) = σ(u)(1 - σ(u)) = 0.73 × 0.27 = 0.20으로, 전방에서 "
                  "구한 출력값만 있으면 계산됩니다. 이 0.20이 합 게이트에서 그대로 분배되고 곱 "
                  "게이트에서 상대 입력과 곱해지므로 x의 기울기는 (0.39, -0.59), w의 기울기는 "
                  "(-0.20, -0.39, 0.20)입니다.",
            "en": "The 2-D neuron f = σ(w0 x0 + w1 x1 + w2) with the sigmoid as one block. The "
                  "forward pass gives the weighted sum -2 + 6 - 3 = 1 and the output "
                  "σ(1) = 0.73. The sigmoid gate's local gradient is "
                  "σ'(u) = σ(u)(1 - σ(u)) = 0.73 × 0.27 = 0.20, computed from the forward output "
                  "alone. The add gates pass this 0.20 on unchanged and each multiply gate "
                  "multiplies it by the other input, so the gradients are (0.39, -0.59) for x and "
                  "(-0.20, -0.39, 0.20) for w.",
        },
        "expression": "f = sigmoid(w0*x0 + w1*x1 + w2)",
        "values": {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3},
    },
    {
        "id": "sigmoid-neuron-expanded",
        "section": "sigmoid-neuron",
        "title": {"ko": "시그모이드 뉴런 (기본 게이트로 펼치기)",
                  "en": "The sigmoid neuron, expanded into primitive gates"},
        "explanation": {
            "ko": "같은 뉴런에서 σ(u) = 1/(1 + exp(-u))를 블록 대신 부호 반전, exp, +1, 나눗셈 "
                  "게이트로 펼쳐 계산합니다. 노드는 10개에서 15개로 늘어납니다. 전방패스 값은 "
                  "차례로 -1, exp(-1) = 0.37, 1.37, 1/1.37 = 0.73입니다. 역전파에서 나눗셈 게이트의 "
                  "지역 기울기는 -1/1.37² = -0.53이고, +1 게이트는 -0.53을 그대로 넘기며, exp "
                  "게이트는 0.37을 곱해 -0.20, 부호 반전 게이트는 -1을 곱해 0.20을 만듭니다. 가중합에 "
                  "도착하는 기울기는 블록 하나일 때의 σ(u)(1 - σ(u)) = 0.20과 같고, x와 w의 기울기도 "
                  "똑같습니다. 실무에서 연산을 블록 단위로 묶는 이유가 이것입니다. 같은 기울기를 더 "
                  "적은 노드와 더 간단하고 안정적인 식으로 얻습니다.",
            "en": "The same neuron with σ(u) = 1/(1 + exp(-u)) expanded into negate, exp, +1 and "
                  "divide gates instead of one block: 15 nodes instead of 10. The forward values "
                  "are -1, exp(-1) = 0.37, 1.37 and 1/1.37 = 0.73. Backward, the divide gate's "
                  "local gradient is -1/1.37² = -0.53, the +1 gate passes -0.53 on, the exp gate "
                  "multiplies by 0.37 to give -0.20, and the negate gate multiplies by -1 to give "
                  "0.20. The gradient that reaches the weighted sum is the block's "
                  "σ(u)(1 - σ(u)) = 0.20, and the gradients of x and w are identical. That is why "
                  "operations are grouped into blocks in practice: the same gradients from fewer "
                  "nodes and a simpler, more stable formula.",
        },
        "expression": "f = sigmoid(w0*x0 + w1*x1 + w2)",
        "values": {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3},
        "expand": True,
    },
    # ------------------------------------------------------------ §7 staged computation
    {
        "id": "staged-forks",
        "section": "staged-computation",
        "title": {"ko": "단계적 계산과 분기 지점의 기울기 누적",
                  "en": "Staged computation: gradients add up at forks"},
        "explanation": {
            "ko": "f = (x + σ(y)) / (σ(x) + (x + y)²)를 중간변수 sigy, num, sigx, xpy, xpysqr, den, "
                  "invden으로 나눠 단계적으로 계산합니다. x = 3, y = -4에서 f = 1.55입니다. x는 num, "
                  "sigx, xpy 세 곳에서 쓰이는 분기 지점이고, y는 sigy와 xpy 두 곳에서 쓰입니다. "
                  "역전파에서 분기 지점의 변수는 들어오는 기울기를 모두 누적합니다(다변수 연쇄법칙). "
                  "x에는 xpy에서 1.583, sigx에서 -0.036, num에서 0.512가 차례로 들어와 합이 약 2.06이 되고, "
                  "y에는 xpy에서 1.583, sigy에서 0.009가 들어와 1.592가 됩니다. 타임라인에서 x 노드의 "
                  "누적 값이 한 단계씩 바뀌는 것을 확인해 보세요.",
            "en": "f = (x + σ(y)) / (σ(x) + (x + y)²) computed in stages through the intermediates "
                  "sigy, num, sigx, xpy, xpysqr, den and invden. At x = 3, y = -4, f = 1.55. x is "
                  "a fork used in three places (num, sigx and xpy) and y in two (sigy and xpy). "
                  "Backward, a variable at a fork accumulates every gradient that flows into it "
                  "(the multivariable chain rule): x receives 1.583 from xpy, -0.036 from sigx and "
                  "0.512 from num, adding up to about 2.06, and y receives 1.583 from xpy and "
                  "0.009 from sigy, adding up to 1.592. Step through the timeline and watch x's "
                  "accumulated gradient change edge by edge.",
        },
        "expression": _STAGED,
        "values": {"x": 3, "y": -4},
    },
    {
        "id": "forward-cache",
        "section": "staged-computation",
        "title": {"ko": "전방패스의 캐시 활용",
                  "en": "Caching forward values for the backward pass"},
        "explanation": {
            "ko": "전방패스에서 계산한 중간값을 캐시해 두면 역전파에서 다시 계산할 필요가 없습니다. "
                  "전방에서 w1 x = 0.5, h = tanh(0.5) = 0.462, f = w2 h = 0.92가 계산되어 각 노드에 "
                  "저장됩니다. 역전파에서 곱 게이트는 캐시된 h = 0.462를 w2의 지역 기울기로, w2 = 2를 "
                  "h의 지역 기울기로 씁니다. tanh 게이트의 지역 기울기 1 - h² = 0.786도 캐시된 출력 "
                  "h만으로 구하므로 tanh를 다시 계산하지 않습니다. 그 결과 w1의 기울기는 "
                  "2 × 0.786 × 1 = 1.57, x의 기울기는 2 × 0.786 × 0.5 = 0.79입니다.",
            "en": "Values cached in the forward pass need not be recomputed in the backward pass. "
                  "Forward, w1 x = 0.5, h = tanh(0.5) = 0.462 and f = w2 h = 0.92 are computed and "
                  "kept on their nodes. Backward, the multiply gate uses the cached h = 0.462 as "
                  "w2's local gradient and w2 = 2 as h's. The tanh gate's local gradient "
                  "1 - h² = 0.786 also comes from the cached output h, so tanh is never evaluated "
                  "again. So w1 gets 2 × 0.786 × 1 = 1.57 and x gets 2 × 0.786 × 0.5 = 0.79.",
        },
        "expression": "h = tanh(w1 * x)\nf = w2 * h",
        "values": {"x": 1, "w1": 0.5, "w2": 2},
    },
    # ------------------------------------------------------------ §8 scale and preprocessing
    {
        "id": "input-scaling",
        "section": "input-scaling",
        "title": {"ko": "입력을 1000배 키우면: ×1 뉴런과 ×1000 뉴런",
                  "en": "Scaling an input by 1000: the neuron at ×1 and at ×1000"},
        "explanation": {
            "ko": "시그모이드 뉴런 두 개를 나란히 놓았습니다. s1은 튜토리얼의 뉴런 그대로이고(x1 = -2), "
                  "s1000은 같은 가중치(v)에 입력만 x1000 = 1000 × x1 = -2000으로 키웠습니다. 출력 "
                  "s1 + s1000의 합 게이트는 두 뉴런에 기울기 1을 그대로 나눠 주므로, 각 뉴런의 기울기는 "
                  "따로 볼 수 있습니다. 곱 게이트는 상대 입력을 지역 기울기로 쓰므로 v1의 지역 기울기는 "
                  "x1000 = -2000으로, w1의 -2보다 1000배 큽니다. 그런데 s1000의 가중합은 5995라서 "
                  "시그모이드가 포화되어 σ′ = σ(1 − σ) = 0이 되고, v0, v1, v2에는 기울기가 전혀 도달하지 "
                  "않습니다. 반면 s1의 w1 기울기는 0.1966 × (-2) = -0.3932입니다. 입력 스케일이 크면 "
                  "지역 기울기가 1000배로 커지거나, 뉴런이 포화되어 기울기가 사라집니다. 그래서 학습률을 "
                  "조정하거나 입력 표준화(평균 0, 분산 1)를 적용합니다.",
            "en": "Two sigmoid neurons side by side. s1 is the tutorial's neuron as it is (x1 = -2); "
                  "s1000 has the same weights (v) with only the input scaled: x1000 = 1000 × x1 = "
                  "-2000. The output s1 + s1000 is an add gate, which passes a gradient of 1 to each "
                  "neuron, so each neuron's gradients are its own. A multiply gate uses the other "
                  "input as the local gradient, so v1's local gradient is x1000 = -2000, 1000 times "
                  "w1's -2. But the weighted sum of s1000 is 5995, where the sigmoid is flat: "
                  "σ′ = σ(1 − σ) = 0, and no gradient at all reaches v0, v1, v2, while w1 in s1 gets "
                  "0.1966 × (-2) = -0.3932. A large input scale either makes local gradients 1000 "
                  "times larger or saturates the neuron so that gradients vanish: that is why the "
                  "learning rate is adjusted or the inputs are standardised (zero mean, unit "
                  "variance).",
        },
        "expression": "s1 = sigmoid(w0*x0 + w1*x1 + w2)\nx1000 = 1000 * x1\n"
                      "s1000 = sigmoid(v0*x0 + v1*x1000 + v2)\ns1 + s1000",
        "values": {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3, "v0": 2, "v1": -3, "v2": -3},
    },
    # ------------------------------------------------------------ §9 matrix product
    {
        "id": "matmul-gradients",
        "section": "matrix-gradients",
        "title": {"ko": "행렬곱 D = W X의 기울기",
                  "en": "Gradients of the matrix product D = W X"},
        "explanation": {
            "ko": "W는 2×3, X는 3×4(열 하나가 샘플 하나), D = W X는 2×4입니다. 출력 기울기로 2×4 "
                  "행렬 G = ∂L/∂D를 지정했습니다. 역전파 규칙은 ∂L/∂W = G Xᵀ, ∂L/∂X = Wᵀ G입니다. "
                  "shape을 맞춰 보면 G Xᵀ는 (2×4)(4×3) = 2×3으로 W와 같고, Wᵀ G는 (3×2)(2×4) = 3×4로 "
                  "X와 같습니다. 기울기의 shape은 항상 원래 텐서와 같습니다. 예를 들어 W의 첫 원소의 "
                  "기울기는 G의 첫 행과 X의 첫 행의 내적 1×1 + (-1)×0 + 0×2 + 2×(-1) = -1이고, "
                  "전체는 ∂L/∂W = [[-1, 3, -4], [-5, 2, 1]]입니다.",
            "en": "W is 2×3, X is 3×4 (one sample per column) and D = W X is 2×4. The output "
                  "gradient is set to a 2×4 matrix G = ∂L/∂D. The backward rules are "
                  "∂L/∂W = G Xᵀ and ∂L/∂X = Wᵀ G. Check the shapes: G Xᵀ is (2×4)(4×3) = 2×3, "
                  "like W, and Wᵀ G is (3×2)(2×4) = 3×4, like X; a gradient always has the shape "
                  "of its tensor. For example, the gradient of W's first entry is the dot product "
                  "of G's first row with X's first row, 1×1 + (-1)×0 + 0×2 + 2×(-1) = -1, and the "
                  "whole of it is ∂L/∂W = [[-1, 3, -4], [-5, 2, 1]].",
        },
        "expression": "D = W @ X",
        "values": {"W": [[1, 2, -1], [0, -1, 3]],
                   "X": [[1, 0, 2, -1], [2, 1, 0, 1], [-1, 3, 1, 0]]},
        "output_grad": [[1, -1, 0, 2], [0, 1, -2, 1]],
    },
    # ------------------------------------------------------------ §2 losses
    {
        "id": "mse-regression",
        "section": "losses",
        "title": {"ko": "회귀: 평균제곱오차(MSE)",
                  "en": "Regression: mean squared error (MSE)"},
        "explanation": {
            "ko": "샘플 4개가 X의 열로 들어갑니다. 예측 Yhat = W X + b = [1.5, 1.5, -1.5, -1.5], "
                  "목표 Y = [2, 1, -1, -1]이므로 오차 Yhat - Y = [-0.5, 0.5, -0.5, -0.5]이고 손실은 "
                  "L = 0.25입니다. MSE 노드가 Yhat으로 보내는 기울기는 2(Yhat - Y)/N = "
                  "[-0.25, 0.25, -0.25, -0.25]입니다(N = 4). 이것이 행렬곱 규칙 G Xᵀ를 거쳐 "
                  "∂L/∂W = [0.5, -0.5]가 되고, 모든 열에 브로드캐스트된 스칼라 b는 열마다 받은 "
                  "기울기를 합한 -0.5를 받습니다.",
            "en": "Four samples are the columns of X. The prediction Yhat = W X + b is "
                  "[1.5, 1.5, -1.5, -1.5] against the targets Y = [2, 1, -1, -1], so the error "
                  "Yhat - Y is [-0.5, 0.5, -0.5, -0.5] and the loss L = 0.25. The MSE node sends "
                  "2(Yhat - Y)/N = [-0.25, 0.25, -0.25, -0.25] back to Yhat (N = 4). Through the "
                  "matrix-product rule G Xᵀ this becomes ∂L/∂W = [0.5, -0.5], and the scalar b, "
                  "broadcast over every column, gets the sum over the columns, -0.5.",
        },
        "expression": "Yhat = W @ X + b\nL = mse(Yhat, Y)",
        "values": {"W": [[1, -1]], "X": _mse_x(), "b": 0.5, "Y": [[2, 1, -1, -1]]},
    },
    {
        "id": "cross-entropy",
        "section": "losses",
        "title": {"ko": "분류: 소프트맥스와 교차엔트로피",
                  "en": "Classification: softmax and cross-entropy"},
        "explanation": {
            "ko": "클래스 3개, 샘플 3개의 분류 문제입니다. Z = W X + b의 각 열이 한 샘플의 점수이고, "
                  "softmax는 열마다(클래스 방향으로) 확률을 만듭니다. Y의 각 열은 정답 클래스만 1인 "
                  "원-핫 벡터입니다. 정답 클래스의 확률은 세 샘플에서 0.721, 0.574, 0.117이고 손실은 "
                  "L = -(log 0.721 + log 0.574 + log 0.117)/3 = 1.01입니다. softmax와 교차엔트로피를 "
                  "한 블록으로 묶으면 Z의 기울기는 (softmax(Z) - Y)/N이라는 간단한 식이 됩니다(N = 3). "
                  "정답 확률이 0.117로 틀리게 예측한 세 번째 샘플의 열이 [0.01, -0.29, 0.29]로 가장 "
                  "크고, 정답 클래스 칸이 음수라서 경사하강법은 그 점수를 올립니다. 펼치기(expand)를 "
                  "켜면 같은 기울기가 exp, 합, 나눗셈, log 게이트를 거쳐 계산되는 과정을 볼 수 "
                  "있습니다.",
            "en": "Three classes, three samples. Each column of Z = W X + b holds one sample's "
                  "scores, and softmax turns every column into probabilities (over the classes). "
                  "Each column of Y is one-hot, 1 at the true class. The true classes get "
                  "probabilities 0.721, 0.574 and 0.117, so "
                  "L = -(log 0.721 + log 0.574 + log 0.117)/3 "
                  "= 1.01. With softmax and cross-entropy in one block, Z's gradient is simply "
                  "(softmax(Z) - Y)/N with N = 3. The third sample, wrongly predicted with 0.117 "
                  "on its true class, has the largest column, [0.01, -0.29, 0.29]; the entry of "
                  "the true class is negative, so gradient descent raises that score. Turn on "
                  "expand to see the same gradient computed through exp, sum, divide and log "
                  "gates.",
        },
        "expression": "Z = W @ X + b\nL = softmax_cross_entropy(Z, Y)",
        "values": {"W": [[1, -1], [0.5, 0.5], [-1, 1]],
                   "X": [[2, 0, -1], [0, 1, 1]],
                   "b": [[0], [0], [0]],
                   "Y": [[1, 0, 0], [0, 0, 1], [0, 1, 0]]},
    },
    # ------------------------------------------------------------ §2 regularisation
    {
        "id": "l2-regularization",
        "section": "regularization",
        "title": {"ko": "ℓ2 정규화: ∇W L' = ∇W L + 2λW",
                  "en": "L2 regularisation: ∇W L' = ∇W L + 2λW"},
        "explanation": {
            "ko": "데이터 손실 data_loss에 ℓ2 정규화 항 reg = λ‖W‖²(λ = lam = 0.1)을 더한 전체 "
                  "손실 loss가 튜토리얼의 L'입니다. data_loss = 0.25, reg = 0.1 × (1² + (-1)²) = 0.2라서 "
                  "loss = 0.45입니다. W는 W X와 W * W(두 번)에 쓰이는 분기 지점이어서 기울기가 "
                  "누적됩니다. 데이터 쪽에서 ∇W L = [0.5, -0.5]가, 정규화 쪽의 두 간선에서 각각 "
                  "λW = [0.1, -0.1]이 들어와 합은 ∇W L' = ∇W L + 2λW = [0.7, -0.7]입니다. lam을 "
                  "바꾸어 보면 정규화가 가중치를 0 쪽으로 당기는 힘이 달라지는 것을 볼 수 있습니다.",
            "en": "The data loss data_loss plus the L2 term reg = λ‖W‖² (λ = lam = 0.1) gives the "
                  "total loss, the tutorial's L'. data_loss = 0.25 and reg = 0.1 × (1² + (-1)²) "
                  "= 0.2, so loss = 0.45. W is a fork, used in W X and twice in W * W, so its "
                  "gradient accumulates: ∇W L = [0.5, -0.5] from the data side and λW = "
                  "[0.1, -0.1] from each of the two regulariser edges, adding up to "
                  "∇W L' = ∇W L + 2λW = [0.7, -0.7]. Change lam to see how hard the regulariser "
                  "pulls the weights towards 0.",
        },
        "expression": "data_loss = mse(W @ X, Y)\nreg = lam * sum(W * W)\nloss = data_loss + reg",
        "values": {"W": [[1, -1]], "X": _mse_x(), "Y": [[1.5, 0.5, -1.5, -1.5]], "lam": 0.1},
    },
    # ------------------------------------------------------------ §2 minibatch
    {
        "id": "minibatch-mean",
        "section": "minibatch",
        "title": {"ko": "미니배치: 샘플별 기울기의 평균",
                  "en": "Minibatch: the mean of per-example gradients"},
        "explanation": {
            "ko": "샘플 4개로 이루어진 미니배치의 손실을 평균합니다. 샘플별 손실 per_example = "
                  "(w x + b - y)² = [4, 9, 16, 25]이고, 배치 손실은 그 평균인 13.5입니다. mean 게이트는 "
                  "각 샘플에 1/4씩 기울기를 나눠 주므로, w의 기울기는 샘플별 기울기 2(w x + b - y) x = "
                  "[-4, -12, -24, -40]의 평균 -20이고, b의 기울기는 [-4, -6, -8, -10]의 평균 -7입니다. "
                  "즉 미니배치 기울기는 샘플별 기울기의 평균입니다. 합이 아니라 평균이므로 기울기의 "
                  "크기가 배치 크기에 따라 커지지 않습니다.",
            "en": "The loss of a minibatch of four samples, averaged. The per-example losses are "
                  "per_example = (w x + b - y)² = [4, 9, 16, 25] and the batch loss is their mean, "
                  "13.5. The mean gate hands each sample 1/4 of the gradient, so w's gradient is "
                  "the mean of the per-example gradients 2(w x + b - y) x = [-4, -12, -24, -40], "
                  "which is -20, and b's is the mean of [-4, -6, -8, -10], which is -7. The "
                  "minibatch gradient is the mean of the per-example gradients; because it is a "
                  "mean and not a sum, its size does not grow with the batch size.",
        },
        "expression": "err = w * X + b - Y\nper_example = err * err\nL = mean(per_example)",
        "values": {"w": 1, "b": 0, "X": [[1, 2, 3, 4]], "Y": [[3, 5, 7, 9]]},
    },
    # ------------------------------------------------------------ §2 training
    {
        "id": "train-linear-regression",
        "section": "training",
        "title": {"ko": "학습: 선형 회귀와 경사하강법",
                  "en": "Training: linear regression with gradient descent"},
        "explanation": {
            "ko": "학습 실험실에서 돌려 볼 선형 회귀 문제입니다. 샘플 12개는 y = 2x + 1에 작은 잡음을 "
                  "더해 만들었고, w = 0, b = 0에서 시작하면 MSE 손실은 4.81입니다. 학습을 실행하면 "
                  "학습률 0.1의 경사하강법 θ ← θ - η∇θL을 100번 적용합니다. 손실 곡선이 빠르게 "
                  "내려가 약 0.019에서 평평해지고, w와 b는 약 2.00과 1.01에 도달합니다. 학습률을 "
                  "0.01로 낮추면 100번 뒤에도 손실이 0.12 정도에 머물고, 1.1 이상으로 높이면 손실이 "
                  "발산합니다. 데이터 X, Y는 상수로 두고 파라미터 w, b만 업데이트합니다.",
            "en": "A linear regression problem for the training lab. The 12 samples follow "
                  "y = 2x + 1 plus a little noise; starting from w = 0, b = 0 the MSE loss is "
                  "4.81. Training applies gradient descent θ ← θ - η∇θL with learning rate 0.1 "
                  "for 100 steps: the loss curve drops fast and levels off near 0.019, with w and "
                  "b close to 2.00 and 1.01. With learning rate 0.01 the loss is still about 0.12 "
                  "after 100 steps; at 1.1 or more it diverges. The data X and Y stay constant; "
                  "only the parameters w and b are updated.",
        },
        "expression": "Yhat = w * X + b\nL = mse(Yhat, Y)",
        "values": {"w": 0, "b": 0, "X": _reg_x(), "Y": _reg_y()},
        "train": {"params": ["w", "b"], "optimizer": {"name": "sgd", "lr": 0.1}, "steps": 100},
    },
    {
        "id": "train-logistic-neuron",
        "section": "training",
        "title": {"ko": "학습: 시그모이드 뉴런 분류기",
                  "en": "Training: a sigmoid-neuron classifier"},
        "explanation": {
            "ko": "2차원 점 12개를 두 클래스로 나누는 시그모이드 뉴런 p = σ(W X + b)를 이진 "
                  "교차엔트로피로 학습합니다. W = 0, b = 0에서는 모든 점의 확률이 0.5라서 손실이 "
                  "log 2 = 0.69입니다. 학습을 실행하면 모멘텀(v ← 0.9v + g, θ ← θ - ηv)과 학습률 0.1로 "
                  "100번 업데이트하여 손실이 약 0.17까지 내려가고, 12개 중 11개 점을 맞힙니다. 클래스 0인 "
                  "점 (0.6, 0.2)는 클래스 1 쪽에 있어서 어떤 직선으로도 완벽히 나눌 수 없습니다. "
                  "최적화기를 SGD나 Adam으로 바꾸어 손실 곡선을 비교해 보세요.",
            "en": "A sigmoid neuron p = σ(W X + b) trained with binary cross-entropy to separate "
                  "12 points in 2-D into two classes. At W = 0, b = 0 every point gets probability "
                  "0.5, so the loss is log 2 = 0.69. Training runs 100 momentum updates "
                  "(v ← 0.9v + g, θ ← θ - ηv) with learning rate 0.1; the loss falls to about "
                  "0.17 and 11 of the 12 points end up on the right side. The class-0 point "
                  "(0.6, 0.2) lies among class 1, so no line separates the classes perfectly. "
                  "Switch the optimizer to SGD or Adam and compare the loss curves.",
        },
        "expression": _LOGISTIC,
        "values": {"W": [[0, 0]], "b": 0, "X": _CLS_X, "Y": _CLS_Y},
        "train": {"params": ["W", "b"], "optimizer": {"name": "momentum", "lr": 0.1},
                  "steps": 100},
    },
    {
        "id": "train-minibatch-adam",
        "section": "training",
        "title": {"ko": "학습: 미니배치와 Adam",
                  "en": "Training: minibatches with Adam"},
        "explanation": {
            "ko": "선형 회귀 문제를 이번에는 샘플 4개짜리 미니배치와 Adam(학습률 0.1)으로 학습합니다. "
                  "매 업데이트는 다음 4개 열만으로 계산한 기울기를 쓰고, 세 배치를 다 돌면 다시 첫 "
                  "배치로 돌아갑니다. 손실 곡선의 각 점은 그 업데이트에 쓴 배치의 손실이라서(첫 배치는 "
                  "1.88) 곡선이 들쭉날쭉하지만, 100번 뒤 w와 b는 2와 1 근처에 도달하고 전체 데이터의 "
                  "손실은 약 0.019가 됩니다. 배치 크기를 12로 바꾸면 곡선이 매끄러워집니다.",
            "en": "The linear regression problem again, now with minibatches of 4 samples and "
                  "Adam (learning rate 0.1). Each update uses the gradient from the next 4 columns "
                  "only, wrapping around to the first batch after the third. Each point of the "
                  "loss curve is the loss on the batch that update used (1.88 on the first), so "
                  "the curve is jagged, yet after 100 updates w and b are near 2 and 1 and the "
                  "loss on the whole data set is about 0.019. Set the batch size to 12 and the curve "
                  "becomes smooth.",
        },
        "expression": "Yhat = w * X + b\nL = mse(Yhat, Y)",
        "values": {"w": 0, "b": 0, "X": _reg_x(), "Y": _reg_y()},
        "train": {"params": ["w", "b"], "optimizer": {"name": "adam", "lr": 0.1}, "steps": 100,
                  "batch": {"size": 4, "data": ["X", "Y"]}},
    },
    # ------------------------------------------------------------ §1 why backprop
    {
        "id": "numerical-gradient",
        "section": "numerical-gradient",
        "title": {"ko": "역전파와 수치 미분 비교",
                  "en": "Backprop versus numerical differentiation"},
        "explanation": {
            "ko": "x = 1, y = 0.5, z = 4에서 f = 2.00이고, 역전파로 구한 기울기는 ∂f/∂x = 2.89, "
                  "∂f/∂y = 5.39, ∂f/∂z = 0.25입니다. 기울기 검사를 실행하면 변수마다 중심 차분 "
                  "(f(x + h) - f(x - h)) / 2h로 구한 수치 기울기가 역전파 결과와 나란히 나오고, 상대 "
                  "오차가 1e-8보다 작습니다. 하지만 수치 미분은 숫자 하나마다 전방패스를 2번 해야 하므로 "
                  "변수 3개에 6번이 필요합니다. 역전파는 전방패스 한 번과 역방향 패스 한 번으로 모든 "
                  "기울기를 한꺼번에 얻습니다. 파라미터가 백만 개인 신경망이라면 수치 미분에는 전방패스가 "
                  "2백만 번 필요하므로, 수치 미분은 역전파 구현을 검사하는 데만 씁니다.",
            "en": "At x = 1, y = 0.5, z = 4, f = 2.00 and backprop gives ∂f/∂x = 2.89, "
                  "∂f/∂y = 5.39 and ∂f/∂z = 0.25. Run the gradient check to see, for each "
                  "variable, the numerical gradient from central differences "
                  "(f(x + h) - f(x - h)) / 2h beside the backprop one, with a relative error below "
                  "1e-8. But numerical differentiation costs 2 forward passes per number, 6 for "
                  "these 3 variables, while backprop gets every gradient at once from one forward "
                  "and one backward pass. A network with a million parameters would need two "
                  "million forward passes, which is why numerical gradients are used only to check "
                  "a backprop implementation.",
        },
        "expression": "f = x * y * z + sin(x) * exp(y) - log(z)",
        "values": {"x": 1, "y": 0.5, "z": 4},
    },
]


# In the menu's order: by section, each section's presets as written below.
_SECTION_ORDER = [section["id"] for section in SECTIONS]
EXAMPLES.sort(key=lambda example: _SECTION_ORDER.index(example["section"]))


def get_examples():
    """The presets, as a deep copy: changing the result never changes `EXAMPLES`."""
    return copy.deepcopy(EXAMPLES)


def presets():
    """The presets as GET /api/examples serves them: a list in the menu's order, each example
    carrying its section's title and tutorial heading number, so a menu can group and number
    them; the one the page opens on has `"default": true`."""
    sections = {section["id"]: section for section in SECTIONS}
    return [{**example, "section_title": copy.deepcopy(sections[example["section"]]["title"]),
             "tutorial": sections[example["section"]]["tutorial"],
             **({"default": True} if example["id"] == DEFAULT_EXAMPLE else {})}
            for example in get_examples()]
