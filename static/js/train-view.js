// What the training lab shows of its state, each box a function of its part of it: the
// parameter checkboxes, the runs' legend, the parameters under the chart, a single
// update's arithmetic and the scaling experiment's result. The boxes themselves are built
// by train-form.js; the state is the panel's (train-panel.js).
import { own } from "./api.js";
import { formatNumber, formatValue } from "./format.js";
import { runClasses } from "./loss-chart.js";
import { el, svgEl } from "./dom.js";
import { updateLines } from "./train-model.js";

// The states the legend names, with their keys written whole so a search finds them.
const STATE_KEYS = { paused: "train.state.paused", diverged: "train.state.diverged",
                     time_limit: "train.state.time_limit", error: "train.state.error" };

/** The page's "Digits" choice, when it has one. */
export function digits() {
  const v = Number(document.getElementById("precision")?.value);
  return Number.isFinite(v) && v > 0 ? v : 4;
}

/** A message: a translation key, or the API's text in the page's language. */
export function message(item, t) {
  if (!item) return "";
  if (item.key) return t(item.key, item.params);
  return document.documentElement.lang === "ko" ? item.msg_ko ?? item.msg : item.msg;
}

/** One checkbox per variable, ticked when it is a parameter; `onToggle(name, checked)`. */
export function renderParamList(list, variables, selected, onToggle) {
  list.replaceChildren();
  for (const name of variables) {
    const box = el("input", "", { type: "checkbox", id: `train-param-${name}`, checked: selected.has(name) });
    box.dataset.testid = `train-param-${name}`;
    box.dataset.name = name;
    box.addEventListener("change", () => onToggle(name, box.checked));
    const label = el("label", "check mono");
    label.htmlFor = box.id;
    label.append(box, el("span", "", { text: name }));
    list.append(label);
  }
}

/** A run's name in the legend: optimizer, η, and L2, batch and "manual" when they apply. */
export function runLabel(run, t, optimizerTitle) {
  const parts = [t("train.run_label", { optimizer: optimizerTitle(run.optimizer.name),
                                        lr: formatNumber(run.optimizer.lr, 4) })];
  if (run.l2) parts.push(`λ=${formatNumber(run.l2, 3)}`);
  if (run.batch) parts.push(`B=${run.batch}`);
  if (run.kind === "manual") parts.push(t("train.run_manual"));
  return parts.join(", ");
}

/** The legend: a swatch in the run's line style, its label, its losses and how it ended. */
export function renderLegend(legend, runs, t, optimizerTitle) {
  legend.replaceChildren();
  for (const run of runs) {
    const li = el("li", "", { dataset: { run: run.id } });
    const swatch = svgEl("svg", { class: "swatch", width: 22, height: 8, "aria-hidden": "true" });
    swatch.append(svgEl("line", { x1: 1, y1: 4, x2: 21, y2: 4, class: `run ${runClasses(run, runs)}` }));
    const first = run.points[0];
    const last = run.points.at(-1);
    const summary = run.points.length
      ? t("train.run_summary", { count: run.points.length, first: formatNumber(first.loss, 3),
                                 last: formatNumber(last.loss, 3) }) : "…";
    const state = Object.hasOwn(STATE_KEYS, run.state) ? ` · ${t(STATE_KEYS[run.state])}` : "";
    li.append(swatch, el("span", "label", { text: runLabel(run, t, optimizerTitle) }),
              el("span", "summary", { text: `${summary}${state}` }));
    legend.append(li);
  }
  legend.hidden = !runs.length;
}

/** The parameters under the chart: `current` {step, params, final}, or nothing. */
export function renderCurrent(node, current, t) {
  node.replaceChildren();
  node.hidden = !current;
  if (!current) return;
  const key = current.final ? "train.current_after" : "train.current_at";
  node.append(el("p", "tp-current-title", { text: t(key, { step: current.step }) }));
  const table = el("table");
  for (const [name, value] of Object.entries(current.params)) {
    const tr = el("tr");
    tr.append(el("th", "mono", { text: name }),
              el("td", "mono", { text: formatValue(value, digits(), { maxItems: 4, maxRows: 3 }) }));
    tr.dataset.param = name;
    table.append(tr);
  }
  node.append(table);
}

/** A single update's arithmetic, parameter by parameter (`update`: the panel's, or null). */
export function renderUpdate(node, update, { t, optimizerTitle, detailSteps }) {
  node.replaceChildren();
  node.hidden = !update;
  if (!update) return;
  const { entry, optimizer } = update;
  const hint = (text) => node.append(el("p", "hint", { text }));
  node.append(el("h3", "", { text: t("train.update.title") }));
  hint(t("train.update.head", { step: entry.step, optimizer: optimizerTitle(optimizer.name),
                                loss: formatNumber(entry.loss, digits()) }));
  if (update.restarted) hint(t("train.update.restarted", { count: detailSteps }));
  if (update.l2 > 0) hint(t("train.update.l2", { l2: formatNumber(update.l2, 4) }));
  for (const name of update.params) {
    const detail = own(entry.update, name);
    if (!detail) continue;
    const block = el("div", "tp-update-param", { dataset: { param: name } });
    for (const line of updateLines(name, detail, { optimizer, t: entry.step, prev: own(update.prev, name) ?? null,
                                                   l2: update.l2, digits: digits() })) {
      block.append(el("p", "mono", { text: line }));
    }
    node.append(block);
  }
}

/** The scaling experiment's result: each parameter's gradient norm at ×1 and now. */
export function renderScaleResult(node, result, t) {
  node.replaceChildren();
  if (!result) return;
  node.append(el("p", "", { text: message(result.how, t) }));
  if (result.rows.length) node.append(el("p", "hint", { text: t("train.scale.at_start") }));
  for (const row of result.rows) {
    const ratio = row.base > 0 ? formatNumber(row.now / row.base, 3) : "—";
    const p = el("p", "mono", { text: t("train.scale.result", { param: row.param, base: formatNumber(row.base, 3),
                                                               now: formatNumber(row.now, 3), ratio }) });
    p.dataset.param = row.param;
    p.dataset.ratio = row.base > 0 ? String(row.now / row.base) : "";
    node.append(p);
  }
}
