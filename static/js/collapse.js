// Collapsible groups of the computation graph: big graphs stay readable when a named stage
// (`a = x*y + 2`) or an expanded composite (the gates of one sigmoid) is drawn as ONE box that
// opens on click. This module only computes the groups and the collapsed graph; graph-view
// draws it. Pure (no DOM): the same module runs in the browser and in Node's tests.
//
// API
// ---
//   groupsOf(graph) -> Array<Group>
//     Group = {id, kind: "block" | "stage", label, output: node id, members: [node id, ...]}
//     - "block:<block id>": the gates of one expanded composite (nodes whose `block.id` is that
//       id) plus the constants used only by those gates (the `1` of 1 + exp(−u));
//       label = the composite's op ("sigmoid").
//     - "stage:<node id>": a named op N and the unnamed ops and constants that only exist to
//       compute it (see stageUnits); label = N.name, output = N.
//     `members` are in node order; `output` is the member whose value leaves the group.
//     Only groups of 2 or more members (collapsing one node changes nothing). Blocks first,
//     then stages, each in the order of their outputs. A stage holds whole blocks or none of
//     a block's nodes, so the groups nest: two groups are disjoint or a block lies in a stage.
//     A named composite alone (`a = sigmoid(x)`) gives a block and a stage with the same
//     members: the page may offer both (the stage's box keeps the name "a").
//
//   collapse(graph, closed, groups = groupsOf(graph)) -> {graph, owner, edgeOwner, groups}
//     closed: a Set (or any iterable) of group ids; unknown ids are ignored.
//     graph: {...graph, nodes, edges} (steps, output, … carried over) where every closed group
//       is ONE node with the id of its output (the page's maps keyed by node id keep working):
//         {...output node without `block`, kind: "op", op, label, name, inputs,
//          collapsed: {group: group id, kind: group kind, count: members.length}}
//       block: op = the composite ("sigmoid"), label = its symbol (SYMBOLS), name = null;
//       stage: op = null (a stage is no single op: nothing may apply the output's formula to
//       the stage's inputs), label and name of the output node.
//       inputs = the distinct nodes feeding the group from outside, as shown (a source hidden
//       in another closed group is that group's node), in member order then argument order.
//       Edges: an edge inside a group disappears; an edge into a group keeps its id, grad and
//       source and gets the group node as target and index = its source's position in the
//       group node's inputs (two edges from one source stay two: two gradient contributions);
//       an edge out of a group already starts at the output, which stays. Nodes and edges that
//       do not change are the input's own objects (never mutated).
//     A closed stage wins over closed blocks inside it (one box); a closed block inside an
//       open stage collapses on its own.
//     owner: Map(original node id -> id of the node that shows it: itself, or its group's node).
//     edgeOwner: Map(original edge id -> {edge: id} when the edge is shown (always under its
//       own id), {node: group node id} when it is hidden inside a group). The page highlights
//       that node when the current step is a hidden node or edge.
//     groups: the groups used (the argument).
//
// Deterministic; O(nodes + edges) (a 20,000-node program: tens of milliseconds); the input is
// never mutated.

/** Labels of collapsed composites; other composites show their op name. */
export const SYMBOLS = Object.freeze({ sigmoid: "σ", tanh: "tanh" });

// ---------------------------------------------------------------- indexes

function indexGraph(graph) {
  const byId = new Map();
  const position = new Map();
  const incoming = new Map();
  const outgoing = new Map();
  graph.nodes.forEach((node, i) => {
    byId.set(node.id, node);
    position.set(node.id, i);
    incoming.set(node.id, []);
    outgoing.set(node.id, []);
  });
  for (const e of graph.edges) {
    outgoing.get(e.source)?.push(e);
    incoming.get(e.target)?.push(e);
  }
  return { byId, position, incoming, outgoing };
}

const byOutput = (idx) => (a, b) => idx.position.get(a.output) - idx.position.get(b.output);

/** The member whose value leaves the group: not consumed by another member (the latest in
 * node order if several, e.g. beside a gate whose value is unused). */
function exitOf(members, idx) {
  const inside = new Set(members);
  const exits = members.filter((id) => !idx.outgoing.get(id).some((e) => inside.has(e.target)));
  return exits.at(-1) ?? members.at(-1);
}

// ---------------------------------------------------------------- blocks

/** The block id a node belongs to, or undefined. Constants made by an expansion may come
 * without a tag; one used only by the gates of one block is part of it. */
function blockIdOf(node, idx) {
  if (node.block) return node.block.id;
  if (node.kind !== "constant") return undefined;
  const consumers = idx.outgoing.get(node.id);
  const ids = new Set(consumers.map((e) => idx.byId.get(e.target)?.block?.id));
  const [only] = ids;
  return ids.size === 1 ? only : undefined;  // undefined too if a consumer is in no block
}

/** Every block, even of one member (stages need them all to keep blocks whole). */
function blockGroups(graph, idx) {
  const byBlock = new Map();
  for (const node of graph.nodes) {
    const blockId = blockIdOf(node, idx);
    if (blockId === undefined) continue;
    if (!byBlock.has(blockId)) {
      byBlock.set(blockId, { id: `block:${blockId}`, kind: "block", label: null, output: null, members: [] });
    }
    const group = byBlock.get(blockId);
    group.members.push(node.id);
    if (node.block) group.label = node.block.op;
  }
  const blocks = [...byBlock.values()];
  for (const group of blocks) group.output = exitOf(group.members, idx);
  return blocks.sort(byOutput(idx));
}

// ---------------------------------------------------------------- stages

// A node of a stage other than its output is hidden when the stage is closed, so it must be
// an intermediate value: an unnamed op or a constant (variables and named ops are what the
// reader looks for).
function hideable(node) {
  return node.kind === "constant" || (node.kind === "op" && !node.name);
}

/**
 * The graph seen by the stage search: a block is one unit (so a stage takes it whole or not
 * at all), any other node a unit of its own. `exits` counts the unit's edges to the outside,
 * `hideable` says whether the unit may be hidden inside a stage.
 */
function unitsOf(graph, idx, blocks) {
  const unitOf = new Map();
  for (const group of blocks) {
    const unit = { members: group.members, output: group.output };
    for (const id of group.members) unitOf.set(id, unit);
  }
  for (const node of graph.nodes) {
    if (!unitOf.has(node.id)) unitOf.set(node.id, { members: [node.id], output: node.id });
  }
  for (const unit of new Set(unitOf.values())) {
    unit.exits = 0;
    for (const id of unit.members) {
      for (const e of idx.outgoing.get(id)) if (unitOf.get(e.target) !== unit) unit.exits += 1;
    }
    unit.hideable = unit.members.every((id) => hideable(idx.byId.get(id)));
  }
  return unitOf;
}

/**
 * The units of the stage ending at `root`: going upstream, a unit joins once ALL its edges out
 * lead into the stage (counted as they are found) — a value also used elsewhere stays outside,
 * never hidden — and only if it is hideable (the search stops at variables and named ops).
 * Each edge into the stage is looked at once; stages are disjoint, so all stages together
 * look at each edge at most once.
 */
function stageUnits(root, idx, unitOf) {
  const inside = [root];
  const found = new Map();  // unit -> its edges into the stage found so far
  for (let i = 0; i < inside.length; i++) {
    const unit = inside[i];
    for (const id of unit.members) {
      for (const e of idx.incoming.get(id)) {
        const from = unitOf.get(e.source);
        if (!from || from === unit) continue;
        const count = (found.get(from) ?? 0) + 1;
        found.set(from, count);
        if (count === from.exits && from.hideable) inside.push(from);
      }
    }
  }
  return inside;
}

function stageGroups(graph, idx, blocks) {
  const unitOf = unitsOf(graph, idx, blocks);
  const stageOf = new Map();  // node id -> its stage
  const stages = [];
  for (const node of graph.nodes) {
    if (node.kind !== "op" || !node.name) continue;
    const root = unitOf.get(node.id);
    // A named gate whose block goes on after it: its stage would cut the block.
    if (root.output !== node.id) continue;
    const stage = { id: `stage:${node.id}`, kind: "stage", label: node.name, output: node.id, members: [] };
    stages.push(stage);
    for (const unit of stageUnits(root, idx, unitOf)) {
      for (const id of unit.members) stageOf.set(id, stage);
    }
  }
  // Members in node order in one pass (no sort per stage).
  for (const node of graph.nodes) stageOf.get(node.id)?.members.push(node.id);
  return stages;
}

// ---------------------------------------------------------------- groupsOf

/** The collapsible groups of a graph (see the header). */
export function groupsOf(graph) {
  const idx = indexGraph(graph);
  const blocks = blockGroups(graph, idx);
  const stages = stageGroups(graph, idx, blocks);
  const big = (group) => group.members.length >= 2;
  return [...blocks.filter(big), ...stages.filter(big)];
}

// ---------------------------------------------------------------- collapse

/** Node id -> the closed group that hides or shows it. Stages are taken first, so a closed
 * block inside a closed stage is left to the stage (one box, not a box in a box). */
function closedMembers(groups, closed) {
  const groupOf = new Map();
  for (const kind of ["stage", "block"]) {
    for (const group of groups) {
      if (group.kind !== kind || !closed.has(group.id)) continue;
      if (group.members.some((id) => groupOf.has(id))) continue;
      for (const id of group.members) groupOf.set(id, group);
    }
  }
  return groupOf;
}

/** The distinct nodes (as shown) feeding a group from outside: member order, then argument
 * order. */
function outsideInputs(group, groupOf, shown, byId) {
  const inputs = new Set();
  for (const id of group.members) {
    for (const source of byId.get(id).inputs ?? []) {
      if (groupOf.get(source) !== group) inputs.add(shown(source));
    }
  }
  return [...inputs];
}

function groupNode(output, group, inputs) {
  const { block, ...rest } = output;  // the box is no gate of an open block
  const isBlock = group.kind === "block";
  return {
    ...rest,
    kind: "op",
    op: isBlock ? group.label : null,
    label: isBlock ? SYMBOLS[group.label] ?? group.label : output.label,
    name: isBlock ? null : output.name,
    inputs,
    collapsed: { group: group.id, kind: group.kind, count: group.members.length },
  };
}

/** A visible node reading a hidden value (only if a group has several exits) reads the box. */
function withShownInputs(node, shown) {
  const inputs = node.inputs ?? [];
  const mapped = inputs.map(shown);
  return mapped.every((id, i) => id === inputs[i]) ? node : { ...node, inputs: mapped };
}

/** The graph with every closed group drawn as one node (see the header). */
export function collapse(graph, closed, groups = groupsOf(graph)) {
  const byId = new Map(graph.nodes.map((node) => [node.id, node]));
  const groupOf = closedMembers(groups, closed instanceof Set ? closed : new Set(closed ?? []));
  const shown = (id) => groupOf.get(id)?.output ?? id;

  // Per group node: where each outside source sits among its inputs (the edges' index).
  const slots = new Map();
  const nodes = [];
  for (const node of graph.nodes) {
    const group = groupOf.get(node.id);
    if (!group) {
      nodes.push(withShownInputs(node, shown));
    } else if (group.output === node.id) {
      const inputs = outsideInputs(group, groupOf, shown, byId);
      slots.set(node.id, new Map(inputs.map((id, i) => [id, i])));
      nodes.push(groupNode(node, group, inputs));
    }
  }

  const edges = [];
  const edgeOwner = new Map();
  for (const e of graph.edges) {
    const source = shown(e.source);
    const target = shown(e.target);
    if (source === target) {  // both ends in one closed group
      edgeOwner.set(e.id, { node: target });
      continue;
    }
    edgeOwner.set(e.id, { edge: e.id });
    const index = slots.has(target) ? slots.get(target).get(source) : e.index;
    const same = source === e.source && target === e.target && index === e.index;
    edges.push(same ? e : { ...e, source, target, index });
  }

  const owner = new Map(graph.nodes.map((node) => [node.id, shown(node.id)]));
  return { graph: { ...graph, nodes, edges }, owner, edgeOwner, groups };
}
