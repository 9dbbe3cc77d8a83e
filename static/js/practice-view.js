// Practice mode on the page: the exercise in the chain-rule panel (prompt, answer box, Check,
// hints, feedback) and the score line. DOM only; what is asked and what is right comes from
// practice.js, and the page's state says what was typed (app.js). Text goes in as text.

function el(tag, text = "", className = "") {
  const node = document.createElement(tag);
  node.textContent = text;
  if (className) node.className = className;
  return node;
}

function button(text, testid, onClick) {
  const b = el("button", text);
  b.type = "button";
  b.dataset.testid = testid;
  b.addEventListener("click", onClick);
  return b;
}

/**
 * The exercise of one step, into `box`:
 *   {prompt, answer: {typed, result, text} | null (not answered yet), hints: [strings shown],
 *    moreHints: bool, error: text of a typing problem | null, t}
 * handlers: {check(typed), hint(), next()}. Returns the element to focus: the answer box
 * while unanswered, else the Next button (→ and Enter then go on).
 */
export function renderExercise(box, exercise, handlers) {
  const { prompt, answer, hints, moreHints, error, t } = exercise;
  const wrap = el("div", "", "practice");
  wrap.append(el("p", prompt, "practice-prompt"));
  const row = el("div", "", "practice-row");
  const input = el("input");
  input.type = "text";
  input.dataset.testid = "practice-input";
  input.setAttribute("aria-label", prompt);
  input.autocomplete = "off";
  input.spellcheck = false;
  input.value = answer?.typed ?? "";
  input.readOnly = Boolean(answer);
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !answer) {
      event.preventDefault();
      handlers.check(input.value);
    }
  });
  row.append(input);
  let focus = input;
  if (answer) {
    focus = button(t("practice.next"), "practice-next", handlers.next);
    row.append(focus);
  } else {
    row.append(button(t("practice.check"), "practice-check", () => handlers.check(input.value)));
    if (moreHints) row.append(button(t("practice.hint"), "practice-hint", handlers.hint));
  }
  wrap.append(row);
  if (error) wrap.append(el("p", error, "practice-error"));
  for (const hint of hints) wrap.append(el("p", hint, "practice-hint-text"));
  if (answer) {
    const verdict = el("p", answer.text, `practice-feedback ${answer.result.correct ? "pass" : "fail"}`);
    verdict.dataset.testid = "practice-feedback";
    verdict.dataset.correct = String(answer.result.correct);
    verdict.setAttribute("role", "status");
    wrap.append(verdict);
  }
  box.append(wrap);
  return focus;
}

/** The score line: "k / n" (first-try right / asked) in its hook, the best kept for this
 * preset, and "Practise the ones I got wrong" when there are some. */
export function renderScore(root, { right, asked, best, wrong, t }, onRetry) {
  root.replaceChildren();
  root.append(el("span", t("practice.score_label")));
  const score = el("output", `${right} / ${asked}`);
  score.dataset.testid = "practice-score";
  root.append(score);
  if (best) root.append(el("span", t("practice.best", { k: best.right, n: best.asked }), "practice-best"));
  if (wrong) root.append(button(t("practice.retry", { count: wrong }), "practice-retry", onRetry));
}
