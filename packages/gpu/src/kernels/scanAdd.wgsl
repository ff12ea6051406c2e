// Second half of a multi-level scan: adds each block's offset (the exclusive
// scan of the block totals) to every element of that block, in place.
// The host puts `alias T = u32;` (or f32) in front.

const WG: u32 = 256u;
const BLOCK: u32 = 2048u;

@group(0) @binding(0) var<storage, read_write> data: array<T>;
@group(0) @binding(1) var<storage, read> offsets: array<T>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * WG;
  if (i < arrayLength(&data)) {
    data[i] = data[i] + offsets[i / BLOCK];
  }
}
