// Elementwise map: out[i] = EXPRESSION, for every i < arrayLength(&out).
// The host (map.ts) puts the generated bindings in front (inputs in_a, in_b, ...
// as array<f32>, then out) and replaces the two markers below: INPUT_LETS
// becomes `let a = in_a[i];` and so on, EXPRESSION the user's expression.
// The expression also sees `i` (this element's index) and `n` (the length), both u32.
// A 2D grid of workgroups covers arrays longer than 65535 workgroups.

@compute @workgroup_size(WORKGROUP_SIZE_X)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * WORKGROUP_SIZE_X;
  let n = arrayLength(&out);
  if (i >= n) {
    return;
  }
  /*INPUT_LETS*/
  out[i] = f32(/*EXPRESSION*/);
}
