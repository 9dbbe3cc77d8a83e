// The graph drawn in SVG with D3: built once per result (setGraph), then restyled for each
// timeline step (update). Rendering step k depends only on (graph, layout, state at k), so
// stepping back is as cheap as stepping forward. Labels go in with .text(), never .html().
import { formatCompact, formatNumber, formatShape, formatValue, isTensor, signClass, toNumber } from "./format.js";
import { heatLevel, legendStops, sharedScales } from "./heat-scale.js";
import { t } from "./i18n.js";
import { LAYOUT_DEFAULTS } from "./layout.js";

const d3 = globalThis.d3;
const HEAT_MAX = 64; // tensors up to 8×8 are drawn as heatmaps
const HEAT_NUMBERED = 6; // up to 6×6 each cell also shows its number
const NUMBER_CELL = { width: 36, height: 17 }; // five characters of 10px monospace, padded
// Cell opacity at full strength in an exported SVG (no CSS variables there); on the page
// the theme's --heat-cap applies (style.css).
const EXPORT_HEAT_CAP = 0.6;
const PARTIAL = "\u2202"; // ∂: marks gradients, so they differ from values by more than place
const MONO_CHAR = 0.6; // width of a monospace character, in em
const MARK_SIZE = 10; // px, the ∂ beside a gradient (style.css .grd-mark)
const LEGEND_ROOM = 64; // px below the framed graph for the heat legend (two rows and a caption)
const EDGE_LABELS_MAX = 80; // beyond this many edges, per-wire numbers are hover-only
// Arrow keys walk the graph from the focused node to the nearest one in that direction.
const ARROWS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };

export class GraphView {
  constructor(svg, { onHover, onSelect } = {}) {
    this.svg = d3.select(svg);
    this.onHover = onHover || (() => {});
    this.onSelect = onSelect || (() => {});
    this.defs = this.svg.append("defs");
    this.root = this.svg.append("g").attr("class", "zoom-layer");
    this.zoom = d3.zoom().scaleExtent([0.03, 8])
      .on("zoom", (event) => this.root.attr("transform", event.transform));
    this.svg.call(this.zoom).on("dblclick.zoom", null);
    // A pixel size, not 100%: a percentage-sized SVG is laid out again (all its text) whenever
    // anything else on the page is, e.g. the step counter's text on every step.
    const wrap = svg.parentElement;
    new ResizeObserver(() => {
      this.svg.attr("width", wrap.clientWidth).attr("height", wrap.clientHeight);
      this.fit(); // a new window size: frame the whole graph again
    }).observe(wrap);
    this.reducedMotion = globalThis.matchMedia?.("(prefers-reduced-motion: reduce)").matches;
    this.legend = d3.select(wrap).append("div").attr("class", "heat-legend")
      .attr("data-testid", "heat-legend").property("hidden", true);
  }

  setGraph(graph, layout) {
    this.graph = graph;
    this.layout = layout;
    this.nodeById = new Map(graph.nodes.map((n) => [n.id, n]));
    this.root.selectAll("*").remove();
    this.shown = new Map(); // what each node and edge shows now, by id: update() skips the same
    this.showEdgeLabels = graph.edges.length <= EDGE_LABELS_MAX;
    this.outgoing = d3.rollup(graph.edges, (v) => v.length, (e) => e.source);
    this.heatNodes = graph.nodes.filter((n) => heatGeometry(n.shape));
    this.legendKey = null;
    this._drawBlocks();
    this.wires = this._drawEdges();
    this.nodes = this._drawNodes();
    this.pulse = this.root.append("circle").attr("class", "pulse").attr("r", 5).attr("opacity", 0);
    this.fit();
  }

  _drawBlocks() {
    // Nodes that came from one expanded composite (e.g. σ) are framed together.
    const blocks = d3.group(this.graph.nodes.filter((n) => n.block), (n) => n.block.id);
    const pad = 14;
    // A member's heatmaps (above and below it) are inside the frame, under its label.
    const heat = (n) => (heatGeometry(n.shape)?.height ?? -4) + 4;
    const heatWidth = (n) => heatGeometry(n.shape)?.width ?? 0;
    for (const [, members] of blocks) {
      const boxes = members.map((n) => [n, this.layout.nodes.get(n.id)]);
      const x0 = d3.min(boxes, ([n, b]) => b.x - Math.max(b.width, heatWidth(n)) / 2) - pad;
      const x1 = d3.max(boxes, ([n, b]) => b.x + Math.max(b.width, heatWidth(n)) / 2) + pad;
      const y0 = d3.min(boxes, ([n, b]) => b.y - b.height / 2 - heat(n)) - pad - 18;
      const y1 = d3.max(boxes, ([n, b]) => b.y + b.height / 2 + heat(n)) + pad + 14;
      const g = this.root.append("g").attr("class", "block");
      g.append("rect").attr("class", "block-box").attr("rx", 10)
        .attr("x", x0).attr("y", y0).attr("width", x1 - x0).attr("height", y1 - y0);
      g.append("text").attr("class", "block-label").attr("x", x0 + 6).attr("y", y0 + 13)
        .text(members[0].block.op);
    }
  }

  _drawEdges() {
    const line = d3.line().curve(d3.curveMonotoneX);
    const g = this.root.append("g").attr("class", "wires");
    const wires = g.selectAll("g.edge").data(this.graph.edges, (e) => e.id).join("g")
      .attr("class", "edge");
    wires.append("path").attr("class", "wire")
      .attr("id", (e) => `wire-${e.id}`)
      .attr("d", (e) => line(this.layout.edges.get(e.id).points));
    const labelled = wires.filter((e) => {
      const source = this.nodeById.get(e.source);
      return source.shape.length > 0; // shapes on tensor edges
    });
    labelled.append("text").attr("class", "wire-label")
      .attr("x", (e) => midpoint(this.layout.edges.get(e.id).points)[0])
      .attr("y", (e) => midpoint(this.layout.edges.get(e.id).points)[1] - 5)
      .attr("text-anchor", "middle")
      .text((e) => formatShape(this.nodeById.get(e.source).shape));
    if (this.showEdgeLabels) {
      // The contribution an edge sends back is shown on its wire while that step is the
      // current one: the number travels with the gradient, and the finished graph stays
      // readable (a fork's contributions are listed in its tooltip and details).
      wires.each(function placeLabel() {
        const path = this.querySelector("path");
        const p = path.getPointAtLength(path.getTotalLength() / 2);
        d3.select(this).append("text").attr("class", "wire-grad")
          .attr("x", p.x).attr("y", p.y - 6).attr("text-anchor", "middle");
      });
    }
    return wires;
  }

  _drawNodes() {
    const graph = this.graph;
    const forks = new Set([...this.outgoing].filter(([, count]) => count > 1).map(([id]) => id));
    const g = this.root.append("g").attr("class", "nodes");
    const nodes = g.selectAll("g.node").data(graph.nodes, (n) => n.id).join("g")
      .attr("class", (n) => `node ${n.kind}${forks.has(n.id) ? " fork" : ""}`)
      .attr("data-testid", "node")
      .attr("data-node-id", (n) => n.id)
      .attr("data-kind", (n) => n.kind)
      .attr("data-name", (n) => n.name ?? "")
      .attr("data-value", (n) => dataNumber(n.value))
      .attr("data-grad", (n) => dataNumber(n.grad))
      // One tab stop for the whole graph (the node focused last, the first one at start);
      // the arrow keys move between nodes (_walk).
      .attr("tabindex", (n, i) => (i === 0 ? 0 : -1))
      .attr("role", "button")
      .attr("aria-label", (n) => nodeTitle(n))
      .attr("transform", (n) => {
        const p = this.layout.nodes.get(n.id);
        return `translate(${p.x},${p.y})`;
      })
      .on("mouseenter", (event, n) => this.onHover(n, event))
      .on("focus", (event, n) => {
        this.nodes.attr("tabindex", (m) => (m === n ? 0 : -1));
        this.onHover(n, event);
      })
      .on("mouseleave blur", (event) => this.onHover(null, event))
      .on("click", (event, n) => this.onSelect(n, event))
      .on("keydown", (event, n) => {
        if (event.key === "Enter") this.onSelect(n, event);
        if (!ARROWS[event.key] || event.altKey || event.ctrlKey || event.metaKey) return;
        event.preventDefault();
        event.stopPropagation(); // in the graph the arrows walk nodes, not the timeline
        this._walk(n, ARROWS[event.key]);
      });

    const boxes = this.layout.nodes;
    nodes.each(function drawShape(n) {
      const sel = d3.select(this);
      const box = boxes.get(n.id);
      if (n.kind === "op") {
        sel.append("circle").attr("class", "shape").attr("r", box.height / 2);
      } else {
        sel.append("rect").attr("class", "shape").attr("rx", 7)
          .attr("x", -box.width / 2).attr("y", -box.height / 2)
          .attr("width", box.width).attr("height", box.height);
      }
      sel.append("text").attr("class", `symbol${n.label.length > 3 ? " small" : ""}`).text(n.label);
      // Small tensors get a heatmap between the node and its label, above for the value
      // and below for the gradient; the layout left room for them (layoutOptions).
      const heat = heatGeometry(n.shape);
      const room = heat ? heat.height + 4 : 0;
      const val = sel.append("text").attr("class", "val").attr("y", -box.height / 2 - 6 - room);
      if (n.kind === "op" && n.name) {
        val.append("tspan").attr("class", "name").text(n.name);
        val.append("tspan").attr("class", "number");
      }
      sel.append("text").attr("class", "grd").attr("y", box.height / 2 + 15 + room);
      sel.append("text").attr("class", "grd-mark").attr("y", box.height / 2 + 15 + room);
    });
    return nodes;
  }

  _walk(from, [dx, dy]) {
    // The nearest node ahead in the direction, straying sideways counting double.
    const p = this.layout.nodes.get(from.id);
    let best = null;
    let bestScore = Infinity;
    for (const n of this.graph.nodes) {
      const q = this.layout.nodes.get(n.id);
      const ahead = (q.x - p.x) * dx + (q.y - p.y) * dy;
      if (n === from || ahead <= 0) continue;
      const score = ahead + 2 * Math.abs((q.x - p.x) * dy - (q.y - p.y) * dx);
      if (score < bestScore) [best, bestScore] = [n, score];
    }
    if (best) this.nodes.filter((n) => n === best).node().focus();
  }

  update(state, { digits = 4 } = {}) {
    // Only what changed since the last step is touched: rewriting every label would make the
    // browser lay out all the graph's text again on each step (too slow at 300+ nodes).
    if (!this.graph) return;
    const { values, grads, edgeGrads, activeNodes, activeEdges, current } = state;
    const shown = this.shown;
    const lang = document.documentElement.lang; // the node names screen readers hear
    const scales = sharedScales(this.heatNodes, values, grads);
    this._updateLegend(scales, digits, lang);
    this.nodes.each(function updateNode(n) {
      const v = values.get(n.id);
      const g = grads.get(n.id);
      const named = n.kind === "op" && n.name;
      const valueText = labelFor(n, v, digits, !named);
      const key = `${lang}|${activeNodes.has(n.id)}|${valueText}|${labelFor(n, g, digits)}|`
        + `${v === undefined ? "" : signClass(v)}|${g === undefined ? "" : signClass(g)}|`
        + `${n.shape.length ? `${v !== undefined}${g !== undefined}${g === undefined ? "" : JSON.stringify(g)}` : ""}|`
        + `${heatGeometry(n.shape) ? `${scales.value}|${scales.grad}|${digits}` : ""}`;
      if (shown.get(n.id) === key) return;
      shown.set(n.id, key);
      const sel = d3.select(this).classed("active", activeNodes.has(n.id))
        .attr("data-state", g !== undefined ? "backward" : v !== undefined ? "forward" : "pending")
        .attr("aria-label", accessibleName(n, v, g, digits, lang));
      // A named op shows "q = 3" (just "q" until its forward step), as the tutorial writes it.
      const val = sel.select("text.val").attr("class", `val ${v === undefined ? "" : signClass(v)}`);
      if (named) {
        val.select("tspan.name").text(valueText ? `${n.name} = ` : n.name);
        val.select("tspan.number").text(valueText);
      } else {
        val.text(valueText);
      }
      const gradText = labelFor(n, g, digits);
      sel.select("text.grd").attr("class", `grd ${g === undefined || isTensor(g) ? "" : signClass(g)}`)
        .text(gradText);
      // "∂ −4" centred as a whole (the layout reserves a centred label, ∂ included): the
      // number moves right by half the mark, whose width the monospace font gives.
      const markWidth = gradText ? MARK_SIZE * MONO_CHAR + 1 : 0;
      sel.select("text.grd").attr("x", markWidth / 2);
      sel.select("text.grd-mark").attr("x", markWidth / 2 - (gradText.length * 12 * MONO_CHAR) / 2 - 1)
        .text(gradText ? PARTIAL : "");
      if (n.shape.length) {
        heatmap(sel, "heat-val", v, -1, scales.value, digits);
        heatmap(sel, "heat-grad", g, 1, scales.grad, digits);
      }
    });
    this.wires.each(function updateWire(e) {
      const v = edgeGrads.get(e.id);
      const active = activeEdges.has(e.id);
      const label = active && v !== undefined && !isTensor(v) ? signed(v, digits) : "";
      const key = `${active}|${v !== undefined}|${label}`;
      if (shown.get(e.id) === key) return;
      shown.set(e.id, key);
      const sel = d3.select(this);
      sel.select("path.wire").classed("active", active).classed("done", v !== undefined);
      sel.select("text.wire-grad").attr("class", `wire-grad ${label ? signClass(v) : ""}`)
        .text(label);
    });
    this._pulse(current);
  }

  _updateLegend(scales, digits, lang) {
    // One legend for every heatmap: a colour bar per scale, from −m through 0 to +m.
    const rows = [["value", "node.value", scales.value], ["grad", "node.grad", scales.grad]]
      .filter(([, , m]) => m > 0);
    const key = `${lang}|${digits}|${this.heatNodes.length}|${rows.map(([kind, , m]) => `${kind}=${m}`).join("|")}`;
    if (key === this.legendKey) return;
    this.legendKey = key;
    this.legend.property("hidden", !this.heatNodes.length).selectAll("*").remove();
    if (!this.heatNodes.length) return;
    this.legend.append("div").attr("class", "heat-caption").text(t(lang, "heat.caption"));
    for (const [kind, label, m] of rows) {
      const row = this.legend.append("div").attr("class", `heat-row ${kind}`)
        .attr("data-kind", kind).attr("data-min", -m).attr("data-max", m);
      const name = row.append("span").attr("class", "heat-name");
      if (kind === "grad") name.append("span").attr("class", "grd-mark").text(PARTIAL);
      name.append("span").text(t(lang, label));
      row.append("span").attr("class", "heat-end heat-min").text(formatCompact(-m, digits));
      row.append("span").attr("class", "heat-bar").selectAll("span").data(legendStops(m)).join("span")
        .attr("class", (x) => `heat-swatch ${signClass(x)}`)
        .style("--level", (x) => heatLevel(x, m));
      row.append("span").attr("class", "heat-end heat-max").text(`+${formatCompact(m, digits)}`);
    }
  }

  _pulse(event) {
    // The gradient travels back along the wire, from the op to its input.
    this.pulse.interrupt().attr("opacity", 0);
    if (!event || event.kind !== "edge" || this.reducedMotion) return;
    const path = this.root.select(`#wire-${event.edge}`).node();
    if (!path) return;
    this.pulse.attr("opacity", 1)
      .transition().duration(450).ease(d3.easeCubicInOut)
      .attrTween("transform", () => {
        const length = path.getTotalLength(); // measured when the animation starts, not now
        return (t) => {
          const p = path.getPointAtLength(length * (1 - t));
          return `translate(${p.x},${p.y})`;
        };
      })
      .transition().attr("opacity", 0);
  }

  fit() {
    const wrap = this.svg.node().parentElement;
    const width = wrap.clientWidth;
    const height = wrap.clientHeight;
    if (!this.layout || !width || !height) return;
    const pad = 40;
    const below = this.heatNodes?.length ? LEGEND_ROOM : 0; // the heat legend's corner stays clear
    const w = this.layout.width + 2 * pad;
    const h = this.layout.height + 2 * pad;
    const k = Math.min(width / w, (height - below) / h, 1.6);
    const tx = (width - this.layout.width * k) / 2;
    const ty = (height - below - this.layout.height * k) / 2;
    this.svg.call(this.zoom.transform, d3.zoomIdentity.translate(tx, ty).scale(k));
  }

  zoomBy(factor) {
    this.svg.transition().duration(200).call(this.zoom.scaleBy, factor);
  }

  centerOn(nodeId) {
    const p = this.layout?.nodes.get(nodeId);
    if (p) this.svg.transition().duration(300).call(this.zoom.translateTo, p.x, p.y);
  }
}

function nodeTitle(n) {
  return n.kind === "op" && n.name ? `${n.name} (${n.label})` : n.name ?? n.label;
}

/** What a screen reader says for a node: its name, and its value and gradient once known
 *  ("x, Value −2, Gradient −4"), the numbers as the graph shows them. */
function accessibleName(n, v, g, digits, lang) {
  const spoken = (x, plus) => (isTensor(x) ? formatValue(x, 3)
    : plus ? signed(x, digits) : formatNumber(x, digits));
  const parts = [nodeTitle(n)];
  if (v !== undefined) parts.push(`${t(lang, "node.value")} ${spoken(v, false)}`);
  if (g !== undefined) parts.push(`${t(lang, "node.grad")} ${spoken(g, true)}`);
  return parts.join(", ");
}

function midpoint(points) {
  return points[Math.floor(points.length / 2)];
}

function dataNumber(v) {
  // Tests read these: full precision for scalars, JSON for tensors.
  return isTensor(v) ? JSON.stringify(v) : String(toNumber(v));
}

/** Cell size and extent of a tensor's heatmap, or null when it is drawn as text. */
export function heatGeometry(shape) {
  if (!shape.length) return null;
  const rows = shape.length === 2 ? shape[0] : 1;
  const cols = shape[shape.length - 1];
  if (rows * cols > HEAT_MAX) return null;
  if (rows <= HEAT_NUMBERED && cols <= HEAT_NUMBERED) {
    const { width, height } = NUMBER_CELL;
    return { rows, cols, numbered: true, cellWidth: width, cellHeight: height,
      width: cols * width, height: rows * height };
  }
  const cell = Math.max(4, Math.min(9, 44 / Math.max(rows, cols)));
  return { rows, cols, numbered: false, cellWidth: cell, cellHeight: cell,
    width: cols * cell, height: rows * cell };
}

/** Layout options that leave room for the heatmaps above and below tensor nodes. Columns
 *  are as wide as the widest heatmap, so a wire only ever runs beside one horizontally (at
 *  its node's ports), never through it: a tensor's box grows to its heatmap's width, and if
 *  an op's heatmap is wider still, the gap between columns grows by the difference. */
export function layoutOptions(graph) {
  const heat = new Map(graph.nodes.map((n) => [n.id, heatGeometry(n.shape)]).filter(([, h]) => h));
  if (!heat.size) return {};
  const { varWidth, layerGap } = LAYOUT_DEFAULTS;
  const tallest = Math.max(...[...heat.values()].map((h) => h.height));
  const boxWidth = (n) => Math.max(varWidth, heat.get(n.id)?.width ?? 0);
  const widestBox = Math.max(varWidth, ...graph.nodes.filter((n) => n.kind !== "op").map(boxWidth));
  const widestHeat = Math.max(...[...heat.values()].map((h) => h.width));
  return {
    labelRoom: 18 + tallest + 4,
    nodeSize: (n) => (n.kind !== "op" && heat.has(n.id) ? { width: boxWidth(n) } : {}),
    layerGap: layerGap + Math.max(0, widestHeat - widestBox),
  };
}

function labelFor(node, v, digits, plus = true) {
  // Numbers as text; a small tensor is its heatmap; a large one is its shape and range.
  if (v === undefined) return "";
  if (!isTensor(v)) return plus ? signed(v, digits) : formatNumber(v, digits);
  if (heatGeometry(node.shape)) return "";
  if (!Array.isArray(v)) return formatValue(v, 3);
  const flat = v.flat().map(toNumber).filter(Number.isFinite);
  const range = flat.length ? `${formatNumber(Math.min(...flat), 3)} … ${formatNumber(Math.max(...flat), 3)}` : "";
  return `${formatShape(node.shape)}: ${range}`;
}

function signed(v, digits) {
  // The sign is spelled out (+ / −) as well as coloured, so colour is never the only cue.
  const text = formatNumber(v, digits);
  return toNumber(v) > 0 ? `+${text}` : text;
}

function heatmap(sel, cls, value, side, m, digits) {
  // The shared scale m (heat-scale.js): strength |x| / m, the sign's colour (CSS classes).
  sel.select(`g.${cls}`).remove();
  const box = sel.datum();
  const geometry = heatGeometry(box.shape);
  if (!Array.isArray(value) || !geometry) return;
  const rows = Array.isArray(value[0]) ? value : [value];
  const { cellWidth: cw, cellHeight: ch, width: w, height: h } = geometry;
  const half = sel.select(".shape").node().getBBox().height / 2;
  const y0 = side < 0 ? -half - 4 - h : half + 4;
  const g = sel.append("g").attr("class", `heat ${cls}`)
    .attr("transform", `translate(${-w / 2},${y0})`);
  rows.forEach((row, i) => row.forEach((v, j) => {
    const level = heatLevel(v, m);
    g.append("rect").attr("x", j * cw).attr("y", i * ch).attr("width", cw).attr("height", ch)
      .attr("class", `cell ${signClass(v)}`)
      .attr("fill-opacity", EXPORT_HEAT_CAP * level)
      .style("--level", level)
      .append("title").text(formatValue(v, 6));
    if (geometry.numbered) {
      g.append("text").attr("class", "heat-num")
        .attr("x", (j + 0.5) * cw).attr("y", (i + 0.5) * ch)
        .text(formatCompact(v, digits));
    }
  }));
  g.append("rect").attr("class", "heat-frame").attr("width", w).attr("height", h);
  if (side > 0) g.append("text").attr("class", "grd-mark").attr("x", -4).attr("y", h / 2).text(PARTIAL);
}
