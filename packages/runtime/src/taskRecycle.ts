/**
 * What a task handed to ctx.recycle that may go to its Web Worker's pool of
 * buffers (@shoal/objects blobBytes.ts): not its lent inputs (their bytes go
 * back to the store) nor its outputs (they go to the page by transfer).
 */
export function recyclable(handed: Iterable<ArrayBuffer>, lent: Iterable<ArrayBuffer>, outputs: Iterable<ArrayBuffer>): ArrayBuffer[] {
  const keep = new Set<ArrayBuffer>([...lent, ...outputs]);
  return [...new Set(handed)].filter((buffer) => !keep.has(buffer) && buffer.byteLength > 0);
}
