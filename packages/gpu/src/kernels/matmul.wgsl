// C = A × B for row-major f32 matrices, A: M×K, B: K×N, C: M×N.
//
// Tiling: a workgroup of 8×8 threads computes a 32×32 tile of C. Each thread
// owns a 4×4 block of it (4 rows × one vec4 of columns), held in registers
// (`acc`). The K dimension goes in steps of 32: the workgroup copies a 32×32
// tile of A and of B into shared memory, one vec4 load per thread per row,
// then each thread does 4×4×32 multiply-adds from shared memory, reading
// B's 4 rows once per 4 steps of k and A one vec4 (4 k values) per row.
// That is 16 multiply-adds per 5 shared-memory reads (vs 1 per 2 naive).
//
// The vec4 views need K and N to be multiples of 4: the host pads them with
// zeros (dims holds the padded K and N). Edges of M, K and N are bounds
// checked, so any size works.

struct Dims {
  M: u32,
  N: u32,
  K: u32,
  _pad: u32,
}

@group(0) @binding(0) var<storage, read> A: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> B: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> C: array<vec4<f32>>;
@group(0) @binding(3) var<uniform> dims: Dims;

const THREADS_X: u32 = 8u;
const THREADS_Y: u32 = 8u;
const ROWS_PER_THREAD: u32 = 4u;
const TILE_M: u32 = 32u; // THREADS_Y * ROWS_PER_THREAD
const TILE_K: u32 = 32u;
const TILE_K4: u32 = 8u; // TILE_K / 4
const TILE_N4: u32 = 8u; // THREADS_X (one vec4 of C columns per thread)

var<workgroup> tileA: array<array<vec4<f32>, TILE_K4>, TILE_M>;
var<workgroup> tileB: array<array<vec4<f32>, TILE_N4>, TILE_K>;

@compute @workgroup_size(THREADS_X, THREADS_Y, 1)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let tx = lid.x;
  let ty = lid.y;
  let K4 = dims.K / 4u;
  let N4 = dims.N / 4u;
  let rowBase = wid.y * TILE_M + ty * ROWS_PER_THREAD;
  let col4 = wid.x * TILE_N4 + tx;

  var acc: array<vec4<f32>, ROWS_PER_THREAD>;
  let tiles = (dims.K + TILE_K - 1u) / TILE_K;
  for (var t = 0u; t < tiles; t++) {
    // A rows rowBase..+3, vec4 column tx of this K tile.
    let aCol4 = t * TILE_K4 + tx;
    for (var r = 0u; r < ROWS_PER_THREAD; r++) {
      let row = rowBase + r;
      var v = vec4<f32>(0.0);
      if (row < dims.M && aCol4 < K4) {
        v = A[row * K4 + aCol4];
      }
      tileA[ty * ROWS_PER_THREAD + r][tx] = v;
    }
    // B rows (k) ty*4..+3 of this K tile, this thread's vec4 of columns.
    for (var r = 0u; r < ROWS_PER_THREAD; r++) {
      let kLocal = ty * ROWS_PER_THREAD + r;
      let k = t * TILE_K + kLocal;
      var v = vec4<f32>(0.0);
      if (k < dims.K && col4 < N4) {
        v = B[k * N4 + col4];
      }
      tileB[kLocal][tx] = v;
    }
    workgroupBarrier();

    for (var k4 = 0u; k4 < TILE_K4; k4++) {
      let b0 = tileB[k4 * 4u][tx];
      let b1 = tileB[k4 * 4u + 1u][tx];
      let b2 = tileB[k4 * 4u + 2u][tx];
      let b3 = tileB[k4 * 4u + 3u][tx];
      for (var r = 0u; r < ROWS_PER_THREAD; r++) {
        let a = tileA[ty * ROWS_PER_THREAD + r][k4];
        acc[r] = acc[r] + a.x * b0 + a.y * b1 + a.z * b2 + a.w * b3;
      }
    }
    workgroupBarrier();
  }

  if (col4 < N4) {
    for (var r = 0u; r < ROWS_PER_THREAD; r++) {
      let row = rowBase + r;
      if (row < dims.M) {
        C[row * N4 + col4] = acc[r];
      }
    }
  }
}
