/**
 * A job's result, rendered by shape:
 * - an array of plain objects: a table (the first 200 rows, the union of keys);
 * - `{width, height, rgba}` with rgba a Uint8ClampedArray, Uint8Array or number
 *   array of width × height × 4 bytes: an image;
 * - a `data:image/...` URL string: an image;
 * - anything else: JSON (typed arrays shown as arrays, the first 100 KB).
 * A failed job shows its error code, message and remote stack.
 */
import type { JobOutcome } from '@shoal/protocol';
import { h, render } from '../../dom.ts';

const MAX_ROWS = 200;
const MAX_COLUMNS = 24;
const MAX_JSON = 100_000;

type Pixels = { width: number; height: number; rgba: ArrayLike<number> };

function isImage(value: unknown): value is Pixels {
  if (value === null || typeof value !== 'object') return false;
  const { width, height, rgba } = value as Partial<Pixels>;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width! <= 0 || height! <= 0 || width! * height! > 16_777_216) return false;
  const okArray = rgba instanceof Uint8ClampedArray || rgba instanceof Uint8Array || Array.isArray(rgba);
  return okArray && (rgba as ArrayLike<number>).length === width! * height! * 4;
}

function isTable(value: unknown): value is Array<Record<string, unknown>> {
  return Array.isArray(value) && value.length > 0 && value.every((row) => row !== null && typeof row === 'object' && !Array.isArray(row) && !ArrayBuffer.isView(row));
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
  if (typeof value === 'string') return value;
  return json(value, 200);
}

function json(value: unknown, max: number): string {
  let text: string;
  try {
    text = JSON.stringify(value, (_key, item: unknown) => (ArrayBuffer.isView(item) && !(item instanceof DataView) ? Array.from(item as unknown as ArrayLike<number>) : typeof item === 'bigint' ? `${item}n` : item), 2) ?? 'undefined';
  } catch (error) {
    text = `(cannot show: ${error instanceof Error ? error.message : String(error)})`;
  }
  return text.length > max ? `${text.slice(0, max)}\n… (${text.length - max} more characters)` : text;
}

function table(rows: Array<Record<string, unknown>>): HTMLElement {
  const keys: string[] = [];
  const seen = new Set<string>();
  for (const row of rows.slice(0, MAX_ROWS)) for (const key of Object.keys(row)) if (!seen.has(key) && keys.length < MAX_COLUMNS) (seen.add(key), keys.push(key));
  return h(
    'div',
    { class: 'result-table' },
    h('table', {}, h('thead', {}, h('tr', {}, ...keys.map((key) => h('th', {}, key)))), h('tbody', {}, ...rows.slice(0, MAX_ROWS).map((row) => h('tr', {}, ...keys.map((key) => h('td', {}, cell(row[key]))))))),
    h('p', { class: 'muted' }, rows.length > MAX_ROWS ? `the first ${MAX_ROWS} of ${rows.length} rows` : `${rows.length} rows`),
  );
}

function image(pixels: Pixels): HTMLElement {
  const canvas = h('canvas', { width: pixels.width, height: pixels.height, class: 'result-image', 'aria-label': `result image ${pixels.width}×${pixels.height}` });
  const data = pixels.rgba instanceof Uint8ClampedArray ? pixels.rgba : Uint8ClampedArray.from(pixels.rgba);
  canvas.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(data), pixels.width, pixels.height), 0, 0);
  if (pixels.width < 256) canvas.style.imageRendering = 'pixelated';
  canvas.style.width = `${Math.min(512, Math.max(pixels.width, 128))}px`;
  return h('div', {}, canvas, h('p', { class: 'muted' }, `${pixels.width} × ${pixels.height} image`));
}

/** Renders `outcome` into `target` (#result). */
export function showResult(target: HTMLElement, outcome: JobOutcome | null, note = ''): void {
  target.className = outcome === null ? 'muted' : outcome.ok ? 'ok' : 'bad';
  if (outcome === null) return render(target, note || 'No job has run yet.');
  if (!outcome.ok) {
    const { code, message, remote } = outcome.error;
    return render(target, h('pre', { class: 'bad' }, `${code}: ${message}${remote?.stack ? `\n\nRemote stack:\n${remote.stack}` : ''}`));
  }
  const value = outcome.result;
  const caption = note ? h('p', { class: 'muted' }, note) : null;
  if (isImage(value)) return render(target, image(value), caption);
  if (typeof value === 'string' && /^data:image\/(png|jpeg|gif|webp);base64,/.test(value)) return render(target, h('img', { src: value, class: 'result-image', alt: 'the job’s result' }), caption);
  if (isTable(value)) return render(target, table(value), caption);
  render(target, h('pre', {}, json(value, MAX_JSON)), caption);
}
