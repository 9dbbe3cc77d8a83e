// The loss landscape of two scalar parameters: filled contours of /api/landscape's grid
// (d3.contours) with each run's path drawn on top in the run's colour. Pure helpers (the
// box around the paths, the contour levels, the grid as a flat array) are exported for
// tests; D3 is read from the page's global at call time.
import { formatNumber, toNumber } from "./format.js";
import { chartFrame, clampPixel, runClasses } from "./loss-chart.js";

const d3 = () => globalThis.d3;

export const LANDSCAPE = { width: 300, height: 210, margin: { top: 6, right: 10, bottom: 30, left: 42 } };


/** {x: [lo, hi], y: [lo, hi]} around the finite points [[a, b], ...], padded by `pad` of
 * the span on every side (a flat span gets half its size, at least 0.5, instead). */
export function landscapeBox(points, pad = 0.3) {
  const finite = points.filter((p) => Number.isFinite(p[0]) && Number.isFinite(p[1]));
  if (!finite.length) return null;
  const axis = (k) => {
    const lo = Math.min(...finite.map((p) => p[k]));
    const hi = Math.max(...finite.map((p) => p[k]));
    const span = hi - lo;
    const margin = span > 0 ? span * pad : Math.max(Math.abs(lo) * 0.5, 0.5);
    return [lo - margin, hi + margin];
  };
  return { x: axis(0), y: axis(1) };
}

/** `count` contour levels over the finite values: evenly spaced, or geometrically when the
 * values are positive and span more than a factor of 20 (a loss valley otherwise shows as
 * one flat band). Every level lies strictly inside (min, max]. */
export function contourThresholds(values, count = 12) {
  const finite = values.filter(Number.isFinite);
  if (!finite.length) return [];
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  if (!(hi > lo)) return [];
  const levels = [];
  const geometric = lo > 0 && hi / lo > 20;
  for (let k = 1; k <= count; k++) {
    levels.push(geometric ? lo * (hi / lo) ** (k / (count + 1)) : lo + ((hi - lo) * k) / (count + 1));
  }
  return levels;
}

/** The grid's loss as one flat row-major array (value of (x[i], y[j]) at j·n + i), with
 * λ(a² + b²) added when the runs trained with L2 (the landscape route knows nothing of λ),
 * and non-finite losses raised above every finite one so they read as "very high". */
export function gridValues(grid, l2 = 0) {
  const n = grid.x.length;
  const m = grid.y.length;
  const out = new Array(n * m);
  for (let j = 0; j < m; j++) {
    for (let i = 0; i < n; i++) {
      out[j * n + i] = toNumber(grid.loss[j][i]) + l2 * (grid.x[i] ** 2 + grid.y[j] ** 2);
    }
  }
  const finite = out.filter(Number.isFinite);
  const top = finite.length ? Math.max(...finite) : 1;
  const high = top + Math.max(1, Math.abs(top));
  return out.map((v) => (Number.isFinite(v) ? v : high));
}

export class LandscapeView {
  constructor(svg, t) {
    this.t = t;
    const { width, height } = LANDSCAPE;
    this.svg = d3().select(svg).attr("viewBox", `0 0 ${width} ${height}`)
      .attr("preserveAspectRatio", "xMidYMid meet");
    // Bands and paths first, so the axes and labels are drawn over them.
    const bands = this.svg.append("g").attr("class", "bands");
    const paths = this.svg.append("g").attr("class", "paths");
    Object.assign(this, chartFrame(this.svg, LANDSCAPE));
    this.bands = bands.attr("clip-path", `url(#${this.clipId})`);
    this.paths = paths.attr("clip-path", `url(#${this.clipId})`);
  }

  /** grid: /api/landscape's {x, y, loss}; names: [x name, y name]; runs: the runs whose
   * `path` ([[a, b], ...]) lies on this landscape; allRuns: every run (for colours). */
  draw({ grid, names, runs, allRuns, l2 = 0 }) {
    const { width, height, margin } = LANDSCAPE;
    const n = grid.x.length;
    const m = grid.y.length;
    const x0 = grid.x[0];
    const y0 = grid.y[0];
    const dx = (grid.x[n - 1] - x0) / (n - 1);
    const dy = (grid.y[m - 1] - y0) / (m - 1);
    const sx = d3().scaleLinear().domain([x0, grid.x[n - 1]]).range([margin.left, width - margin.right]);
    const sy = d3().scaleLinear().domain([y0, grid.y[m - 1]]).range([height - margin.bottom, margin.top]);

    const values = gridValues(grid, l2);
    const levels = contourThresholds(values);
    // d3.contours puts value k at grid point (k mod n + ½, ⌊k / n⌋ + ½).
    const projection = d3().geoTransform({
      point(gx, gy) { this.stream.point(sx(x0 + (gx - 0.5) * dx), sy(y0 + (gy - 0.5) * dy)); },
    });
    const geoPath = d3().geoPath(projection);
    const contours = d3().contours().size([n, m]).thresholds(levels)(values);
    this.bands.selectAll("path").data(contours).join("path")
      .attr("class", "band").attr("d", geoPath)
      .attr("data-level", (c) => formatNumber(c.value, 3));

    this.xAxis.call(d3().axisBottom(sx).ticks(5).tickSizeOuter(0).tickFormat((v) => formatNumber(v, 3)));
    this.yAxis.call(d3().axisLeft(sy).ticks(5).tickSizeOuter(0).tickFormat((v) => formatNumber(v, 3)));
    this.xLabel.text(names[0]);
    this.yLabel.text(names[1]);
    this.svg.attr("aria-label", this.t("train.landscape.label", { x: names[0], y: names[1] }));

    const line = d3().line().x((p) => clampPixel(sx(p[0]))).y((p) => clampPixel(sy(p[1])))
      .defined((p) => Number.isFinite(p[0]) && Number.isFinite(p[1]));
    const groups = this.paths.selectAll("g.path-group").data(runs, (r) => r.id)
      .join((enter) => {
        const g = enter.append("g").attr("class", "path-group");
        g.append("path").attr("class", "path");
        g.append("circle").attr("class", "path-start").attr("r", 3);
        g.append("circle").attr("class", "path-end").attr("r", 3);
        return g;
      });
    groups.select("path.path").attr("class", (r) => `path ${runClasses(r, allRuns)}`)
      .attr("data-run", (r) => r.id).attr("data-points", (r) => String(r.path.length))
      .attr("d", (r) => line(r.path) ?? "");
    const ends = (sel, pick) => sel.each(function (r) {
      const p = pick(r.path.filter((q) => Number.isFinite(q[0]) && Number.isFinite(q[1])));
      d3().select(this).attr("display", p ? null : "none")
        .attr("cx", p ? clampPixel(sx(p[0])) : 0).attr("cy", p ? clampPixel(sy(p[1])) : 0);
    });
    ends(groups.select("circle.path-start").attr("class", (r) => `path-start ${runClasses(r, allRuns)}`),
         (path) => path[0]);
    ends(groups.select("circle.path-end").attr("class", (r) => `path-end ${runClasses(r, allRuns)}`),
         (path) => path.at(-1));
  }
}
