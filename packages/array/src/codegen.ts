/**
 * Blockwise fusion's code generator. A region is a tree of fusible nodes
 * (creation, elementwise, transpose) rooted at one node; its leaves are
 * boundary nodes whose blocks already exist. The region compiles to ONE
 * self-contained JS function per block shape family:
 *
 *   function (p, ins) -> block | partial
 *
 * with `p = {off, ext}` the block's global offset and extent per axis, and
 * `ins` the leaves' blocks. It walks the block once in C order: every element
 * is generated (random, arange, ...), read from a leaf block, combined through
 * the elementwise chain (common subexpressions once), and then stored, or,
 * with a reduction, folded into accumulators, so a fused creation → map →
 * reduce chain never allocates a block at all.
 *
 * Coordinates: every node is evaluated under a *map* from its axes to the
 * region root's axes (-1: a broadcast axis of size 1, always coordinate 0).
 * Broadcasting and transposes only change maps, never data.
 */
import { castExpr, ctorName } from './dtype.ts';
import { FUSIBLE, type ArrayNode, type ReduceOp } from './graph.ts';
import { OPS } from './ops.ts';
import { rngLoaderSource, rowDrawSource, rowSumSource, specializedSource } from './random.ts';
import { vmathLoaderSource } from './vmath.ts';
import { stridesOf } from './shape.ts';

export interface Leaf {
  node: ArrayNode;
  /** Leaf axis k ↦ root axis (or -1). */
  map: number[];
}

/** The partial a region folds its block into: axes in root coordinates. */
export interface PartialReduction {
  op: ReduceOp;
  axes: readonly number[];
}

export interface Region {
  source: string;
  leaves: Leaf[];
  /** The ops it fuses, for task names: 'random·add·sum'. */
  name: string;
  /** Nodes fused into it (for explain and counting the unfused graph). */
  nodes: ArrayNode[];
}

export function lit(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  return Object.is(x, -0) ? '-0' : String(x);
}

/** How each kind of partial accumulates: one or two values per output element. */
export function partialWidth(op: ReduceOp): 1 | 2 {
  return op === 'var' || op === 'std' || op === 'argmin' || op === 'argmax' ? 2 : 1;
}

export function buildRegion(root: ArrayNode, reduction?: PartialReduction): Region {
  const n = root.shape.length;
  const head: string[] = ['"use strict";', 'const off = p.off, ext = p.ext;'];
  for (let d = 0; d < n; d++) head.push(`const e${d} = ext[${d}], o${d} = off[${d}];`);
  const leaves: Leaf[] = [];
  const leafIndex = new Map<string, number>();
  const body: string[] = [];
  const memo = new Map<string, string>();
  const nodes = new Set<ArrayNode>();
  const ops: string[] = [];
  /** Linear offsets: name → coefficient expression per root axis (over local i or global g). */
  const linear: { name: string; coef: string[]; global: boolean; row?: boolean }[] = [];
  /** Random leaves drawn a row at a time (the innermost axis) into buffers, through rng.wat where it loads. */
  const rows: { name: string; fn: string; dist: 'uniform' | 'normal'; seed: number; step: number }[] = [];
  /** exp/sin/cos rows handed to vmath.wat: the innermost loop splits into one loop per segment between them. */
  const splits: { fn: string; op: string; arg: string; out: string }[] = [];
  let tmp = 0;
  const g = (axis: number) => (axis < 0 ? '0' : `g${axis}`);

  const emit = (node: ArrayNode, map: number[]): string => {
    const key = `${node.id}|${map.join(',')}`;
    const known = memo.get(key);
    if (known) return known;
    let expr: string;
    if (!FUSIBLE.has(node.kind)) {
      let li = leafIndex.get(key);
      if (li === undefined) {
        li = leaves.length;
        leafIndex.set(key, li);
        leaves.push({ node, map });
        // Leaf block strides at run time: the block's extent per leaf axis is the root's (or 1 where broadcast).
        const dims = map.map((m) => (m < 0 ? '1' : `e${m}`));
        head.push(`const L${li} = ins[${li}];`);
        for (let k = map.length - 1; k >= 0; k--) head.push(`const L${li}s${k} = ${k === map.length - 1 ? '1' : `L${li}s${k + 1} * ${dims[k + 1]}`};`);
        const coef = Array.from({ length: n }, (_, d) => map.map((m, k) => (m === d ? `L${li}s${k}` : '')).filter(Boolean).join(' + ') || '0');
        linear.push({ name: `L${li}`, coef, global: false });
        if (!ops.includes(node.kind)) ops.push(node.kind === 'source' ? node.label : node.kind);
      }
      expr = `L${li}[q${n - 1 < 0 ? '' : n - 1}_L${li}]`;
    } else {
      nodes.add(node);
      switch (node.kind) {
        case 'random': {
          const fn = `${node.dist === 'uniform' ? 'ru' : 'rn'}${node.id}`;
          if (!head.some((h) => h.startsWith(`function ${fn}(`))) head.push(specializedSource(fn, node.dist, node.seed));
          const strides = stridesOf(node.shape);
          const name = `R${node.id}_${map.join('_').replace(/-/g, 'm')}`;
          const coefs = Array.from({ length: n }, (_, d) => map.reduce((s, m, kk) => (m === d ? s + strides[kk]! : s), 0));
          if (!linear.some((l) => l.name === name)) {
            linear.push({ name, coef: coefs.map(lit), global: true, row: n > 0 });
            if (n > 0) rows.push({ name, fn, dist: node.dist, seed: node.seed, step: coefs[n - 1]! });
          }
          // A row of the block is drawn at once (before the innermost loop); a 0-d block calls the generator.
          const at = n > 0 ? `B${name}[i${n - 1}]` : `${fn}(q_${name})`;
          const scaled = (a: number, b: number, u: string) => (a === 0 && b === 1 ? u : `${lit(a)} + ${lit(b)} * ${u}`);
          const v = scaled(node.a, node.dist === 'uniform' ? node.b - node.a : node.b, at);
          expr = castExpr(node.dtype, v);
          pushOp(node.dist === 'uniform' ? 'random' : 'normal');
          break;
        }
        case 'fill': expr = lit(node.value); pushOp('full'); break;
        case 'arange': expr = castExpr(node.dtype, `${lit(node.start)} + ${lit(node.step)} * ${g(map[0]!)}`); pushOp('arange'); break;
        case 'eye': expr = `(${g(map[0]!)} + ${lit(node.k)} === ${g(map[1]!)} ? 1 : 0)`; pushOp('eye'); break;
        case 'fromFunction': {
          const f = `F${node.id}`;
          if (!head.some((h) => h.startsWith(`const ${f} =`))) head.push(`const ${f} = (${node.source});`);
          expr = castExpr(node.dtype, `${f}(${map.map(g).join(', ')})`);
          pushOp('fromFunction');
          break;
        }
        case 'transpose': {
          const child = new Array<number>(map.length);
          node.axes.forEach((a, i) => (child[a] = map[i]!));
          return memoize(key, emit(node.input, child));
        }
        case 'map': {
          const def = OPS[node.op]!;
          const args = node.args.map((a) => (typeof a === 'number' ? lit(a) : emit(a, broadcastMap(a, node, map))));
          const vector = VECTOR_OPS[node.op];
          if (vector !== undefined && n > 0) {
            // A row break: the row of arguments goes through vmath.wat at once; the chain goes on in the next loop over the row.
            const out = `t${tmp++}`;
            body.push(`${SPLIT}${splits.length}`);
            splits.push({ fn: vector, op: node.op, arg: args[0]!, out });
            expr = castExpr(node.dtype, out);
            pushOp(node.op);
            break;
          }
          const dtypes = node.args.map((a) => (typeof a === 'number' ? node.dtype : a.dtype));
          expr = def.js(args, node.dtype, dtypes);
          pushOp(node.op);
          break;
        }
        default:
          throw new Error(`unreachable: ${node.kind}`);
      }
    }
    return memoize(key, expr);
  };
  function pushOp(op: string) {
    if (!ops.includes(op)) ops.push(op);
  }
  function memoize(key: string, expr: string): string {
    if (/^[\w.]+$/.test(expr) || /^L\d+\[[\w]+\]$/.test(expr)) {
      memo.set(key, expr);
      return expr;
    }
    const name = `t${tmp++}`;
    body.push(`const ${name} = ${expr};`);
    memo.set(key, name);
    return name;
  }

  const identity = Array.from({ length: n }, (_, d) => d);
  const value = emit(root, identity);

  // Accumulators (reduction) or the output block.
  const pre: string[] = [];
  const post: string[] = [];
  let store: string[];
  if (!reduction) {
    pre.push(`const out = new ${ctorName(root.dtype)}(${n === 0 ? '1' : Array.from({ length: n }, (_, d) => `e${d}`).join(' * ')});`, 'let w = 0;');
    store = [`out[w++] = ${value};`];
    post.push('return out;');
  } else {
    const reduced = new Set(reduction.axes);
    const scalar = Array.from({ length: n }, (_, d) => d).every((d) => reduced.has(d));
    const width = partialWidth(reduction.op);
    const outDims = Array.from({ length: n }, (_, d) => (reduced.has(d) ? '1' : `e${d}`));
    const count = Array.from({ length: n }, (_, d) => (reduced.has(d) ? `e${d}` : '1')).join(' * ') || '1';
    pre.push(`const cnt = ${count};`);
    if (scalar) {
      pre.push('const m = 1;');
    } else {
      pre.push(`const m = ${outDims.join(' * ')};`);
      for (let d = n - 1; d >= 0; d--) pre.push(`const As${d} = ${d === n - 1 ? '1' : `As${d + 1} * ${outDims[d + 1]}`};`);
      linear.push({ name: 'A', coef: Array.from({ length: n }, (_, d) => (reduced.has(d) ? '0' : `As${d}`)), global: false });
    }
    const slot = scalar ? '' : `[q${n - 1}_A]`;
    const acc = (name: string, init: string) => (scalar ? `let ${name} = ${init};` : `const ${name} = new Float64Array(m).fill(${init});`);
    // The flat index a reduction's arg* reports: along its one axis, or over the whole array.
    const argIndex = reduction.axes.length === 1 ? `g${reduction.axes[0]}` : stridesOf(root.shape).map((s, d) => `g${d} * ${lit(s)}`).join(' + ') || '0';
    const v = 'v';
    store = [`const v = ${value};`];
    switch (reduction.op) {
      case 'sum': case 'mean': pre.push(acc('s', '0')); store.push(`s${slot} += ${v};`); post.push(`return pack([s], m);`); break;
      case 'prod': pre.push(acc('s', '1')); store.push(`s${slot} *= ${v};`); post.push(`return pack([s], m);`); break;
      case 'min': pre.push(acc('s', 'Infinity')); store.push(`if (${v} < s${slot} || ${v} !== ${v}) s${slot} = ${v};`); post.push(`return pack([s], m);`); break;
      case 'max': pre.push(acc('s', '-Infinity')); store.push(`if (${v} > s${slot} || ${v} !== ${v}) s${slot} = ${v};`); post.push(`return pack([s], m);`); break;
      case 'any': pre.push(acc('s', '0')); store.push(`if (${v} !== 0) s${slot} = 1;`); post.push(`return pack([s], m);`); break;
      case 'all': pre.push(acc('s', '1')); store.push(`if (${v} === 0) s${slot} = 0;`); post.push(`return pack([s], m);`); break;
      case 'var': case 'std':
        // Sums of (v - K), K the first value each accumulator sees (a shift that keeps the squares from cancelling).
        pre.push(acc('k', 'NaN'), acc('s1', '0'), acc('s2', '0'));
        store.push(`if (k${slot} !== k${slot}) k${slot} = ${v};`, `const dv = ${v} - k${slot};`, `s1${slot} += dv;`, `s2${slot} += dv * dv;`);
        post.push(scalar
          ? 'return pack([k + s1 / cnt, s2 - s1 * s1 / cnt], 1);'
          : 'const mean = new Float64Array(m), m2 = new Float64Array(m);\nfor (let j = 0; j < m; j++) { mean[j] = k[j] + s1[j] / cnt; m2[j] = s2[j] - s1[j] * s1[j] / cnt; }\nreturn pack([mean, m2], m);');
        break;
      case 'argmin': case 'argmax': {
        const better = reduction.op === 'argmin' ? '<' : '>';
        pre.push(acc('s', 'NaN'), acc('ix', '-1'));
        store.push(`if (ix${slot} < 0 || ${v} ${better} s${slot} || (${v} !== ${v} && s${slot} === s${slot})) { s${slot} = ${v}; ix${slot} = ${argIndex}; }`);
        post.push(`return pack([s, ix], m);`);
        break;
      }
    }
    // pack: plain arrays (inline, JSON) when small and finite, else one Float64Array [part0..., part1...].
    post.unshift(
      'function pack(parts, m) {',
      '  const flat = new Float64Array(parts.length * m);',
      '  parts.forEach((x, j) => { if (typeof x === "number") flat[j * m] = x; else flat.set(x, j * m); });',
      '  if (flat.length <= 64 && flat.every(Number.isFinite)) return Array.from(flat);',
      '  return flat;',
      '}',
    );
    void width;
  }

  // Row buffers for the random leaves: views of rng.wat's memory (uniform), or plain arrays (normal, or no WebAssembly).
  if (rows.length > 0) {
    const last = `e${n - 1}`;
    head.push(rngLoaderSource('RNG'), `const RL = ${last} + 4, RB = RL * 8;`);
    const slots = rows.reduce((s, r) => s + (r.dist === 'uniform' ? 1 : 2), 0);
    head.push(`if (RNG !== null && RNG.memory.buffer.byteLength < ${slots} * RB) RNG.memory.grow(Math.ceil((${slots} * RB - RNG.memory.buffer.byteLength) / 65536));`);
    let slot = 0;
    for (const r of rows) {
      (r as { at?: string; at2?: string }).at = `${slot} * RB`;
      (r as { at?: string; at2?: string }).at2 = `${slot + 1} * RB`;
      head.push(r.dist === 'uniform'
        ? `const B${r.name} = RNG !== null ? new Float64Array(RNG.memory.buffer, ${slot} * RB, RL) : new Float64Array(RL);`
        : `const B${r.name} = new Float64Array(RL);`);
      slot += r.dist === 'uniform' ? 1 : 2;
    }
  }

  if (splits.length > 0) {
    head.push(vmathLoaderSource('VM'), `const VL = e${n - 1} + 2, VB = VL * 8;`);
    head.push(`if (VM !== null && VM.memory.buffer.byteLength < ${splits.length} * VB) VM.memory.grow(Math.ceil((${splits.length} * VB - VM.memory.buffer.byteLength) / 65536));`);
    splits.forEach((_, k) => head.push(`const V${k} = VM !== null ? new Float64Array(VM.memory.buffer, ${k} * VB, VL) : new Float64Array(VL);`));
  }
  const cut = splits.length > 0 ? segmentRow(body, store, splits, `i${n - 1}`) : null;
  // random(...).sum()/mean() over whole blocks: rng.wat sums each row itself (4 lane sums), nothing is stored.
  const direct = reduction !== undefined && (reduction.op === 'sum' || reduction.op === 'mean') && n > 0 && reduction.axes.length === n
    && root.kind === 'random' && root.dist === 'uniform' && root.a === 0 && root.b === 1 && root.dtype === 'float64' && rows.length === 1;
  for (const name of cut?.carried ?? []) head.push(`const C_${name} = new Float64Array(VL);`);

  // Loops in C order; linear offsets advance per axis.
  const lines: string[] = [...head, ...pre];
  const indent = (k: number) => '  '.repeat(k);
  for (let d = 0; d < n; d++) {
    if (d === n - 1 && direct) {
      const r = rows[0]!;
      lines.push(`${indent(d)}const b${r.name} = ${d === 0 ? '0' : `q${d - 1}_${r.name}`} + o${d} * ${lit(r.step)};`);
      for (const s of rowSumSource({ fn: r.fn, seed: r.seed, wasm: 'RNG', acc: 's', base: `b${r.name}`, step: r.step, count: `e${d}` })) lines.push(indent(d) + s);
      continue;
    }
    if (d === n - 1) {
      for (const r of rows as ({ at: string; at2: string } & (typeof rows)[number])[]) {
        const base = `${d === 0 ? '0' : `q${d - 1}_${r.name}`} + o${d} * ${lit(r.step)}`;
        lines.push(`${indent(d)}const b${r.name} = ${base};`);
        for (const s of rowDrawSource({ fn: r.fn, dist: r.dist, seed: r.seed, wasm: 'RNG', buf: `B${r.name}`, at: r.at, at2: r.at2, base: `b${r.name}`, step: r.step, count: `e${d}` })) lines.push(indent(d) + s);
      }
    }
    const open = [`${indent(d)}for (let i${d} = 0; i${d} < e${d}; i${d}++) {`, `${indent(d + 1)}const g${d} = o${d} + i${d};`];
    for (const l of linear) {
      if (l.row && d === n - 1) continue;
      const prev = d === 0 ? (l.global ? '0' : '0') : `q${d - 1}_${l.name}`;
      const c = l.coef[d]!;
      const step = c === '0' ? '' : ` + ${l.global ? `g${d}` : `i${d}`} * ${c}`;
      open.push(`${indent(d + 1)}const q${d}_${l.name} = ${prev}${step};`);
    }
    if (d < n - 1 || splits.length === 0) {
      lines.push(...open);
      continue;
    }
    // The innermost axis, split at the vmath rows: one loop per segment over the same row.
    cut!.segments.forEach((seg, k) => {
      lines.push(...open, ...seg.map((s) => indent(n) + s), `${indent(d)}}`);
      const sp = splits[k];
      if (sp) lines.push(`${indent(d)}if (VM !== null) VM.${sp.fn}(${k} * VB, e${d}); else for (let j = 0; j < e${d}; j++) V${k}[j] = Math.${sp.op}(V${k}[j]);`);
    });
  }
  if (n === 0) for (const l of linear) lines.push(`const q_${l.name} = 0;`);
  const innermostOpen = splits.length === 0 && !direct;
  if (innermostOpen) lines.push(...[...body, ...store].map((s) => indent(n) + s));
  for (let d = innermostOpen ? n - 1 : n - 2; d >= 0; d--) lines.push(`${indent(d)}}`);
  lines.push(...post);
  const source = `function ${reduction ? 'fused_partial' : 'fused'}(p, ins) {\n${lines.join('\n')}\n}`;
  const name = [...ops, ...(reduction ? [reduction.op] : [])].join('·');
  return { source, leaves, name, nodes: [...nodes] };
}

/** Ops evaluated a row at a time by vmath.wat (float results; where it does not load, by Math.* over the row). */
const VECTOR_OPS: Record<string, string> = { exp: 'vexp', sin: 'vsin', cos: 'vcos' };
const SPLIT = '\u0000split:';

/**
 * The innermost loop's body cut at each split: segment k ends by writing the
 * split's argument into row buffer V<k> (vmath.wat then maps it in place) and
 * segment k + 1 starts by reading the result. A temporary made in one segment
 * and used in a later one travels in a carry row (C_t<n>), so every segment
 * sees what it would have seen in one loop.
 */
function segmentRow(body: string[], store: string[], splits: { arg: string; out: string }[], i: string): { segments: string[][]; carried: string[] } {
  const segments: string[][] = [[]];
  for (const line of body) {
    if (line.startsWith(SPLIT)) segments.push([]);
    else segments[segments.length - 1]!.push(line);
  }
  segments[segments.length - 1]!.push(...store);
  const defined = new Map<string, number>();
  segments.forEach((seg, k) => {
    for (const line of seg) {
      const m = /^const (t\d+) = /.exec(line);
      if (m) defined.set(m[1]!, k);
    }
  });
  splits.forEach((sp, k) => defined.set(sp.out, k + 1));
  const carried = new Set<string>();
  const out = segments.map((seg, k) => {
    const uses = new Set((seg.join('\n') + (splits[k] ? `\n${splits[k]!.arg}` : '')).match(/\bt\d+\b/g) ?? []);
    const readsIn: string[] = [];
    if (k > 0) readsIn.push(`const ${splits[k - 1]!.out} = V${k - 1}[${i}];`);
    for (const name of uses) {
      const at = defined.get(name);
      if (at === undefined || at >= k || name === splits[k - 1]?.out) continue;
      const split = splits.findIndex((sp) => sp.out === name);
      if (split >= 0) readsIn.push(`const ${name} = V${split}[${i}];`);
      else {
        carried.add(name);
        readsIn.push(`const ${name} = C_${name}[${i}];`);
      }
    }
    return [...readsIn, ...seg, ...(splits[k] ? [`V${k}[${i}] = ${splits[k]!.arg};`] : [])];
  });
  // Each carried temporary is written at the end of the segment that makes it.
  for (const name of carried) out[defined.get(name)!]!.push(`C_${name}[${i}] = ${name};`);
  return { segments: out, carried: [...carried] };
}

/** The map of an operand `child` of `parent` (NumPy broadcasting: axes right-aligned; size-1 axes read coordinate 0). */
function broadcastMap(child: ArrayNode, parent: ArrayNode, map: number[]): number[] {
  const offset = parent.shape.length - child.shape.length;
  return child.shape.map((size, k) => (size === 1 && parent.shape[offset + k] !== 1 ? -1 : map[offset + k]!));
}
