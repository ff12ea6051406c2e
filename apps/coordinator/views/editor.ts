/**
 * The job editor: CodeMirror 6 with JavaScript highlighting. Loaded lazily
 * (runner.ts imports it dynamically), so the page is usable before it arrives.
 */
import { javascript } from '@codemirror/lang-javascript';
import { EditorView, basicSetup } from 'codemirror';

export interface Editor {
  get(): string;
  set(text: string): void;
}

export function createEditor(parent: HTMLElement, doc: string): Editor {
  const view = new EditorView({
    doc,
    parent,
    extensions: [basicSetup, javascript(), EditorView.theme({ '&': { fontSize: '13px', maxHeight: '26rem' }, '.cm-scroller': { overflow: 'auto', fontFamily: 'ui-monospace, monospace' } })],
  });
  return {
    get: () => view.state.doc.toString(),
    set: (text) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } }),
  };
}
