// One pass of a tree reduction: each workgroup folds 4096 elements of `src`
// into one element of `dst`. Thread t first folds src[base + t + 256k] for
// k = 0..15 (coalesced loads; 16 elements a thread keeps the number of
// invocations and barriers per element low), then the workgroup folds its 256 partials in
// shared memory by halving strides: a balanced binary tree, so an f32 sum's
// rounding error grows with log2(n) and not n. The host runs passes until
// one value is left.
//
// OP (pipeline-overridable): 0 sum, 1 min, 2 max. min and max start from
// src[0] (always an element), so they need no infinity constant.

override OP: u32 = 0u;
const WG: u32 = 256u;
const PER_THREAD: u32 = 16u;

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;

var<workgroup> partial: array<f32, WG>;

fn combine(x: f32, y: f32) -> f32 {
  if (OP == 1u) {
    return min(x, y);
  }
  if (OP == 2u) {
    return max(x, y);
  }
  return x + y;
}

@compute @workgroup_size(WG)
fn main(
  @builtin(local_invocation_id) lid: vec3u,
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) groups: vec3u,
) {
  let n = arrayLength(&src);
  let group = wid.x + wid.y * groups.x;
  let base = group * WG * PER_THREAD + lid.x;
  var acc = 0.0;
  if (OP != 0u) {
    acc = src[0];
  }
  for (var k = 0u; k < PER_THREAD; k++) {
    let j = base + k * WG;
    if (j < n) {
      acc = combine(acc, src[j]);
    }
  }
  partial[lid.x] = acc;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride = stride / 2u) {
    if (lid.x < stride) {
      partial[lid.x] = combine(partial[lid.x], partial[lid.x + stride]);
    }
    workgroupBarrier();
  }
  if (lid.x == 0u) {
    dst[group] = partial[0];
  }
}
