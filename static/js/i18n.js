// Every user-visible string of the page, in Korean and English.
//
// The Korean follows the terms of the tutorial the app teaches (backprop-tutorial.ko.md):
// 순전파/전방패스, 역전파, 연쇄법칙, 지역 기울기, 상위 기울기, 분기 지점, 누적, 합 게이트,
// 맥스 게이트, 곱 게이트. Korean particles change with the final sound of the word before
// them, so no Korean template puts a particle right after a {param}.

export const LANGS = ["ko", "en"];
export const DEFAULT_LANG = "en";

const en = {
  "app.title": "Backprop Visualizer",
  "app.tagline": "See backpropagation happen: every value, every gradient, every step of the chain rule.",
  "expr.label": "Expression",
  "expr.placeholder": "e.g. (x+y)*z  or  q = x + y; f = q * z",
  "expr.hint": "Enter runs, Shift+Enter adds a new line. Name a step with  name = expr.",
  "run": "Run",
  "values.title": "Values",
  "values.empty": "Type an expression: its variables appear here.",
  "values.hint": "A number, or a JSON list for a vector or matrix, e.g. [[1, 2], [3, 4]].",
  "output_grad.label": "Upstream gradient (optional)",
  "output_grad.hint": "Seeds the backward pass instead of 1: a number, or a list shaped like the output.",
  "expand.label": "Expand blocks into gates",
  "examples.label": "Examples",
  "examples.choose": "Choose an example…",
  "explanation.title": "What this example shows",
  "timeline.title": "Steps",
  "timeline.prev": "Step back",
  "timeline.next": "Step forward",
  "timeline.play": "Play",
  "timeline.pause": "Pause",
  "timeline.reset": "Reset",
  "timeline.end": "Show everything",
  "timeline.jump_forward": "Forward pass",
  "timeline.jump_backward": "Backward pass",
  "timeline.speed": "Speed",
  "timeline.scrub": "Step",
  "timeline.counter": "{k} / {n}",
  "graph.label": "Computation graph: Tab to enter, arrow keys to walk from node to node",
  "phase.start": "Start",
  "phase.forward": "Forward pass",
  "phase.backward": "Backward pass",
  "phase.end": "Done",
  "chain.title": "Chain rule",
  "chain.idle": "Step forward to compute the values, then backward to see the chain rule at work.",
  "chain.forward": "Forward pass: compute {node} from its inputs and cache the value for the backward pass.",
  "chain.seed": "Backward pass starts at the output: its gradient with respect to itself is 1.",
  "chain.seed_upstream": "Backward pass starts at the output with the given upstream gradient.",
  "chain.edge": "Chain rule: upstream gradient × local gradient = the gradient sent back to {source}.",
  "chain.edge_tensor": "Chain rule in matrix form: G is the upstream gradient; the result has the shape of {source}.",
  "gradcheck.title": "Gradient check",
  "gradcheck.run": "Check gradients",
  "gradcheck.variable": "Variable",
  "gradcheck.backprop": "Backprop",
  "gradcheck.numeric": "Numeric",
  "gradcheck.rel_error": "Relative error",
  "gradcheck.cost": "{evals} forward evaluations for the numeric check vs 1 backward pass",
  "gradcheck.pass": "Backprop agrees with the numeric gradient.",
  "gradcheck.fail": "Backprop and the numeric gradient disagree.",
  "gradcheck.sampled": "{checked} of {elements} checked",
  "lang.toggle": "한국어",
  "theme.toggle": "Switch theme",
  "theme.light": "Light",
  "theme.dark": "Dark",
  "share.button": "Copy link",
  "share.copied": "Link copied",
  "share.too_long": "Too large for a link",
  "share.invalid": "This share link could not be opened: it is damaged or incomplete. Check that the whole link was copied.",
  "export.svg": "Export SVG",
  "export.png": "Export PNG",
  "export.json": "Export JSON",
  "zoom.fit": "Fit",
  "zoom.in": "Zoom in",
  "zoom.out": "Zoom out",
  "precision.label": "Digits",
  "error.network": "Could not reach the server. Check the connection and try again.",
  "error.server": "The server could not answer ({status}). Try again.",
  "warnings.title": "Warnings",
  "node.value": "Value",
  "node.grad": "Gradient",
  "node.local": "Local gradient",
  "node.shape": "Shape",
  "node.kind.variable": "Variable",
  "node.kind.constant": "Constant",
  "node.kind.op": "Operation",
  "fork.title": "{name} is used {count} times: its gradient is the sum",
  "fork.sum": "Sum",
  "legend.positive": "positive",
  "legend.negative": "negative",
  "legend.value_above": "value above",
  "legend.grad_below": "gradient below",
  "panel.ops": "Operations",
  "footer.tutorial": "Based on the Korean backpropagation tutorial (after CS231n, “Backpropagation, Intuitions”).",
  "loading": "Loading…",
  "train.title": "Training",
  "train.params": "Parameters to train",
  "train.params_none": "Tick the variables to train; the rest (the data) stay fixed.",
  "train.params_empty": "Type an expression first: its variables appear here.",
  "train.optimizer": "Optimizer",
  "train.l2": "L2 λ",
  "train.batch": "Batch size",
  "train.batch_all": "all {n}",
  "train.steps": "Steps",
  "train.train": "Train",
  "train.pause": "Pause",
  "train.step": "One update",
  "train.reset": "Reset",
  "train.clear": "Clear runs",
  "train.log": "Log scale",
  "train.axis_step": "update step",
  "train.axis_loss": "loss",
  "train.axis_loss_log": "loss (log)",
  "train.chart_empty": "Press Train to draw the loss curve.",
  "train.chart_label": "Loss curve: the loss at every update step, {runs} runs overlaid",
  "train.run_label": "{optimizer} η={lr}",
  "train.run_manual": "one update at a time",
  "train.runs_hint": "Every run starts from the same initial values: change the optimizer or η and train again to compare.",
  "train.run_summary": "{count} steps: {first} → {last}",
  "train.run_summary.one": "{count} step: {first} → {last}",
  "train.state.paused": "paused",
  "train.state.diverged": "diverged",
  "train.state.time_limit": "time limit",
  "train.state.error": "failed",
  "train.status.running": "Training: step {step} of {steps}, loss {loss}",
  "train.status.done": "Done: {count} updates, loss {first} → {last}.",
  "train.status.done.one": "Done: {count} update, loss {first} → {last}.",
  "train.status.paused": "Paused at step {step}: the run keeps its curve. Train starts a new run from the values shown.",
  "train.status.diverged": "The loss diverged at step {step} (it became ∞ or NaN): lower the learning rate η, or standardise the input.",
  "train.status.time_limit": "Stopped at step {step} by the server's time limit; the curve shows what was learned.",
  "train.status.stepped": "Update {step} done; the loss before it was {loss}.",
  "train.status.reset": "Back to the initial values: a new run replays exactly.",
  "train.error.field": "{field}: enter a number in the allowed range.",
  "train.error.no_params": "Choose at least one parameter to train.",
  "train.error.problem": "Fix the expression and its values first.",
  "train.current_at": "Parameters at step {step}",
  "train.current_after": "Parameters after update {step}",
  "train.update.title": "One update: p ← p − η·g",
  "train.update.head": "Update {step} with {optimizer}; loss before it: {loss}",
  "train.update.l2": "g includes the L2 term 2λp (λ = {l2}).",
  "train.update.restarted": "After {count} single updates the optimizer state starts again from the current values.",
  "train.update.restarted.one": "After {count} single update the optimizer state starts again from the current values.",
  "train.landscape.title": "Loss landscape",
  "train.landscape.label": "Loss contours over {x} and {y} with the path of every run",
  "train.landscape.hint": "Train to see the loss over {x} and {y}, with each run's path on it.",
  "train.scale.title": "Input scale experiment",
  "train.scale.explain": "Scale an input by k and the gradient on its weight grows k-fold: train again at the same η to see the loss diverge, then lower η or standardise the input.",
  "train.scale.input": "Input",
  "train.scale.factor": "Scale",
  "train.scale.apply": "Apply",
  "train.scale.standardise": "Standardise",
  "train.scale.applied": "{name} is now ×{k} its original value.",
  "train.scale.standardised": "{name} standardised: every row now has mean 0 and standard deviation 1.",
  "train.scale.scalar": "Standardising needs a vector or matrix input (samples are columns).",
  "train.scale.at_start": "Gradients at the initial parameters, where every run starts:",
  "train.scale.result": "‖∇{param}‖ = {now} (at ×1: {base}), ×{ratio}",
};

const ko = {
  "app.title": "역전파 시각화",
  "app.tagline": "역전파를 눈으로 봅니다: 모든 값, 모든 기울기, 연쇄법칙의 모든 단계.",
  "expr.label": "수식",
  "expr.placeholder": "예: (x+y)*z  또는  q = x + y; f = q * z",
  "expr.hint": "Enter로 실행, Shift+Enter로 줄바꿈. 이름 = 식 으로 중간 단계에 이름을 붙입니다.",
  "run": "실행",
  "values.title": "값",
  "values.empty": "수식을 입력하면 변수가 여기에 나타납니다.",
  "values.hint": "숫자, 또는 벡터·행렬은 JSON 목록으로 씁니다. 예: [[1, 2], [3, 4]]",
  "output_grad.label": "상위 기울기(선택)",
  "output_grad.hint": "1 대신 이 값으로 역전파를 시작합니다. 숫자, 또는 출력과 같은 모양의 목록.",
  "expand.label": "블록을 게이트로 펼치기",
  "examples.label": "예제",
  "examples.choose": "예제를 고르세요…",
  "explanation.title": "이 예제에서 볼 것",
  "timeline.title": "단계",
  "timeline.prev": "한 단계 뒤로",
  "timeline.next": "한 단계 앞으로",
  "timeline.play": "재생",
  "timeline.pause": "일시 정지",
  "timeline.reset": "처음으로",
  "timeline.end": "모두 보기",
  "timeline.jump_forward": "순전파",
  "timeline.jump_backward": "역전파",
  "timeline.speed": "속도",
  "timeline.scrub": "단계",
  "timeline.counter": "{k} / {n}",
  "graph.label": "계산 그래프: Tab으로 들어가고 화살표 키로 노드 사이를 이동합니다",
  "phase.start": "시작",
  "phase.forward": "순전파",
  "phase.backward": "역전파",
  "phase.end": "완료",
  "chain.title": "연쇄법칙",
  "chain.idle": "앞으로 진행해 값을 계산한 뒤, 역전파에서 연쇄법칙이 작동하는 모습을 보세요.",
  "chain.forward": "순전파: 입력으로 {node} 값을 계산하고, 역전파에 쓰도록 캐시합니다.",
  "chain.seed": "역전파는 출력에서 시작합니다. 출력의 자기 자신에 대한 기울기는 1입니다.",
  "chain.seed_upstream": "역전파는 출력에서 주어진 상위 기울기로 시작합니다.",
  "chain.edge": "연쇄법칙: 상위 기울기 × 지역 기울기 = {source}에 보내는 기울기.",
  "chain.edge_tensor": "행렬 형태의 연쇄법칙: G는 상위 기울기이고, 결과의 shape은 {source}의 shape과 같습니다.",
  "gradcheck.title": "기울기 검증",
  "gradcheck.run": "기울기 검증하기",
  "gradcheck.variable": "변수",
  "gradcheck.backprop": "역전파",
  "gradcheck.numeric": "수치 미분",
  "gradcheck.rel_error": "상대 오차",
  "gradcheck.cost": "수치 미분 검증에 순전파 {evals}번, 역전파는 1번",
  "gradcheck.pass": "역전파 기울기가 수치 미분과 일치합니다.",
  "gradcheck.fail": "역전파 기울기와 수치 미분이 다릅니다.",
  "gradcheck.sampled": "{elements}개 중 {checked}개 검증",
  "lang.toggle": "English",
  "theme.toggle": "테마 바꾸기",
  "theme.light": "밝게",
  "theme.dark": "어둡게",
  "share.button": "링크 복사",
  "share.copied": "링크를 복사했습니다",
  "share.too_long": "링크에 담기에는 너무 큽니다",
  "share.invalid": "공유 링크를 열 수 없습니다. 링크가 손상되었거나 일부만 복사되었습니다. 링크 전체를 복사했는지 확인하세요.",
  "export.svg": "SVG로 내보내기",
  "export.png": "PNG로 내보내기",
  "export.json": "JSON으로 내보내기",
  "zoom.fit": "화면에 맞추기",
  "zoom.in": "확대",
  "zoom.out": "축소",
  "precision.label": "유효 숫자",
  "error.network": "서버에 연결할 수 없습니다. 연결을 확인하고 다시 시도하세요.",
  "error.server": "서버가 응답하지 못했습니다({status}). 다시 시도하세요.",
  "warnings.title": "경고",
  "node.value": "값",
  "node.grad": "기울기",
  "node.local": "지역 기울기",
  "node.shape": "모양(shape)",
  "node.kind.variable": "변수",
  "node.kind.constant": "상수",
  "node.kind.op": "연산",
  "fork.title": "분기 지점 {name}: {count}번 쓰였으므로 기울기는 들어오는 기울기를 모두 누적한 합입니다",
  "fork.sum": "합",
  "legend.positive": "양수",
  "legend.negative": "음수",
  "legend.value_above": "위: 값",
  "legend.grad_below": "아래: 기울기",
  "panel.ops": "연산",
  "footer.tutorial": "한국어 역전파 튜토리얼(CS231n “Backpropagation, Intuitions” 기반)을 따릅니다.",
  "loading": "불러오는 중…",
  "train.title": "학습",
  "train.params": "학습할 파라미터",
  "train.params_none": "학습할 변수를 고르세요. 나머지(데이터)는 고정됩니다.",
  "train.params_empty": "먼저 수식을 입력하세요. 변수가 여기에 나타납니다.",
  "train.optimizer": "최적화 방법",
  "train.l2": "L2 정규화 λ",
  "train.batch": "배치 크기",
  "train.batch_all": "전체 {n}",
  "train.steps": "업데이트 횟수",
  "train.train": "학습",
  "train.pause": "일시 정지",
  "train.step": "한 번 업데이트",
  "train.reset": "초기화",
  "train.clear": "실행 기록 지우기",
  "train.log": "로그 스케일",
  "train.axis_step": "업데이트 단계",
  "train.axis_loss": "손실",
  "train.axis_loss_log": "손실 (로그)",
  "train.chart_empty": "학습을 누르면 손실 곡선이 그려집니다.",
  "train.chart_label": "손실 곡선: 업데이트 단계마다의 손실, 실행 {runs}개를 겹쳐 그림",
  "train.run_label": "{optimizer}, 학습률 η={lr}",
  "train.run_manual": "한 번씩 업데이트",
  "train.runs_hint": "모든 실행은 같은 초기값에서 시작합니다. 최적화 방법이나 η를 바꿔 다시 학습하면 비교할 수 있습니다.",
  "train.run_summary": "{count}단계: {first} → {last}",
  "train.run_summary.one": "{count}단계: {first} → {last}",
  "train.state.paused": "일시 정지됨",
  "train.state.diverged": "발산",
  "train.state.time_limit": "시간 제한",
  "train.state.error": "실패",
  "train.status.running": "학습 중: 단계 {step} / {steps}, 손실 {loss}",
  "train.status.done": "완료: 업데이트 {count}번, 손실 {first} → {last}.",
  "train.status.done.one": "완료: 업데이트 {count}번, 손실 {first} → {last}.",
  "train.status.paused": "{step}번째 단계에서 멈췄습니다. 곡선은 그대로 남고, 학습을 누르면 지금 값에서 새 실행을 시작합니다.",
  "train.status.diverged": "{step}번째 단계에서 손실이 발산했습니다(∞ 또는 NaN). 학습률 η를 낮추거나 입력을 표준화하세요.",
  "train.status.time_limit": "서버 시간 제한으로 {step}번째 단계에서 멈췄습니다. 곡선은 그때까지 학습한 결과입니다.",
  "train.status.stepped": "업데이트 {step} 완료. 업데이트 전 손실: {loss}",
  "train.status.reset": "초기값으로 되돌렸습니다. 새 실행은 똑같이 재현됩니다.",
  "train.error.field": "{field}: 허용 범위의 숫자를 입력하세요.",
  "train.error.no_params": "학습할 파라미터를 하나 이상 고르세요.",
  "train.error.problem": "먼저 수식과 값을 고치세요.",
  "train.current_at": "{step}번째 단계의 파라미터",
  "train.current_after": "업데이트 {step} 뒤의 파라미터",
  "train.update.title": "한 번의 업데이트: p ← p − η·g",
  "train.update.head": "업데이트 {step} · {optimizer} · 업데이트 전 손실: {loss}",
  "train.update.l2": "g에는 L2 항 2λp가 들어 있습니다(λ = {l2}).",
  "train.update.restarted": "한 번씩 업데이트를 {count}번 넘기면 최적화 상태(m, v)를 지금 값에서 다시 시작합니다.",
  "train.update.restarted.one": "한 번씩 업데이트를 {count}번 넘기면 최적화 상태(m, v)를 지금 값에서 다시 시작합니다.",
  "train.landscape.title": "손실 지형",
  "train.landscape.label": "손실 등고선(축: {x}, {y})과 각 실행의 경로",
  "train.landscape.hint": "학습을 실행하면 손실 지형(축: {x}, {y})과 각 실행의 경로가 그려집니다.",
  "train.scale.title": "입력 스케일 실험",
  "train.scale.explain": "입력을 k배 키우면 그 가중치의 기울기도 k배 커집니다. 같은 학습률 η로 다시 학습해 손실이 발산하는 것을 본 뒤, η를 낮추거나 입력을 표준화해 보세요.",
  "train.scale.input": "입력",
  "train.scale.factor": "배율",
  "train.scale.apply": "적용",
  "train.scale.standardise": "표준화",
  "train.scale.applied": "입력 {name} = 원래 값 ×{k}",
  "train.scale.standardised": "입력 {name} 표준화 완료: 각 행의 평균 0, 표준편차 1",
  "train.scale.scalar": "표준화하려면 벡터나 행렬 입력이 필요합니다(샘플은 열).",
  "train.scale.at_start": "모든 실행이 시작하는 초기 파라미터에서의 기울기:",
  "train.scale.result": "‖∇{param}‖ = {now} (×1일 때: {base}), ×{ratio}",
};

export const STRINGS = Object.freeze({ en: Object.freeze(en), ko: Object.freeze(ko) });

// Placeholders are replaced only when a value is given, so a missing parameter stays
// visible as "{name}" instead of turning into "undefined".
function interpolate(template, params) {
  return template.replace(/\{([A-Za-z0-9_]+)\}/g, (whole, name) =>
    params !== null && typeof params === "object" && Object.hasOwn(params, name)
      ? String(params[name]) : whole);
}

// A template counting something has a ".one" variant ("1 step", not "1 steps"), chosen
// by the language's plural rules for params.count.
function pluralKey(lang, key, params) {
  const count = params?.count;
  if (typeof count !== "number" || !Object.hasOwn(STRINGS.en, `${key}.one`)) return key;
  const rules = new Intl.PluralRules(Object.hasOwn(STRINGS, lang) ? lang : DEFAULT_LANG);
  return rules.select(count) === "one" ? `${key}.one` : key;
}

function lookup(lang, key) {
  const table = Object.hasOwn(STRINGS, lang) ? STRINGS[lang] : STRINGS[DEFAULT_LANG];
  if (Object.hasOwn(table, key)) return table[key];
  return Object.hasOwn(STRINGS[DEFAULT_LANG], key) ? STRINGS[DEFAULT_LANG][key] : null;
}

/** The string for `key` in `lang` with {params} filled in. An unknown language falls back to
 * English and an unknown key returns the key itself: a missing string must never break the
 * page. */
export function t(lang, key, params = {}) {
  const template = lookup(lang, pluralKey(lang, String(key), params));
  return template === null ? String(key) : interpolate(template, params);
}

/** The {param} names a template uses (tests check both languages use the same ones). */
export function paramsOf(template) {
  return [...String(template).matchAll(/\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]).sort();
}

function primaryTag(tag) {
  return typeof tag === "string" ? tag.trim().toLowerCase().split(/[-_]/)[0] : "";
}

/** "ko" when Korean comes before English in the user's preferred languages (an array like
 * navigator.languages, or one tag), else "en". Other languages are skipped, so
 * ["ja", "ko-KR", "en"] is Korean. */
export function detectLang(languages) {
  const list = Array.isArray(languages) ? languages : [languages];
  for (const tag of list) {
    const primary = primaryTag(tag);
    if (primary === "ko" || primary === "en") return primary;
  }
  return DEFAULT_LANG;
}

/** The language the toggle switches to. */
export function otherLang(lang) {
  return lang === "ko" ? "en" : "ko";
}
