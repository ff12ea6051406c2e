/**
 * The GPU form of a fused region: one WGSL compute kernel, generated from the
 * same graph as the JS kernel (codegen.ts) and walked in the same order, so
 * its inputs are the same leaf blocks. float32 only (WGSL has no f64), and
 * only what WGSL computes the way the CPU does: creation (random, full,
 * arange, eye), float32 elementwise ops and comparisons, and a whole-block
 * sum / mean / min / max. Anything else returns null and the region runs on
 * the CPU.
 *
 * Each thread walks elements in a grid-stride loop, turning the flat index
 * into block coordinates; random's 64-bit index is built from two u32 words.
 * A reduction folds into a per-thread accumulator, then a workgroup tree;
 * each workgroup writes one partial and the task adds those up in float64.
 */
import { FUSIBLE, type ArrayNode } from './graph.ts';
import type { PartialReduction } from './codegen.ts';
import { randomKeys } from './random.ts';
import { stridesOf } from './shape.ts';

export const GPU_WORKGROUP = 256;

const F32_OPS: Record<string, (a: string[]) => string> = {
  add: ([a, b]) => `(${a} + ${b})`,
  sub: ([a, b]) => `(${a} - ${b})`,
  mul: ([a, b]) => `(${a} * ${b})`,
  div: ([a, b]) => `(${a} / ${b})`,
  mod: ([a, b]) => `(${a} - floor(${a} / ${b}) * ${b})`,
  maximum: ([a, b]) => `max(${a}, ${b})`,
  minimum: ([a, b]) => `min(${a}, ${b})`,
  neg: ([a]) => `(-${a})`,
  abs: ([a]) => `abs(${a})`,
  square: ([a]) => `(${a} * ${a})`,
  exp: ([a]) => `exp(${a})`,
  log: ([a]) => `log(${a})`,
  sqrt: ([a]) => `sqrt(${a})`,
  sin: ([a]) => `sin(${a})`,
  cos: ([a]) => `cos(${a})`,
  tanh: ([a]) => `tanh(${a})`,
  floor: ([a]) => `floor(${a})`,
  ceil: ([a]) => `ceil(${a})`,
  equal: ([a, b]) => `select(0.0, 1.0, ${a} == ${b})`,
  notEqual: ([a, b]) => `select(0.0, 1.0, ${a} != ${b})`,
  less: ([a, b]) => `select(0.0, 1.0, ${a} < ${b})`,
  lessEqual: ([a, b]) => `select(0.0, 1.0, ${a} <= ${b})`,
  greater: ([a, b]) => `select(0.0, 1.0, ${a} > ${b})`,
  greaterEqual: ([a, b]) => `select(0.0, 1.0, ${a} >= ${b})`,
  logicalAnd: ([a, b]) => `select(0.0, 1.0, ${a} != 0.0 && ${b} != 0.0)`,
  logicalOr: ([a, b]) => `select(0.0, 1.0, ${a} != 0.0 || ${b} != 0.0)`,
  logicalNot: ([a]) => `select(0.0, 1.0, ${a} == 0.0)`,
  where: ([c, a, b]) => `select(${b}, ${a}, ${c} != 0.0)`,
  cast: ([a]) => a!,
};

const f32 = (x: number) => {
  const s = String(Math.fround(x));
  return /[.e]/.test(s) ? `f32(${s})` : `f32(${s}.0)`;
};
const u32 = (x: number) => `${x >>> 0}u`;

const RANDOM_WGSL = `
fn rfmix(h0: u32) -> u32 { var h = h0; h ^= h >> 16u; h *= 0x85ebca6bu; h ^= h >> 13u; h *= 0xc2b2ae35u; return h ^ (h >> 16u); }
fn rfeistel(lo: u32, hi: u32, k: vec4u) -> vec2u {
  var x = lo; var y = hi;
  y ^= rfmix(x + k.x); x ^= rfmix(y + k.y); y ^= rfmix(x + k.z); x ^= rfmix(y + k.w);
  return vec2u(x, y);
}
fn runiform(lo: u32, hi: u32, k: vec4u) -> f32 { let r = rfeistel(lo, hi, k); return f32(r.x >> 8u) * (1.0 / 16777216.0); }
fn rnormal(lo: u32, hi: u32, k: vec4u) -> f32 {
  let r = rfeistel(lo, hi, k);
  // All 32 bits, as the CPU: the tail (u1 near 0) needs them.
  let u1 = (f32(r.x) + 0.5) * 2.3283064e-10;
  let u2 = f32(r.y) * 2.3283064e-10;
  // cos over [-pi, pi], where WGSL bounds its error (2^-11 absolute).
  return -sqrt(-2.0 * log(u1)) * cos(6.2831853 * u2 - 3.1415927);
}
// a * b + c as a 64-bit (lo, hi) pair, for a u32 a and a 64-bit constant b = (blo, bhi).
fn mad64(acc: vec2u, a: u32, blo: u32, bhi: u32) -> vec2u {
  let a0 = a & 0xffffu; let a1 = a >> 16u; let b0 = blo & 0xffffu; let b1 = blo >> 16u;
  let p00 = a0 * b0; let p01 = a0 * b1; let p10 = a1 * b0; let p11 = a1 * b1;
  let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
  let lo = (p00 & 0xffffu) | (mid << 16u);
  let hi = p11 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u) + a * bhi;
  let sum = acc.x + lo;
  return vec2u(sum, acc.y + hi + select(0u, 1u, sum < lo));
}`;

/** The WGSL kernel for a region (same leaf order as buildRegion), or null if it cannot run on the GPU as the CPU would. */
export function buildWgsl(root: ArrayNode, reduction?: PartialReduction): { wgsl: string; leaves: number } | null {
  const n = root.shape.length;
  if (root.dtype !== 'float32') return null;
  if (reduction && (!['sum', 'mean', 'min', 'max'].includes(reduction.op) || reduction.axes.length !== n)) return null;
  const lines: string[] = [];
  const memo = new Map<string, string>();
  const leafIndex = new Map<string, number>();
  const helpers = new Set<string>();
  let leaves = 0;
  let tmp = 0;
  let ok = true;
  const g = (axis: number) => (axis < 0 ? '0u' : `g${axis}`);

  const emit = (node: ArrayNode, map: number[]): string => {
    const key = `${node.id}|${map.join(',')}`;
    const known = memo.get(key);
    if (known) return known;
    let expr = '0.0';
    if (!FUSIBLE.has(node.kind)) {
      let li = leafIndex.get(key);
      if (li === undefined) {
        li = leaves++;
        leafIndex.set(key, li);
        if (node.dtype !== 'float32') ok = false;
      }
      // Offset in the leaf block: strides from the block extents, as in the JS kernel.
      const dims = map.map((m) => (m < 0 ? '1u' : `uniforms.e${m}`));
      const terms = map.map((m, k) => (m < 0 ? '' : `i${m} * (${dims.slice(k + 1).join(' * ') || '1u'})`)).filter(Boolean);
      expr = `L${li}[${terms.join(' + ') || '0u'}]`;
    } else {
      if (node.dtype !== 'float32' && node.dtype !== 'bool') ok = false;
      switch (node.kind) {
        case 'random': {
          helpers.add(RANDOM_WGSL);
          const k = randomKeys(node.seed).map(u32).join(', ');
          const strides = stridesOf(node.shape);
          let at = 'vec2u(0u, 0u)';
          map.forEach((m, kk) => {
            if (m < 0) return;
            const s = strides[kk]!;
            at = `mad64(${at}, g${m}, ${u32(s % 4294967296)}, ${u32(Math.floor(s / 4294967296))})`;
          });
          const v = `${node.dist === 'uniform' ? 'runiform' : 'rnormal'}(r${tmp}.x, r${tmp}.y, vec4u(${k}))`;
          lines.push(`let r${tmp} = ${at};`);
          tmp++;
          expr = node.dist === 'uniform' ? `(${f32(node.a)} + ${f32(node.b - node.a)} * ${v})` : `(${f32(node.a)} + ${f32(node.b)} * ${v})`;
          break;
        }
        case 'fill': if (!Number.isFinite(node.value)) ok = false; expr = f32(node.value); break;
        case 'arange': expr = `(${f32(node.start)} + ${f32(node.step)} * f32(${g(map[0]!)}))`; break;
        case 'eye': expr = `select(0.0, 1.0, i32(${g(map[0]!)}) + ${node.k} == i32(${g(map[1]!)}))`; break;
        case 'transpose': {
          const child = new Array<number>(map.length);
          node.axes.forEach((a, i) => (child[a] = map[i]!));
          const e = emit(node.input, child);
          memo.set(key, e);
          return e;
        }
        case 'map': {
          const op = F32_OPS[node.op];
          if (!op) { ok = false; break; }
          const args = node.args.map((a) => {
            if (typeof a === 'number') { if (!Number.isFinite(a)) ok = false; return f32(a); }
            const offset = node.shape.length - a.shape.length;
            return emit(a, a.shape.map((size, k) => (size === 1 && node.shape[offset + k] !== 1 ? -1 : map[offset + k]!)));
          });
          expr = op(args);
          break;
        }
        default: ok = false;
      }
    }
    const name = `t${tmp++}`;
    lines.push(`let ${name} = ${expr};`);
    memo.set(key, name);
    return name;
  };
  const value = emit(root, Array.from({ length: n }, (_, d) => d));
  if (!ok) return null;

  const coords: string[] = ['var rem = e;'];
  for (let d = n - 1; d >= 0; d--) coords.push(`let i${d} = rem % uniforms.e${d}; rem = rem / uniforms.e${d};`, `let g${d} = uniforms.o${d} + i${d};`);
  const op = reduction?.op;
  const init = op === 'min' ? '3.4e38' : op === 'max' ? '-3.4e38' : '0.0';
  const fold = op === 'min' ? 'min(acc, v)' : op === 'max' ? 'max(acc, v)' : 'acc + v';
  const body = [...coords, ...lines, reduction ? `let v = ${value}; acc = ${fold};` : `out[e] = ${value};`];
  const wgsl = [
    ...helpers,
    reduction ? `var<workgroup> sh: array<f32, ${GPU_WORKGROUP}>;` : '',
    `@compute @workgroup_size(${GPU_WORKGROUP})`,
    'fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {',
    `  let stride = nwg.x * ${GPU_WORKGROUP}u;`,
    `  var acc: f32 = ${init};`,
    '  for (var e = gid.x; e < uniforms.total; e = e + stride) {',
    ...body.map((l) => `    ${l}`),
    '  }',
    ...(reduction
      ? [
          '  sh[lid.x] = acc;',
          '  workgroupBarrier();',
          `  for (var s = ${GPU_WORKGROUP / 2}u; s > 0u; s = s >> 1u) {`,
          `    if (lid.x < s) { let a = sh[lid.x]; let b = sh[lid.x + s]; sh[lid.x] = ${fold.replace('acc', 'a').replace('v', 'b')}; }`,
          '    workgroupBarrier();',
          '  }',
          '  if (lid.x == 0u) { part[wid.x] = sh[0]; }',
        ]
      : ['  _ = acc;']),
    '}',
  ].join('\n');
  return { wgsl, leaves };
}

/**
 * The task function of a region with a GPU form: it runs the WGSL kernel
 * through `ctx.gpu` on a real GPU (or any adapter when `p.gpu` is 'force'),
 * and the JS kernel otherwise. Same arguments, same result format.
 */
export function gpuKernelSource(cpuSource: string, wgsl: string, op: string | undefined): string {
  const fold = op === 'min' ? 'Math.min(s, v)' : op === 'max' ? 'Math.max(s, v)' : 's + v';
  const init = op === 'min' ? 'Infinity' : op === 'max' ? '-Infinity' : '0';
  return `async function fused_gpu(p, ins, ctx) {
  const cpu = (${cpuSource});
  const gpu = ctx && ctx.gpu;
  const total = p.ext.reduce((a, b) => a * b, 1);
  if (!gpu || total === 0 || (gpu.info.isFallback && p.gpu !== 'force')) return cpu(p, ins);
  const inputs = {};
  ins.forEach((x, i) => { inputs['L' + i] = x instanceof Float32Array ? x : Float32Array.from(x); });
  const uniforms = { total: { type: 'u32', value: total } };
  p.ext.forEach((e, d) => { uniforms['e' + d] = { type: 'u32', value: e }; uniforms['o' + d] = { type: 'u32', value: p.off[d] }; });
  const groups = Math.min(1024, Math.ceil(total / ${GPU_WORKGROUP}));
  const reduce = ${op ? 'true' : 'false'};
  const r = await gpu.run({
    wgsl: ${JSON.stringify(wgsl)},
    workgroupSize: [${GPU_WORKGROUP}], dispatch: [groups], inputs, uniforms,
    outputs: reduce ? { part: { type: 'f32', length: groups } } : { out: { type: 'f32', length: total } },
  });
  if (!reduce) return r.out;
  let s = ${init};
  for (const v of r.part) s = ${fold};
  return Number.isFinite(s) ? [s] : Float64Array.of(s);
}`;
}
