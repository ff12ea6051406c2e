import { expect, it } from 'vitest';
import { engineLoadMs, loadEngine, openEngineSession } from './index.ts';

it('imports without loading DuckDB (the bundle and the wasm are fetched on the first call only)', () => {
  expect(typeof loadEngine).toBe('function');
  expect(typeof openEngineSession).toBe('function');
  expect(engineLoadMs()).toBeNull();
});
