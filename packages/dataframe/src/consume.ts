/**
 * Which tasks may consume their inputs (RemoteOptions `consumeInputs`: the worker hands them the blocks it
 * holds instead of copies): those whose every input is one of `freeable` (blocks of an upstream stage that
 * this stage reads last, freed once read) and read by no other task of the stage. A broadcast side, or the
 * side a skew split repeats, is read by several tasks and stays copied.
 */
export function consumingTasks(tasks: readonly { readonly inputs: readonly string[] }[], freeable: readonly string[]): boolean[] {
  const allowed = new Set(freeable);
  const readers = new Map<string, number>();
  for (const t of tasks) for (const id of t.inputs) readers.set(id, (readers.get(id) ?? 0) + 1);
  return tasks.map((t) => t.inputs.length > 0 && t.inputs.every((id) => allowed.has(id) && readers.get(id) === 1));
}
