// What each node of the graph looks like, in size: its shape as drawn, the heatmaps of small
// tensors, the box of a closed group, and the layout options all of that implies. Pure (no
// DOM): graph-view.js draws with it, and the layout's tests lay out presets with it.
import { LAYOUT_DEFAULTS } from "./layout.js";

const HEAT_MAX = 64; // tensors up to 8×8 are drawn as heatmaps
const HEAT_NUMBERED = 6; // up to 6×6 each cell also shows its number
const NUMBER_CELL = { width: 42, height: 18 }; // five characters of 12px monospace (36 px), padded apart
export const MONO_CHAR = 0.6; // width of a monospace character, in em

// A closed stage shows its name inside its box (not "a = …" above it); a closed block its
// composite's symbol (σ).
export function symbolOf(n) {
  return n.collapsed?.kind === "stage" ? n.name : n.label;
}

export function namedOp(n) {
  return n.kind === "op" && n.name && n.collapsed?.kind !== "stage";
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
  // Too many cells for numbers: colours only, at least 8 px tall so a strip of 12 still reads.
  const cellWidth = Math.max(4, Math.min(9, 60 / cols));
  const cellHeight = Math.max(8, Math.min(9, 60 / rows));
  return { rows, cols, numbered: false, cellWidth, cellHeight, width: cols * cellWidth, height: rows * cellHeight };
}

/** Layout options: text widths as style.css draws them, closed boxes sized for their names,
 *  and room for the heatmaps above and below tensor nodes: a tensor's box grows to its
 *  heatmap's width, and an op's column keeps its heatmap's width clear (`band`), so a wire
 *  only ever runs beside a heatmap horizontally (at its node's ports), never through it. */
export function layoutOptions(graph) {
  const heat = new Map(graph.nodes.map((n) => [n.id, heatGeometry(n.shape)]).filter(([, h]) => h));
  const closed = (n) => (n.collapsed ? closedBox(n) : {});
  // Wire and block labels are 12 px monospace (style.css), 0.6 em a character.
  const text = { edgeLabelCharWidth: 12 * MONO_CHAR, blockLabelCharWidth: 12 * MONO_CHAR };
  if (!heat.size) return graph.nodes.some((n) => n.collapsed) ? { ...text, nodeSize: closed } : text;
  // A tensor's heatmaps (above and below it) belong to its slot: in the layout its box is as
  // tall as the node and both heatmaps, and drawnSize() draws the node in the middle of it;
  // scalars beside it keep their short slots. A tensor shows no number above or below it
  // (its heatmaps do), only a name: one without a name lends its label rows to its heatmaps.
  const { labelRoom, varWidth } = LAYOUT_DEFAULTS;
  const withHeat = (n) => {
    const { width, height } = heat.get(n.id);
    const base = n.collapsed ? closedBox(n) : drawnSize(n, { width: varWidth });
    const lent = namedOp(n) ? 0 : labelRoom;
    // The column keeps the heatmap clear and, on both sides, the ∂ graph-view writes 4 px
    // left of the gradient's heatmap (12 px monospace, one character).
    return { width: n.kind === "op" && !n.collapsed ? base.width : Math.max(base.width, width),
      height: Math.max(base.height, base.height + 2 * (height + 4 - lent)), shape: "box",
      band: width + 2 * (4 + 12 * MONO_CHAR) };
  };
  return {
    ...text,
    nodeSize: (n) => (heat.has(n.id) ? withHeat(n) : closed(n)),
  };
}

/** The node's own shape and size as drawn (the layout's box of a tensor also holds its
 * heatmaps, see layoutOptions). */
export function drawnSize(n, box) {
  const { opSize, varHeight } = LAYOUT_DEFAULTS;
  if (n.collapsed) return { shape: "box", width: box.width, height: varHeight };
  if (n.kind === "op") return { shape: "circle", width: opSize, height: opSize };
  return { shape: "box", width: box.width, height: varHeight };
}

/** A closed group's box: wide enough for its name or symbol (15 px monospace, 12 px when
 * longer than 3 characters: style.css .symbol). */
function closedBox(n) {
  const chars = symbolOf(n).length;
  return { width: Math.max(LAYOUT_DEFAULTS.varWidth, 20 + chars * (chars > 3 ? 12 : 15) * MONO_CHAR),
    height: LAYOUT_DEFAULTS.varHeight, shape: "box" };
}
