/**
 * What moving bytes between two tabs of one browser costs, by how they are
 * posted on a MessagePort (the co-located path collectives use), with none
 * of Shoal in the way: two pages get the two ends of a MessageChannel from a
 * SharedWorker, and one posts 64 MiB to the other in chunks.
 *
 *   npx tsx bench/allreduce-port.ts [modes] [chunk KiB list]
 *   npx tsx bench/allreduce-port.ts clone-fresh,transfer-fresh,clone-pooled 256,512,960,1024,4096
 *
 * Modes: `clone-fresh` (a fresh slice per chunk, structured-cloned: what the
 * ring did before), `transfer-fresh` (a fresh slice, transferred: what it
 * does now), `clone-pooled` (one reused buffer, cloned). CPU is the
 * browser's (all its processes, /proc) per MiB posted; it hardly depends on
 * the machine's load, unlike the times. Two rounds of every pair.
 */
import { createServer } from 'node:http';
import { readFileSync, readdirSync } from 'node:fs';
import { launchBrowser } from '@shoal/launcher';

const PAGE = "<!doctype html><script>\nwindow.port = null;\nconst sw = new SharedWorker('sw.js');\nsw.port.onmessage = (e) => { window.port = e.data.port; window.port.onmessage = onMsg; window.port.start?.(); };\nsw.port.start();\nsw.port.postMessage({ role: location.hash.slice(1) });\nlet got = 0, gotBytes = 0, done = null;\nconst pool = [];\nfunction onMsg(e) {\n  const d = e.data;\n  if (d === 'end') { window.port.postMessage({ got, gotBytes }); return; }\n  if (d && d.got !== undefined) { done?.(d); return; }\n  got++; gotBytes += (d.body ?? d).byteLength;\n  if (window.touch) { const v = new Uint8Array(d.body ?? d); let s = 0; for (let i = 0; i < v.length; i += 4096) s += v[i]; }\n}\nwindow.send = (mode, chunk, total) => new Promise((resolve) => {\n  done = resolve;\n  const n = Math.round(total / chunk);\n  const src = new Uint8Array(total).fill(1);\n  const reuse = new ArrayBuffer(chunk);\n  const t0 = performance.now();\n  for (let k = 0; k < n; k++) {\n    const frame = new ArrayBuffer(16);\n    if (mode === 'clone-fresh') { const b = src.slice(k * chunk, (k + 1) * chunk).buffer; window.port.postMessage({ frame, body: b }, [frame]); }\n    else if (mode === 'transfer-fresh') { const b = src.slice(k * chunk, (k + 1) * chunk).buffer; window.port.postMessage({ frame, body: b }, [frame, b]); }\n    else if (mode === 'clone-pooled') { new Uint8Array(reuse).set(src.subarray(k * chunk, (k + 1) * chunk)); window.port.postMessage({ frame, body: reuse }, [frame]); }\n  }\n  window.port.postMessage('end');\n  window.t0 = t0;\n}).then((r) => ({ ...r, ms: performance.now() - window.t0 }));\n</script>\n";
const SHARED_WORKER = "const waiting = [];\nonconnect = (e) => { const p = e.ports[0]; p.onmessage = () => { waiting.push(p); if (waiting.length === 2) { const ch = new MessageChannel(); waiting[0].postMessage({ port: ch.port1 }, [ch.port1]); waiting[1].postMessage({ port: ch.port2 }, [ch.port2]); waiting.length = 0; } }; p.start(); };\n";

/** CPU seconds of this process's Chromium descendants (Linux /proc). */
function browserCpu(): number {
  let seconds = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('chrom')) continue;
      let mine = false;
      for (let p = Number(entry); p > 1; ) {
        const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
        p = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (p === process.pid) {
          mine = true;
          break;
        }
      }
      if (!mine) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      seconds += (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      // gone meanwhile
    }
  }
  return seconds;
}

const server = createServer((request, response) => {
  const path = (request.url ?? '/').split(/[?#]/)[0];
  const body = path === '/sw.js' ? SHARED_WORKER : path === '/page.html' ? PAGE : null;
  if (body === null) {
    response.statusCode = 404;
    return response.end();
  }
  response.setHeader('content-type', path === '/sw.js' ? 'text/javascript' : 'text/html');
  response.end(body);
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = (server.address() as { port: number }).port;
const browser = await launchBrowser();
try {
  const context = await browser.newContext();
  const a = await context.newPage();
  const b = await context.newPage();
  await a.goto(`http://127.0.0.1:${port}/page.html#a`);
  await b.goto(`http://127.0.0.1:${port}/page.html#b`);
  for (const page of [a, b]) await page.waitForFunction(() => (globalThis as unknown as { port: unknown }).port);
  const TOTAL = 64 << 20;
  const modes = (process.argv[2] ?? 'clone-fresh,transfer-fresh,clone-pooled').split(',');
  const chunks = (process.argv[3] ?? '256,512,960,1024,4096').split(',').map((kib) => Number(kib) * 1024);
  for (let round = 0; round < 2; round++) {
    for (const chunk of chunks) {
      for (const mode of modes) {
        const before = browserCpu();
        const result = await a.evaluate(([m, c, t]) => (globalThis as unknown as { send(m: string, c: number, t: number): Promise<{ ms: number }> }).send(m, c, t), [mode, chunk, TOTAL] as const);
        const cpuMsPerMiB = ((browserCpu() - before) * 1000) / (TOTAL / 2 ** 20);
        console.log(`${mode.padEnd(15)} chunk ${String(chunk / 1024).padStart(5)} KiB: ${result.ms.toFixed(0).padStart(6)} ms, CPU ${cpuMsPerMiB.toFixed(1)} ms/MiB`);
      }
    }
  }
} finally {
  await browser.close();
  server.close();
}
