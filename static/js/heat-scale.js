// The colour scale every heatmap of the graph shares: pure functions, no DOM.
//
// Diverging and symmetric around 0: a cell's colour says its sign (the page's + / − colours)
// and its strength says |x| relative to the largest |x| of the whole graph at the current
// timeline step. Normalising each tensor on its own made ×1000 look like ×1.
//
// Values and gradients get one scale each (both shared across the graph): they are different
// quantities (x versus ∂L/∂x) whose sizes are unrelated, and on one common scale the smaller
// kind washes out (MSE on large inputs: values in the hundreds, gradients below 1). Comparing
// W's gradient with X's gradient is what a learner does; comparing a value with a gradient
// by colour is not meaningful.

import { isTensor, toNumber } from "./format.js";

/** The largest |x| over the finite entries of nested arrays; 0 when there are none.
 *  Scalars and summaries (not drawn as heatmaps) are skipped. */
export function absMax(tensors) {
  let max = 0;
  const visit = (v) => {
    if (Array.isArray(v)) {
      for (const item of v) visit(item);
      return;
    }
    const x = Math.abs(toNumber(v));
    if (Number.isFinite(x) && x > max) max = x;
  };
  for (const t of tensors) if (Array.isArray(t)) visit(t);
  return max;
}

/**
 * The two shared scales at one timeline step: {value, grad}, each the half-width m of the
 * symmetric range [−m, m] (0 while nothing of that kind is known). `drawn` are the nodes
 * drawn as heatmaps; `values`, `grads` map node id to what is known at the step.
 */
export function sharedScales(drawn, values, grads) {
  const known = (map) => drawn.map((n) => map.get(n.id)).filter(isTensor);
  return { value: absMax(known(values)), grad: absMax(known(grads)) };
}

/** How strongly a cell is coloured, in [0, 1]: |x| / m. NaN and ±∞ are full strength (they
 *  stand out, and their own colour class says what they are); everything is 0 when m is 0. */
export function heatLevel(v, m) {
  const x = toNumber(v);
  if (!Number.isFinite(x)) return 1;
  if (!(m > 0)) return 0;
  return Math.min(1, Math.abs(x) / m);
}

/** The steps of the legend's colour bar, from −m to m: `count` (odd, so 0 is one of them)
 *  evenly spaced values. */
export function legendStops(m, count = 9) {
  const half = (count - 1) / 2;
  return Array.from({ length: count }, (_, i) => (m * (i - half)) / half);
}
