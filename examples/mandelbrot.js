// The Mandelbrot set, rendered by a WGSL kernel on the workers' GPUs: the
// 640×480 image is cut into 160×160 tiles, each a GPU task that runs the
// escape-time kernel with ctx.gpu.run and returns its pixels packed as RGBA
// (one u32 each). The job assembles them into one RGBA image,
// `{ width, height, rgba }`, which the dashboard can draw as ImageData.
export default async function mandelbrot(cluster) {
  const WIDTH = 640;
  const HEIGHT = 480;
  const TILE = 160;
  const MAX_ITER = 200;
  // The view: x in [-2.5, 1.0], y centered on 0, square pixels.
  const step = 3.5 / WIDTH;
  const x0 = -2.5;
  const y0 = -(HEIGHT / 2) * step;

  const renderTile = cluster.remote(
    async function renderTile(tile, ctx) {
      const wgsl = `
@compute @workgroup_size(WORKGROUP_SIZE_X, WORKGROUP_SIZE_Y)
fn main(@builtin(global_invocation_id) id: vec3u) {
  if (id.x >= uniforms.size.x || id.y >= uniforms.size.y) { return; }
  let c = uniforms.origin + vec2f(f32(id.x), f32(id.y)) * uniforms.step;
  var z = vec2f(0.0, 0.0);
  var i = 0u;
  loop {
    if (i >= uniforms.maxIter || dot(z, z) > 4.0) { break; }
    z = vec2f(z.x * z.x - z.y * z.y, 2.0 * z.x * z.y) + c;
    i = i + 1u;
  }
  var color = vec3f(0.0, 0.0, 0.0);
  if (i < uniforms.maxIter) {
    // Smooth iteration count, through a cosine palette.
    let nu = f32(i) + 1.0 - log2(max(log2(dot(z, z)) * 0.5, 1e-6));
    let t = nu / f32(uniforms.maxIter);
    color = 0.5 + 0.5 * cos(6.2831853 * (vec3f(0.0, 0.15, 0.3) + 4.0 * t));
  }
  pixels[id.y * uniforms.size.x + id.x] = pack4x8unorm(vec4f(color, 1.0));
}`;
      const { pixels } = await ctx.gpu.run({
        wgsl,
        workgroupSize: [8, 8],
        dispatch: [Math.ceil(tile.width / 8), Math.ceil(tile.height / 8)],
        outputs: { pixels: { type: 'u32', length: tile.width * tile.height } },
        uniforms: {
          origin: [tile.x0, tile.y0],
          step: tile.step,
          size: { type: 'u32', value: [tile.width, tile.height] },
          maxIter: { type: 'u32', value: tile.maxIter },
        },
      });
      return pixels;
    },
    { resources: { gpu: 1 } },
  );

  const tiles = [];
  for (let top = 0; top < HEIGHT; top += TILE) {
    for (let left = 0; left < WIDTH; left += TILE) {
      const width = Math.min(TILE, WIDTH - left);
      const height = Math.min(TILE, HEIGHT - top);
      tiles.push({ left, top, width, height, x0: x0 + left * step, y0: y0 + top * step, step, maxIter: MAX_ITER });
    }
  }
  const results = await cluster.get(tiles.map((tile) => renderTile(tile)));

  // Each u32 is r | g << 8 | b << 16 | a << 24: little-endian bytes r, g, b, a.
  const rgba = new Uint8ClampedArray(WIDTH * HEIGHT * 4);
  tiles.forEach((tile, i) => {
    const bytes = new Uint8Array(results[i].buffer, results[i].byteOffset, results[i].byteLength);
    for (let row = 0; row < tile.height; row++) {
      const from = row * tile.width * 4;
      rgba.set(bytes.subarray(from, from + tile.width * 4), ((tile.top + row) * WIDTH + tile.left) * 4);
    }
  });

  // Sanity check: the center of the main cardioid is in the set (black), the far left corner is not.
  const pixel = (x, y) => Array.from(rgba.subarray((y * WIDTH + x) * 4, (y * WIDTH + x) * 4 + 4));
  const inside = pixel(Math.round((-0.25 - x0) / step), Math.round(-y0 / step));
  const outside = pixel(0, 0);
  if (inside.join() !== '0,0,0,255' || outside.join() === '0,0,0,255') throw new Error(`the image looks wrong: inside ${inside}, outside ${outside}`);

  return { width: WIDTH, height: HEIGHT, tiles: tiles.length, maxIter: MAX_ITER, rgba };
}
