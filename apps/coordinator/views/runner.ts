/**
 * "Run a job": the examples menu, the editor (a textarea until CodeMirror has
 * loaded), Run (or Ctrl/⌘-Enter) and Cancel, the job's state and its result.
 */
import type { JobOutcome } from '@shoal/protocol';
import { byId, h, render } from '../../dom.ts';
import { EXAMPLES } from '../examples.ts';
import type { Editor } from './editor.ts';
import { showResult } from './result.ts';

export interface RunnerView {
  /** The job now starts or ended (from the buttons or the page API). */
  running(isRunning: boolean, text: string): void;
  result(outcome: JobOutcome | null, note?: string): void;
  setSource(source: string): void;
}

export interface RunnerActions {
  run(source: string, label: string): void;
  cancel(): void;
}

export function createRunner(actions: RunnerActions): RunnerView {
  const select = byId<HTMLSelectElement>('examples');
  const host = byId('editor');
  const runButton = byId<HTMLButtonElement>('run');
  const cancelButton = byId<HTMLButtonElement>('cancel');
  const state = byId('job-state');
  const resultBox = byId('result');
  const fallback = h('textarea', { spellcheck: 'false', 'aria-label': 'Job source' });
  render(host, fallback);
  let editor: Editor = { get: () => fallback.value, set: (text) => (fallback.value = text) };
  let loaded = '';

  render(select, ...EXAMPLES.map((example) => h('option', { value: example.name }, example.name)));
  const load = () => {
    loaded = EXAMPLES.find((example) => example.name === select.value)?.source ?? '';
    editor.set(loaded);
  };
  select.addEventListener('change', load);
  load();
  void import('./editor.ts').then(({ createEditor }) => {
    const text = editor.get();
    render(host);
    editor = createEditor(host, text);
  });

  const run = () => {
    const source = editor.get();
    actions.run(source, source === loaded ? select.value : `${select.value || 'job'} (edited)`);
  };
  runButton.addEventListener('click', run);
  host.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      run();
    }
  });
  cancelButton.addEventListener('click', () => actions.cancel());
  cancelButton.disabled = true;

  return {
    running(isRunning, text) {
      runButton.disabled = isRunning;
      cancelButton.disabled = !isRunning;
      state.textContent = text;
    },
    result: (outcome, note) => showResult(resultBox, outcome, note),
    setSource(source) {
      loaded = '';
      editor.set(source);
    },
  };
}
