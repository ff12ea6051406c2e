/**
 * Turning WGSL compiler output into readable errors. `getCompilationInfo()`
 * gives messages with 1-based line and column numbers in the code the device
 * compiled; when Shoal put generated declarations (the binding prelude) in
 * front of the user's code, lines are mapped back to the user's own numbering
 * and lines inside the prelude say so. Each message comes with its source
 * line and a caret under the offending span:
 *
 *   WGSL for "shoal.kernel.main" failed to compile (1 error):
 *   wgsl:3:27: error: cannot convert value of type 'abstract-float' to type 'u32'
 *       3 | fn bad() { let x: u32 = 1.5; }
 *         |                           ^^^
 */
import { ShoalError } from '@shoal/protocol';

/** The fields of a GPUCompilationMessage that the formatter reads (tests pass plain objects). */
export interface CompilationMessageLike {
  readonly type: 'error' | 'warning' | 'info';
  readonly message: string;
  readonly lineNum: number;
  readonly linePos: number;
  readonly length: number;
}

export interface SourceMapping {
  /** The label of the module, e.g. `shoal.kernel.main`. */
  label: string;
  /** Lines of generated code in front of the user's code (0: none). */
  preludeLines?: number;
}

/** Where a generated line is in the user's terms: `wgsl:3:27` or `wgsl (generated bindings):2:5`. */
export function sourceLocation(lineNum: number, linePos: number, preludeLines = 0): string {
  if (lineNum <= 0) return 'wgsl';
  if (lineNum <= preludeLines) return `wgsl (generated bindings):${lineNum}:${linePos}`;
  return `wgsl:${lineNum - preludeLines}:${linePos}`;
}

/** One message with its code frame (the source line, then carets under the span). */
export function formatCompilationMessage(message: CompilationMessageLike, code: string, mapping: SourceMapping): string {
  const prelude = mapping.preludeLines ?? 0;
  const head = `${sourceLocation(message.lineNum, message.linePos, prelude)}: ${message.type}: ${message.message.trim()}`;
  if (message.lineNum <= 0) return head;
  const line = code.split('\n')[message.lineNum - 1];
  if (line === undefined) return head;
  const shown = message.lineNum > prelude ? message.lineNum - prelude : message.lineNum;
  const gutter = String(shown);
  const pad = ' '.repeat(gutter.length);
  const column = Math.max(1, message.linePos);
  const width = Math.max(1, Math.min(message.length || 1, Math.max(1, line.length - column + 1)));
  // Tabs stay tabs so that the caret lines up under them.
  const lead = line.slice(0, column - 1).replace(/[^\t]/g, ' ');
  return `${head}\n    ${gutter} | ${line}\n    ${pad} | ${lead}${'^'.repeat(width)}`;
}

/** All error messages (warnings and info are left out), one block each, under a heading. */
export function formatCompilationMessages(messages: readonly CompilationMessageLike[], code: string, mapping: SourceMapping): string {
  const errors = messages.filter((m) => m.type === 'error');
  const count = `${errors.length} error${errors.length === 1 ? '' : 's'}`;
  const blocks = errors.map((m) => formatCompilationMessage(m, code, mapping));
  return [`WGSL for "${mapping.label}" failed to compile (${count}):`, ...blocks].join('\n');
}

/** The ShoalError for a module that failed to compile. */
export function shaderCompileError(messages: readonly CompilationMessageLike[], code: string, mapping: SourceMapping): ShoalError {
  return new ShoalError('ERR_GPU_SHADER', formatCompilationMessages(messages, code, mapping));
}

/**
 * The ShoalError for a pipeline that failed to build after its module compiled
 * (a missing entry point, a binding that does not match the layout, a
 * workgroup over the device's limits). `detail` is the browser's message.
 */
export function pipelineBuildError(label: string, detail: string, cause?: unknown): ShoalError {
  return new ShoalError('ERR_GPU_SHADER', `the compute pipeline "${label}" failed to build: ${detail.trim()}`, { cause });
}
