// Exclusive prefix sum of one 2048-element block per workgroup, work-efficient:
//   1. the workgroup loads the block into shared memory (coalesced: thread t
//      reads elements t, t + 256, ...);
//   2. each thread scans its own 8 consecutive elements sequentially, in registers;
//   3. the 256 per-thread totals are scanned with Blelloch's up-sweep /
//      down-sweep in shared memory (2·255 additions);
//   4. each thread adds its offset to its 8 values, and the block is stored
//      back coalesced.
// O(n) additions in all; 8 elements a thread keeps invocations and barriers
// per element low. Each block's total goes to blockSums[block]; the host
// scans those in turn (multi-level) and adds them back with scanAdd.wgsl.
//
// The host puts `alias T = u32;` (or i32, f32) in front. Integer sums wrap mod 2^32.

const WG: u32 = 256u;
const ITEMS: u32 = 8u;
const BLOCK: u32 = 2048u; // WG * ITEMS

@group(0) @binding(0) var<storage, read> src: array<T>;
@group(0) @binding(1) var<storage, read_write> dst: array<T>;
@group(0) @binding(2) var<storage, read_write> blockSums: array<T>;

var<workgroup> tile: array<T, BLOCK>;
var<workgroup> totals: array<T, WG>;

@compute @workgroup_size(WG)
fn main(
  @builtin(local_invocation_id) lid: vec3u,
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) groups: vec3u,
) {
  let n = arrayLength(&src);
  let blockIndex = wid.x + wid.y * groups.x;
  let base = blockIndex * BLOCK;
  let t = lid.x;

  for (var k = 0u; k < ITEMS; k++) {
    let i = base + k * WG + t;
    tile[k * WG + t] = select(T(0), src[min(i, n - 1u)], i < n);
  }
  workgroupBarrier();

  // This thread's 8 elements, scanned in registers.
  var mine: array<T, ITEMS>;
  var sum = T(0);
  for (var k = 0u; k < ITEMS; k++) {
    mine[k] = sum;
    sum = sum + tile[t * ITEMS + k];
  }
  totals[t] = sum;

  // Up-sweep over the totals: after the step with stride `offset`, totals[k*2*offset - 1] holds its 2*offset totals.
  var offset = 1u;
  for (var d = WG / 2u; d > 0u; d = d / 2u) {
    workgroupBarrier();
    if (t < d) {
      let ai = offset * (2u * t + 1u) - 1u;
      let bi = offset * (2u * t + 2u) - 1u;
      totals[bi] = totals[bi] + totals[ai];
    }
    offset = offset * 2u;
  }
  workgroupBarrier();
  if (t == 0u) {
    blockSums[blockIndex] = totals[WG - 1u];
    totals[WG - 1u] = T(0);
  }
  // Down-sweep: each node passes its prefix to its left child and prefix + left sum to its right child.
  for (var d = 1u; d < WG; d = d * 2u) {
    offset = offset / 2u;
    workgroupBarrier();
    if (t < d) {
      let ai = offset * (2u * t + 1u) - 1u;
      let bi = offset * (2u * t + 2u) - 1u;
      let left = totals[ai];
      totals[ai] = totals[bi];
      totals[bi] = totals[bi] + left;
    }
  }
  workgroupBarrier();

  let prefix = totals[t];
  for (var k = 0u; k < ITEMS; k++) {
    tile[t * ITEMS + k] = prefix + mine[k];
  }
  workgroupBarrier();
  for (var k = 0u; k < ITEMS; k++) {
    let i = base + k * WG + t;
    if (i < n) {
      dst[i] = tile[k * WG + t];
    }
  }
}
