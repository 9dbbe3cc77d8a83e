// The graph drawn in SVG with D3: built once per result (draw, off the page; show swaps it
// in; setGraph does both; stage lets the browser lay a drawing out, unseen, before it is
// shown), then restyled for each timeline step (update). Rendering step k
// depends only on (graph, layout, state at k), so stepping back is as cheap as stepping
// forward. Labels go in with .text(), never .html().
import { formatCompact, formatNumber, formatShape, formatValue, isTensor, signClass, toNumber } from "./format.js";
import { svgEl } from "./dom.js";
import { heatLevel, legendStops, sharedScales } from "./heat-scale.js";
import { t } from "./i18n.js";
import { MONO_CHAR, drawnSize, heatGeometry, namedOp, symbolOf } from "./node-sizes.js";

const d3 = globalThis.d3;
// Cell opacity at full strength in an exported SVG (no CSS variables there); on the page
// the theme's --heat-cap applies (style.css).
const EXPORT_HEAT_CAP = 0.6;
const PARTIAL = "\u2202"; // ∂: marks gradients, so they differ from values by more than place
const MARK_SIZE = 12; // px, the ∂ beside a gradient (style.css .grd-mark)
const LEGEND_ROOM = 64; // px below the framed graph for the heat legend (two rows and a caption)
const EDGE_LABELS_MAX = 80; // beyond this many edges, per-wire numbers are hover-only
// Every text of the graph is at least 12 px at scale 1 (style.css), so it is at least 11 px
// from this scale up: a graph opens at this scale or more (when the whole graph would be
// smaller, it opens readable on the output's end: the user pans, or presses Fit).
export const READABLE_SCALE = 11 / 12;
const FIT_PAD = 12; // px around the drawing when it is framed (the layout has its own margin)
// Arrow keys walk the graph from the focused node to the nearest one in that direction.
const ARROWS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };

export class GraphView {
  constructor(svg, { onHover, onSelect, minScale = READABLE_SCALE, legendTestid = "heat-legend" } = {}) {
    this.svg = d3.select(svg);
    this.minScale = minScale; // fit() never goes below it (side by side: 0, each pane whole)
    this.onHover = onHover || (() => {});
    this.onSelect = onSelect || (() => {});
    this.defs = this.svg.append("defs");
    this.root = this.svg.append("g").attr("class", "zoom-layer");
    this.zoom = d3.zoom().scaleExtent([0.03, 8]).on("zoom", (event) => {
      // Unchanged for a drawing that stage() framed already: not even set again.
      const transform = String(event.transform);
      if (this.root.attr("transform") !== transform) this.root.attr("transform", transform);
    });
    this.svg.call(this.zoom).on("dblclick.zoom", null);
    // A pixel size, not 100%: a percentage-sized SVG is laid out again (all its text) whenever
    // anything else on the page is, e.g. the step counter's text on every step.
    const wrap = svg.parentElement;
    new ResizeObserver(() => {
      this.canvas = { width: wrap.clientWidth, height: wrap.clientHeight };
      this.svg.attr("width", this.canvas.width).attr("height", this.canvas.height);
      this.fit(); // a new window size: frame the whole graph again
    }).observe(wrap);
    this.reducedMotion = globalThis.matchMedia?.("(prefers-reduced-motion: reduce)").matches;
    this.legend = d3.select(wrap).append("div").attr("class", "heat-legend")
      .attr("data-testid", legendTestid).property("hidden", true);
  }

  setGraph(graph, layout) {
    this.show(this.draw(graph, layout));
  }

  /** The drawing of `graph` as `layout` places it, built off the page, for show() (once):
   * app.js builds the next Run's drawing while the page is idle, so the click only swaps
   * it in. Nothing shown changes. */
  draw(graph, layout) {
    const nodeById = new Map(graph.nodes.map((n) => [n.id, n]));
    const d = { graph, layout, nodeById, root: d3.create("svg:g").attr("class", "zoom-layer"),
                showEdgeLabels: graph.edges.length <= EDGE_LABELS_MAX,
                outgoing: d3.rollup(graph.edges, (v) => v.length, (e) => e.source),
                heatNodes: graph.nodes.filter((n) => heatGeometry(n.shape)),
                shown: new Map() }; // what each node and edge shows, by id: _paint skips the same
    this._drawBlocks(d);
    d.wires = this._drawEdges(d);
    d.nodes = this._drawNodes(d);
    d.pulse = d.root.append("circle").attr("class", "pulse").attr("r", 5).attr("opacity", 0);
    return d;
  }

  /** Show a drawing made by draw(), framed; the steps' labels come with update() (or came
   * with prepaint()). Each drawing is its own zoom layer: showing one puts it in the old
   * one's place (or unhides it where stage() put it) and drops whatever else is staged. */
  show(drawing) {
    const { graph, layout, root, wires, nodes, pulse, heatNodes, shown } = drawing;
    Object.assign(this, { graph, layout, wires, nodes, pulse, heatNodes, shown });
    this.params ??= new Set();
    if (this.staged !== drawing) this.stage(null); // off the page; shown later, laid out then
    this.staged = null;
    const layer = root.node();
    if (layer !== this.root.node()) {
      // Framed as the one it replaces until fit() frames it (it cannot before the canvas has
      // a size), so the zoom's state and the layer on the page always agree.
      if (!root.attr("transform")) root.attr("transform", String(d3.zoomTransform(this.svg.node())));
      root.classed("staged", false).attr("aria-hidden", null);
      this._hook(drawing);
      if (layer.parentNode !== this.svg.node()) this.svg.node().append(layer);
      this.root.remove();
      this.root = root;
    }
    this.fit();
  }

  /** Put a drawing (prepainted) on the page ahead of show(), framed as show() will frame
   * it, but clipped away: the browser styles and lays out its text now, while the page is
   * idle, instead of in the frame after the click, which then only unclips it (style.css
   * `.staged`). Until shown it carries no test hook, no tab stop and no accessible node
   * (aria-hidden). One at a time: a new one, or null, drops the one waiting. */
  stage(drawing) {
    if (this.staged && this.staged !== drawing) this.staged.root.remove();
    else if (drawing && this.staged === drawing && drawing.root.node().isConnected) return;
    this.staged = drawing;
    if (!drawing) return;
    const framing = this._framing(drawing.layout, drawing.graph);
    drawing.root.classed("staged", true).attr("aria-hidden", "true");
    if (framing) drawing.root.attr("transform", String(framing));
    this.svg.node().append(drawing.root.node());
  }

  // What tests and the keyboard find a drawing by, put on when it is shown (see stage()).
  _hook({ nodes, wires }) {
    nodes.attr("data-testid", "node")
      .attr("data-node-id", (n) => n.id)
      .attr("data-kind", (n) => n.kind)
      .attr("data-name", (n) => n.name ?? "")
      .attr("data-value", (n) => dataNumber(n.value))
      .attr("data-grad", (n) => dataNumber(n.grad))
      // One tab stop for the whole graph (the node focused last, the first one at start);
      // the arrow keys move between nodes (_walk).
      .attr("tabindex", (n, i) => (i === 0 ? 0 : -1));
    wires.select("path.wire").attr("id", (e) => `wire-${e.id}`);
  }

  _drawBlocks({ layout, root }) {
    // Nodes that came from one expanded composite (e.g. σ) are framed together; the layout
    // keeps them together and places the frame and its name clear of the rest.
    for (const [, b] of layout.blocks ?? []) {
      const g = root.append("g").attr("class", "block");
      g.append("rect").attr("class", "block-box").attr("rx", 10)
        .attr("x", b.x0).attr("y", b.y0).attr("width", b.x1 - b.x0).attr("height", b.y1 - b.y0);
      g.append("text").attr("class", "block-label").attr("x", b.label[0]).attr("y", b.label[1]).text(b.op);
    }
  }

  _drawEdges({ graph, layout, nodeById, root, showEdgeLabels }) {
    const line = d3.line().curve(d3.curveMonotoneX);
    const g = root.append("g").attr("class", "wires");
    const wires = g.selectAll("g.edge").data(graph.edges, (e) => e.id).join("g")
      .attr("class", "edge");
    wires.append("path").attr("class", "wire")
      .attr("d", (e) => line(layout.edges.get(e.id).points));
    const labelled = wires.filter((e) => {
      const source = nodeById.get(e.source);
      return source.shape.length > 0; // shapes on tensor edges
    });
    labelled.append("text").attr("class", "wire-label")
      .attr("x", (e) => midpoint(layout.edges.get(e.id).points)[0])
      .attr("y", (e) => midpoint(layout.edges.get(e.id).points)[1] - 5)
      .attr("text-anchor", "middle")
      .text((e) => formatShape(nodeById.get(e.source).shape));
    if (showEdgeLabels) {
      // The contribution an edge sends back is shown on its wire while that step is the
      // current one: the number travels with the gradient, and the finished graph stays
      // readable (a fork's contributions are listed in its tooltip and details).
      // At the layout's label spot, which keeps every wire's label clear of the others and
      // of the nodes (they are all shown at once when the timeline is done).
      wires.append("text").attr("class", "wire-grad")
        .attr("x", (e) => layout.edges.get(e.id).label[0])
        .attr("y", (e) => layout.edges.get(e.id).label[1] - 6)
        .attr("text-anchor", "middle");
    }
    return wires;
  }

  _drawNodes({ graph, layout, root, outgoing }) {
    const forks = new Set([...outgoing].filter(([, count]) => count > 1).map(([id]) => id));
    const g = root.append("g").attr("class", "nodes");
    // The handlers read `this` when they fire, i.e. the drawing shown then (this one).
    const nodes = g.selectAll("g.node").data(graph.nodes, (n) => n.id).join("g")
      .attr("class", (n) => `node ${n.kind}${forks.has(n.id) ? " fork" : ""}${n.collapsed ? " collapsed" : ""}`)
      .attr("role", "button")
      .attr("aria-label", (n) => nodeTitle(n))
      .attr("transform", (n) => {
        const p = layout.nodes.get(n.id);
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

    const boxes = layout.nodes;
    nodes.each(function drawShape(n) {
      const sel = d3.select(this);
      const box = drawnSize(n, boxes.get(n.id));
      if (box.shape === "circle") {
        sel.append("circle").attr("class", "shape").attr("r", box.height / 2);
      } else {
        // A closed box (collapsed.js) is drawn as a stack: a second outline behind says
        // "there is more inside".
        if (n.collapsed) {
          sel.append("rect").attr("class", "stack").attr("rx", 7)
            .attr("x", -box.width / 2 + 4).attr("y", -box.height / 2 + 4)
            .attr("width", box.width).attr("height", box.height);
        }
        sel.append("rect").attr("class", "shape").attr("rx", 7)
          .attr("x", -box.width / 2).attr("y", -box.height / 2)
          .attr("width", box.width).attr("height", box.height);
      }
      const symbol = symbolOf(n);
      sel.append("text").attr("class", `symbol${symbol.length > 3 ? " small" : ""}`).text(symbol);
      // Small tensors get a heatmap between the node and its label, above for the value
      // and below for the gradient; the layout left room for them (layoutOptions).
      const heat = heatGeometry(n.shape);
      const room = heat ? heat.height + 4 : 0;
      const val = sel.append("text").attr("class", "val").attr("y", -box.height / 2 - 6 - room);
      if (namedOp(n)) {
        val.append("tspan").attr("class", "name").text(n.name);
        val.append("tspan").attr("class", "number");
      }
      sel.append("text").attr("class", "grd").attr("y", box.height / 2 + 14 + room);
      sel.append("text").attr("class", "grd-mark").attr("y", box.height / 2 + 14 + room);
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
    if (!this.graph) return;
    const lang = document.documentElement.lang; // the node names screen readers hear
    this._updateLegend(this._paint(this, state, digits, lang), digits, lang);
    this._pulse(state.current);
  }

  /** Paint a drawing that is not shown yet as update() would at `state` (app.js: the next
   * Run's first step, while idle), so that update() finds it done and leaves it. */
  prepaint(drawing, state, { digits = 4 } = {}) {
    this._paint(drawing, state, digits, document.documentElement.lang);
  }

  // The labels, classes and heatmaps of a drawing's nodes and wires at `state`; the shared
  // heat scales it used.
  _paint({ nodes, wires, layout, heatNodes, shown }, state, digits, lang) {
    // Only what changed since the last step is touched: rewriting every label would make the
    // browser lay out all the graph's text again on each step (too slow at 300+ nodes).
    const { values, grads, edgeGrads, activeNodes, activeEdges } = state;
    // Done: every wire shows the gradient it carried back, as in CS231n's circuit diagrams
    // (a fork's wires each show their own share of its gradient).
    const done = state.phase === "end";
    const scales = sharedScales(heatNodes, values, grads);
    const boxes = layout.nodes;
    nodes.each(function updateNode(n) {
      const v = values.get(n.id);
      const g = grads.get(n.id);
      const named = namedOp(n);
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
        const half = drawnSize(n, boxes.get(n.id)).height / 2;
        heatmap(sel, "heat-val", v, -1, scales.value, digits, half);
        heatmap(sel, "heat-grad", g, 1, scales.grad, digits, half);
      }
    });
    wires.each(function updateWire(e) {
      const v = edgeGrads.get(e.id);
      const active = activeEdges.has(e.id);
      const label = (active || done) && v !== undefined && !isTensor(v) ? signed(v, digits) : "";
      const key = `${active}|${v !== undefined}|${label}`;
      if (shown.get(e.id) === key) return;
      shown.set(e.id, key);
      const sel = d3.select(this);
      sel.select("path.wire").classed("active", active).classed("done", v !== undefined);
      sel.select("text.wire-grad").attr("class", `wire-grad ${label ? signClass(v) : ""}`)
        .text(label);
    });
    return scales;
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

  /** The scale at which `layout` fits the canvas whole (at most 1.6: small graphs are not
   * blown up past a comfortable size); null before the canvas has a size. */
  fitScale(layout = this.layout, graph = this.graph) {
    const { width, height } = this._canvas();
    if (!layout || !width || !height) return null;
    const below = legendRoom(graph);
    return Math.min(width / (layout.width + 2 * FIT_PAD), (height - below) / (layout.height + 2 * FIT_PAD), 1.6);
  }

  // The size the resize observer last saw: reading clientWidth right after a new drawing
  // went in would make the browser lay out the whole page there and then (~190 ms at
  // 2,000 nodes), before the frame that lays it out anyway.
  _canvas() {
    if (this.canvas) return this.canvas;
    const wrap = this.svg.node().parentElement;
    return { width: wrap.clientWidth, height: wrap.clientHeight };
  }

  /** Frame the graph: whole when that is readable (or `whole`, the Fit button), else at the
   * readable scale with the output's end in view. */
  fit({ whole = false } = {}) {
    const t = this._framing(this.layout, this.graph, whole);
    if (t) this.svg.call(this.zoom.transform, t);
  }

  // The zoom that frames `layout` on the canvas as fit() says; null before the canvas has a size.
  _framing(layout, graph, whole = false) {
    const fitK = this.fitScale(layout, graph);
    if (fitK === null) return null;
    const { width, height } = this._canvas();
    const below = legendRoom(graph);
    const k = whole ? fitK : Math.max(fitK, this.minScale);
    const { width: w, height: h } = layout;
    // Centred when it fits; otherwise the right end (the output) at the right edge, and
    // vertically centred or from the top.
    const tx = w * k <= width - 2 * FIT_PAD ? (width - w * k) / 2 : width - FIT_PAD - w * k;
    const ty = h * k <= height - below - 2 * FIT_PAD ? (height - below - h * k) / 2 : FIT_PAD;
    return d3.zoomIdentity.translate(tx, ty).scale(k);
  }

  /** A pass with a classic mistake (the API's `mistake`): the nodes whose gradient is wrong
   * and the wires whose contribution was lost are marked. */
  setMistake(info) {
    if (!this.nodes) return;
    const wrong = new Set(info?.wrong_nodes ?? []);
    const dropped = new Set(info?.dropped_edges ?? []);
    this.nodes.classed("wrong", (n) => wrong.has(n.id));
    this.wires.classed("dropped", (e) => dropped.has(e.id));
  }

  /** Side by side: the nodes whose value or gradient differ from the other pane's. */
  setDiffers(ids) {
    this.nodes?.classed("differs", (n) => ids.has(n.id));
  }

  /** Which variables are trained (the training panel's ticks): parameters are marked apart
   * from data on the graph, as the tutorial tells weights from inputs. */
  setParams(names) {
    this.params = new Set(names);
    if (!this.nodes) return;
    const isVar = (n) => n.kind === "variable";
    this.nodes.classed("param", (n) => isVar(n) && this.params.has(n.name))
      .classed("data", (n) => isVar(n) && !this.params.has(n.name));
  }

  /** Give the keyboard focus to a node (after a redraw removed the focused one). */
  focus(nodeId) {
    const node = this.nodes?.filter((n) => n.id === nodeId).node();
    if (node) {
      this.nodes.attr("tabindex", (n) => (n.id === nodeId ? 0 : -1));
      node.focus();
    }
  }

  /** Keep a node in view (the current step's) when the graph is larger than the canvas. */
  reveal(nodeId) {
    const p = this.layout?.nodes.get(nodeId);
    const svg = this.svg.node();
    if (!p) return;
    const t = d3.zoomTransform(svg);
    const [x, y] = t.apply([p.x, p.y]);
    const { width, height } = this._canvas();
    const margin = 60;
    if (x > margin && x < width - margin && y > margin && y < height - margin) return;
    this.svg.transition().duration(this.reducedMotion ? 0 : 250).call(this.zoom.translateTo, p.x, p.y);
  }

  zoomBy(factor) {
    this.svg.transition().duration(200).call(this.zoom.scaleBy, factor);
  }
}

// The room a graph's framing leaves below it: the heat legend's corner stays clear.
function legendRoom(graph) {
  return graph.nodes.some((n) => heatGeometry(n.shape)) ? LEGEND_ROOM : 0;
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
  if (n.collapsed) parts.push(t(lang, "groups.box", { count: n.collapsed.count }));
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

// `half`: half the node's drawn height (from its size, not getBBox(), which would make the
// browser lay out the page there and then, once per heatmap). Built with the DOM directly:
// a heatmap is many small elements, and they are made again on every step that changes it.
function heatmap(sel, cls, value, side, m, digits, half) {
  // The shared scale m (heat-scale.js): strength |x| / m, the sign's colour (CSS classes).
  sel.select(`g.${cls}`).remove();
  const box = sel.datum();
  const geometry = heatGeometry(box.shape);
  if (!Array.isArray(value) || !geometry) return;
  const rows = Array.isArray(value[0]) ? value : [value];
  const { cellWidth: cw, cellHeight: ch, width: w, height: h } = geometry;
  const y0 = side < 0 ? -half - 4 - h : half + 4;
  const g = svgEl("g", { class: `heat ${cls}`, transform: `translate(${-w / 2},${y0})` });
  rows.forEach((row, i) => row.forEach((v, j) => {
    const level = heatLevel(v, m);
    const cell = svgEl("rect", { x: j * cw, y: i * ch, width: cw, height: ch, class: `cell ${signClass(v)}`,
      "fill-opacity": EXPORT_HEAT_CAP * level });
    cell.style.setProperty("--level", level);
    cell.append(svgEl("title", {}, formatValue(v, 6)));
    g.append(cell);
    if (geometry.numbered) {
      g.append(svgEl("text", { class: "heat-num", x: (j + 0.5) * cw, y: (i + 0.5) * ch },
        formatCompact(v, digits)));
    }
  }));
  g.append(svgEl("rect", { class: "heat-frame", width: w, height: h }));
  if (side > 0) g.append(svgEl("text", { class: "grd-mark", x: -4, y: h / 2 }, PARTIAL));
  sel.node().append(g);
}
