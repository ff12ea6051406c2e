/**
 * A dataset's logical plan: a tree of small immutable nodes (plain data,
 * functions as source text). `Dataset` methods each add one node; nothing
 * runs until a consuming call. `explain` prints the tree, one operator a line.
 */
import type { BatchFormat } from './blockLib.ts';
import type { BlockMeta, TransformStep } from './blockTask.ts';

export type SourceSpec =
  | { readonly kind: 'range'; readonly n: number; readonly blocks: number }
  /** Blocks the job put (fromItems, fromArrow, fromDataFrame), with their metas. */
  | { readonly kind: 'blocks'; readonly refs: readonly unknown[]; readonly metas: readonly BlockMeta[]; readonly name: string }
  /** Files of the data folder, one block per file; the paths are listed at run time. */
  | { readonly kind: 'files'; readonly format: 'parquet' | 'csv' | 'json' | 'binary'; readonly paths: readonly string[]; readonly includePaths: boolean };

export type PlanNode =
  /** `then`: transforms fused into the read task (fuseTransforms: range and file sources only). */
  | { readonly op: 'source'; readonly source: SourceSpec; readonly then?: readonly TransformStep[] }
  /** `then`: transforms fused into this one's task (fuseTransforms), run in order on the same block. */
  | { readonly op: 'transform'; readonly input: PlanNode; readonly step: TransformStep; readonly then?: readonly TransformStep[] }
  | {
      readonly op: 'pool';
      readonly input: PlanNode;
      readonly name: string;
      readonly cls: string;
      readonly constructorArgs: readonly unknown[];
      readonly min: number;
      readonly max: number;
      readonly batchSize: number | null;
      readonly batchFormat: BatchFormat;
      readonly idleMs: number;
    }
  | { readonly op: 'limit'; readonly input: PlanNode; readonly n: number }
  | { readonly op: 'repartition'; readonly input: PlanNode; readonly n: number }
  | { readonly op: 'shuffle'; readonly input: PlanNode; readonly seed: number }
  | { readonly op: 'union'; readonly inputs: readonly PlanNode[] };

/** An operator's display name, e.g. `Map(double)`, `MapBatches(Classifier)`, `ReadParquet`. */
export function operatorName(node: PlanNode): string {
  switch (node.op) {
    case 'source':
      return [sourceName(node.source), ...(node.then ?? []).map(stepName)].join('->');
    case 'transform':
      return [node.step, ...(node.then ?? [])].map(stepName).join('->');
    case 'pool':
      return `MapBatches(${node.name})`;
    case 'limit':
      return `Limit(${node.n})`;
    case 'repartition':
      return `Repartition(${node.n})`;
    case 'shuffle':
      return 'RandomShuffle';
    case 'union':
      return `Union(${node.inputs.length})`;
  }
}

function sourceName(source: SourceSpec): string {
  if (source.kind === 'range') return `Range(${source.n})`;
  if (source.kind === 'blocks') return source.name;
  return `Read${source.format === 'binary' ? 'BinaryFiles' : source.format[0]!.toUpperCase() + source.format.slice(1)}`;
}

function stepName(step: TransformStep): string {
  return `${{ map: 'Map', flatMap: 'FlatMap', filter: 'Filter', batches: 'MapBatches' }[step.kind]}(${fnName(step.fn)})`;
}

/** A function's name from its source (`function f`, `async (x) =>` is `<lambda>`). */
export function fnName(source: string): string {
  const match = /^\s*(?:async\s+)?(?:function\s*\*?\s*([\w$]+)|class\s+([\w$]+))/.exec(source);
  return match?.[1] ?? match?.[2] ?? '<lambda>';
}

/** The operators from the source to `node`, one a line (children indented). */
export function explain(node: PlanNode, depth = 0): string {
  const pad = '  '.repeat(depth);
  const line = `${pad}${operatorName(node)}`;
  if (node.op === 'source') return line;
  if (node.op === 'union') return [line, ...node.inputs.map((n) => explain(n, depth + 1))].join('\n');
  return `${explain(node.input, depth)}\n${line}`;
}

/** The operators of a plan in pipeline order (sources first), for progress. */
export function operators(node: PlanNode): PlanNode[] {
  if (node.op === 'source') return [node];
  if (node.op === 'union') return [...node.inputs.flatMap(operators), node];
  return [...operators(node.input), node];
}

/**
 * Ray's operator fusion, as a rule: consecutive function transforms (map, flatMap, filter, mapBatches
 * with a function) become one operator whose task runs them in order on each block, so a block is
 * copied into and out of a Web Worker once instead of once per transform; and, as Ray fuses a read
 * into the maps after it, a range or file source takes the transforms right after it into its read
 * task, so a block made there never leaves its Web Worker before they ran. Pools, all-to-all steps
 * and blocks the job holds stay apart.
 */
export function fuseTransforms(node: PlanNode): PlanNode {
  switch (node.op) {
    case 'source':
      return node;
    case 'union':
      return { ...node, inputs: node.inputs.map(fuseTransforms) };
    case 'transform': {
      const input = fuseTransforms(node.input);
      const steps = [node.step, ...(node.then ?? [])];
      if (input.op === 'transform') return { op: 'transform', input: input.input, step: input.step, then: [...(input.then ?? []), ...steps] };
      if (input.op === 'source' && input.source.kind !== 'blocks') return { ...input, then: [...(input.then ?? []), ...steps] };
      return { ...node, input };
    }
    default:
      return { ...node, input: fuseTransforms(node.input) } as PlanNode;
  }
}
