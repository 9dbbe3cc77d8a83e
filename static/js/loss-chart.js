// The loss curve of the training lab: one line per run (several runs overlay for
// comparison), linear or log scale. The pure helpers (domains, run styling) are exported
// for tests; the drawing reads D3 from the page's global at call time, so this module
// also loads in node.
import { formatNumber, toNumber } from "./format.js";

const d3 = () => globalThis.d3;

export const CHART = { width: 300, height: 170, margin: { top: 8, right: 12, bottom: 32, left: 52 } };

// A diverging run would flatten every other curve: on a linear axis the top is capped at
// this many times the largest starting loss, and what goes above leaves through the top.
const LINEAR_CAP = 4;

// The optimizers the stylesheet gives a colour (.opt-sgd, …); another one is drawn as sgd.
// Which optimizers exist is the API's to say (GET /api/optimizers), not this file's.
const COLOURED = ["sgd", "momentum", "adam"];
let chartCount = 0; // unique clip-path ids when a page has several charts and landscapes

/** The finite losses of a run's points. */
function finiteLosses(run) {
  return run.points.map((p) => toNumber(p.loss)).filter(Number.isFinite);
}

/** [low, high] of the loss axis over all runs. Log: positive losses only, at least a
 * decade wide. Linear: from 0 (or the lowest negative loss) to the highest loss, capped at
 * LINEAR_CAP × the largest first loss when some run shoots far above that. */
export function lossDomain(runs, log = false) {
  const all = runs.flatMap(finiteLosses);
  if (log) {
    const positive = all.filter((v) => v > 0);
    if (!positive.length) return [1e-3, 1];
    let lo = Math.min(...positive);
    let hi = Math.max(...positive);
    if (hi / lo < 10) {
      const mid = Math.sqrt(lo * hi);
      lo = Math.min(lo, mid / Math.sqrt(10));
      hi = Math.max(hi, mid * Math.sqrt(10));
    }
    return [lo, hi];
  }
  if (!all.length) return [0, 1];
  const lo = Math.min(0, ...all);
  let hi = Math.max(...all);
  const firsts = runs.map((r) => finiteLosses(r)[0]).filter((v) => v !== undefined && v > 0);
  if (firsts.length && hi > LINEAR_CAP * Math.max(...firsts)) hi = LINEAR_CAP * Math.max(...firsts);
  if (hi <= lo) hi = lo + 1;
  return [lo, hi];
}

/** [1, last step] of the step axis: a running run reserves the steps it was asked for, so
 * its curve grows from left to right instead of the axis shrinking under it. */
export function stepDomain(runs) {
  const last = Math.max(1, ...runs.map((r) => (r.running ? Math.max(r.steps ?? 0, r.points.length)
                                                            : r.points.length)));
  return [1, Math.max(2, last)];
}

/** The CSS classes of a run's line: its optimizer's colour and, for the 2nd, 3rd… run of
 * the same optimizer, a dash pattern, so overlaid runs stay apart without colour alone. */
export function runClasses(run, runs) {
  const same = runs.filter((r) => r.optimizer.name === run.optimizer.name);
  const variant = Math.max(0, same.indexOf(run)) % 4;
  return `opt-${COLOURED.includes(run.optimizer.name) ? run.optimizer.name : "sgd"} v${variant}`;
}

/** A pixel coordinate kept where SVG can parse it (paths are float32: a diverging run's
 * 1e300 would break the whole path); the clip path hides what lies outside anyway. */
export function clampPixel(v) {
  return Math.max(-1e4, Math.min(1e4, v));
}

/** Whether a point can be drawn on the current axis. */
export function drawable(loss, log) {
  const v = toNumber(loss);
  return Number.isFinite(v) && (!log || v > 0);
}

/** The frame both charts share: a clip rectangle for the plot area, two axes and their
 * labels. `pad` widens the clip a little (so lines on the edge stay whole); `labelGap`
 * lifts the x label off the bottom. */
export function chartFrame(svg, { width, height, margin }, { pad = 0, labelGap = 2 } = {}) {
  const clipId = `chart-clip-${++chartCount}`;
  const innerWidth = width - margin.left - margin.right;
  const innerHeight = height - margin.top - margin.bottom;
  svg.append("defs").append("clipPath").attr("id", clipId).append("rect")
    .attr("x", margin.left).attr("y", margin.top - pad)
    .attr("width", innerWidth + pad).attr("height", innerHeight + 2 * pad);
  return {
    clipId,
    xAxis: svg.append("g").attr("class", "axis x").attr("transform", `translate(0,${height - margin.bottom})`),
    yAxis: svg.append("g").attr("class", "axis y").attr("transform", `translate(${margin.left},0)`),
    xLabel: svg.append("text").attr("class", "axis-label").attr("text-anchor", "middle")
      .attr("x", margin.left + innerWidth / 2).attr("y", height - labelGap),
    yLabel: svg.append("text").attr("class", "axis-label").attr("text-anchor", "middle")
      .attr("transform", `translate(10,${margin.top + innerHeight / 2}) rotate(-90)`),
  };
}

export class LossChart {
  /** `svg`: the chart's <svg>; `t`: the page's translator. */
  constructor(svg, t) {
    this.t = t;
    const { width, height, margin } = CHART;
    this.svg = d3().select(svg).attr("viewBox", `0 0 ${width} ${height}`)
      .attr("preserveAspectRatio", "xMidYMid meet");
    Object.assign(this, chartFrame(this.svg, CHART, { pad: 2, labelGap: 4 }));
    this.empty = this.svg.append("text").attr("class", "empty")
      .attr("x", margin.left + (width - margin.left - margin.right) / 2)
      .attr("y", margin.top + (height - margin.top - margin.bottom) / 2)
      .attr("text-anchor", "middle");
    this.lines = this.svg.append("g").attr("class", "runs").attr("clip-path", `url(#${this.clipId})`);
    this.runs = [];
    this.log = false;
  }

  /** Draw `runs` ({id, optimizer, points: [{step, loss}], steps, running, ...}). */
  draw(runs = this.runs, { log = this.log } = {}) {
    this.runs = runs;
    this.log = log;
    const { width, height, margin } = CHART;
    const x = d3().scaleLinear().domain(stepDomain(runs)).range([margin.left, width - margin.right]);
    const y = (log ? d3().scaleLog() : d3().scaleLinear()).domain(lossDomain(runs, log))
      .range([height - margin.bottom, margin.top]);
    y.nice(log ? undefined : 4);
    this.xAxis.call(d3().axisBottom(x).tickValues(x.ticks(5).filter(Number.isInteger)).tickSizeOuter(0)
      .tickFormat(d3().format("d")));
    const yTicks = log ? y.ticks(4).filter((v, i, all) => all.length <= 5 || Number.isInteger(Math.log10(v)))
      : y.ticks(4);
    this.yAxis.call(d3().axisLeft(y).tickValues(yTicks).tickSizeOuter(0)
      .tickFormat((v) => formatNumber(v, 2)));
    this.xLabel.text(this.t("train.axis_step"));
    this.yLabel.text(this.t(log ? "train.axis_loss_log" : "train.axis_loss"));
    this.empty.text(runs.length ? "" : this.t("train.chart_empty"));

    const line = d3().line().defined((p) => drawable(p.loss, log))
      .x((p) => x(p.step)).y((p) => clampPixel(y(toNumber(p.loss))));
    const groups = this.lines.selectAll("g.run-group").data(runs, (r) => r.id)
      .join((enter) => {
        const g = enter.append("g").attr("class", "run-group");
        g.append("path").attr("class", "run");
        g.append("circle").attr("class", "run-end").attr("r", 2.5);
        return g;
      });
    groups.select("path.run")
      .attr("class", (r) => `run ${runClasses(r, runs)}`)
      .attr("data-run", (r) => r.id)
      .attr("data-optimizer", (r) => r.optimizer.name)
      .attr("data-lr", (r) => String(r.optimizer.lr))
      .attr("data-points", (r) => String(r.points.length))
      .attr("data-first-loss", (r) => (r.points.length ? String(toNumber(r.points[0].loss)) : ""))
      .attr("data-last-loss", (r) => (r.points.length ? String(toNumber(r.points.at(-1).loss)) : ""))
      .attr("data-state", (r) => r.state ?? "")
      .attr("d", (r) => line(r.points) ?? "");
    groups.select("circle.run-end")
      .attr("class", (r) => `run-end ${runClasses(r, runs)}`)
      .each(function (r) {
        const last = [...r.points].reverse().find((p) => drawable(p.loss, log));
        const c = d3().select(this);
        c.attr("display", last ? null : "none");
        if (last) c.attr("cx", x(last.step)).attr("cy", clampPixel(y(toNumber(last.loss))));
      });
  }
}
