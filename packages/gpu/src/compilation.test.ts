import { describe, expect, it } from 'vitest';
import { formatCompilationMessage, formatCompilationMessages, shaderCompileError, sourceLocation, type CompilationMessageLike } from './compilation.ts';

const code = ['// prelude 1', '// prelude 2', 'fn main() {', '  let x: u32 = 1.5;', '}'].join('\n');
const error: CompilationMessageLike = { type: 'error', message: "cannot convert value of type 'abstract-float' to type 'u32'", lineNum: 4, linePos: 16, length: 3 };

describe('compile messages', () => {
  it('map generated lines back to the user code, and mark prelude lines', () => {
    expect(sourceLocation(4, 16, 2)).toBe('wgsl:2:16');
    expect(sourceLocation(2, 5, 2)).toBe('wgsl (generated bindings):2:5');
    expect(sourceLocation(3, 1)).toBe('wgsl:3:1');
    expect(sourceLocation(0, 0, 2)).toBe('wgsl');
  });

  it('show the offending line with a caret under the span', () => {
    expect(formatCompilationMessage(error, code, { label: 'k', preludeLines: 2 })).toBe(
      [
        "wgsl:2:16: error: cannot convert value of type 'abstract-float' to type 'u32'",
        '    2 |   let x: u32 = 1.5;',
        '      |                ^^^',
      ].join('\n'),
    );
  });

  it('list only errors, under a heading with the count', () => {
    const warning: CompilationMessageLike = { type: 'warning', message: 'unused', lineNum: 3, linePos: 1, length: 2 };
    const second: CompilationMessageLike = { ...error, lineNum: 5, linePos: 1, length: 1, message: 'another' };
    const text = formatCompilationMessages([warning, error, second], code, { label: 'shoal.kernel.main', preludeLines: 2 });
    expect(text.split('\n')[0]).toBe('WGSL for "shoal.kernel.main" failed to compile (2 errors):');
    expect(text).toContain('wgsl:2:16: error');
    expect(text).toContain('wgsl:3:1: error: another');
    expect(text).not.toContain('unused');
  });

  it('keep tabs so the caret lines up, and survive positions past the end', () => {
    const tabbed = formatCompilationMessage({ ...error, lineNum: 1, linePos: 3, length: 1 }, '\t\tx', { label: 'k' });
    expect(tabbed.split('\n')[2]).toBe('      | \t\t^');
    expect(formatCompilationMessage({ ...error, lineNum: 99 }, code, { label: 'k' })).toBe(`wgsl:99:16: error: ${error.message}`);
  });

  it('become ShoalErrors with code ERR_GPU_SHADER', () => {
    const shoal = shaderCompileError([error], code, { label: 'k', preludeLines: 2 });
    expect(shoal.code).toBe('ERR_GPU_SHADER');
    expect(shoal.message).toContain('wgsl:2:16');
  });
});
