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
  "gate.distribute": "{gate}: passes the upstream gradient to each input unchanged (local gradient 1).",
  "gate.distribute_negated": "{gate}: passes the upstream gradient to the second input with its sign flipped (local gradient −1).",
  "gate.route": "{gate}: routes the upstream gradient only to the input that was selected in the forward pass; the others get 0.",
  "gate.route_win": "{gate}: routes the upstream gradient to the input selected in the forward pass. Selected: {source}, so it gets all of it (local gradient 1).",
  "gate.route_lose": "{gate}: routes the upstream gradient to the input selected in the forward pass. Not selected: {source}, so it gets 0.",
  "gate.route_tie": "{gate}: the inputs were exactly equal in the forward pass, so the upstream gradient is split evenly (local gradient 0.5).",
  "gate.relu_pass": "{gate}: the input was positive in the forward pass, so the upstream gradient passes through (local gradient 1).",
  "gate.relu_block": "{gate}: the input was not positive in the forward pass, so the gradient stops here (local gradient 0).",
  "gate.swap": "{gate}: the inputs swap — the local gradient of {source} is the other input's value: {other}.",
  "gate.name.add": "Add gate",
  "gate.name.sub": "Subtract gate",
  "gate.name.mul": "Multiply gate",
  "gate.name.dot": "Dot-product gate",
  "gate.name.max": "Max gate",
  "gate.name.min": "Min gate",
  "gate.name.relu": "ReLU gate",
  "gate.name.other": "The {label} gate",
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
  "gate.distribute": "{gate}: 상위 기울기를 각 입력에 그대로 분배합니다(지역 기울기 1).",
  "gate.distribute_negated": "{gate}: 두 번째 입력에는 상위 기울기의 부호를 바꿔 전달합니다(지역 기울기 −1).",
  "gate.route": "{gate}: 전방패스에서 선택된 입력에만 기울기를 전달하고, 나머지는 0입니다.",
  "gate.route_win": "{gate}: 전방패스에서 선택된 입력에만 기울기를 전달합니다. 선택됨: {source} — 상위 기울기를 모두 받습니다(지역 기울기 1).",
  "gate.route_lose": "{gate}: 전방패스에서 선택된 입력에만 기울기를 전달합니다. 선택되지 않음: {source} — 기울기 0을 받습니다.",
  "gate.route_tie": "{gate}: 전방패스에서 두 입력이 정확히 같았으므로 상위 기울기를 반씩 나눕니다(지역 기울기 0.5).",
  "gate.relu_pass": "{gate}: 전방패스에서 입력이 양수였으므로 상위 기울기가 그대로 통과합니다(지역 기울기 1).",
  "gate.relu_block": "{gate}: 전방패스에서 입력이 양수가 아니었으므로 기울기가 여기서 멈춥니다(지역 기울기 0).",
  "gate.swap": "{gate}: 서로 스와핑된 입력값이 지역 기울기입니다. 입력 {source}의 지역 기울기 = 다른 입력의 값: {other}",
  "gate.name.add": "합 게이트",
  "gate.name.sub": "뺄셈 게이트",
  "gate.name.mul": "곱 게이트",
  "gate.name.dot": "내적 게이트",
  "gate.name.max": "맥스 게이트",
  "gate.name.min": "민(min) 게이트",
  "gate.name.relu": "ReLU 게이트",
  "gate.name.other": "{label} 게이트",
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
};

export const STRINGS = Object.freeze({ en: Object.freeze(en), ko: Object.freeze(ko) });

// Placeholders are replaced only when a value is given, so a missing parameter stays
// visible as "{name}" instead of turning into "undefined".
function interpolate(template, params) {
  return template.replace(/\{([A-Za-z0-9_]+)\}/g, (whole, name) =>
    params !== null && typeof params === "object" && Object.hasOwn(params, name)
      ? String(params[name]) : whole);
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
  const template = lookup(lang, String(key));
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
