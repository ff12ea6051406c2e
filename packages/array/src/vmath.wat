;; exp, sin and cos over float64 rows in WebAssembly SIMD (2 lanes), in place:
;; vexp(ptr, n) replaces the n doubles at ptr by their exp, and so on. A fused
;; kernel evaluates its elementwise chain a row at a time and hands the rows
;; that need these functions to this module (codegen.ts), where the JS Math.*
;; calls cost 10-20 ns per element.
;;
;; The algorithms are fdlibm's (FreeBSD msun e_exp.c, k_sin.c, k_cos.c and the
;; medium branch of e_rem_pio2.c) with the same constants, made branch-free:
;; - exp: k = nearest(x / ln 2), r = x - k ln2_hi - k ln2_lo, fdlibm's rational
;;   form for exp(r), scaled by 2^k built in the exponent bits. |x| < 700 only.
;; - sin, cos: n = nearest(x * 2/pi), x - n pi/2 in fdlibm's Cody-Waite steps
;;   (pi/2 in 33-bit pieces, exact products for n < 2^20; the third step per lane
;;   where the second cancelled),
;;   then both kernels, the quadrant selecting and negating. 2^-27 <= |x| < 8e5.
;; Lanes outside those ranges (and NaN, +-Infinity) are redone by the imported
;; Math function, so results are always defined. The tests hold every lane
;; within 1 ulp of Math.exp / sin / cos. n is rounded up to an even count: the
;; buffers need one spare slot.
;;
;; Assembled into vmathWasm.ts by packages/array/scripts/assemble-gemm.ts (wabt).
(module
  (import "m" "exp" (func $mexp (param f64) (result f64)))
  (import "m" "sin" (func $msin (param f64) (result f64)))
  (import "m" "cos" (func $mcos (param f64) (result f64)))
  (memory (export "memory") 1)

  (func (export "vexp") (param $p i32) (param $n i32)
    (local $end i32) (local $x v128) (local $k v128) (local $hi v128) (local $lo v128) (local $r v128)
    (local $t v128) (local $c v128) (local $y v128) (local $bad v128)
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 3))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $x (v128.load (local.get $p)))
      (local.set $k (f64x2.nearest (f64x2.mul (local.get $x) (v128.const f64x2 1.44269504088896338700e+00 1.44269504088896338700e+00))))
      (local.set $hi (f64x2.sub (local.get $x) (f64x2.mul (local.get $k) (v128.const f64x2 6.93147180369123816490e-01 6.93147180369123816490e-01))))
      (local.set $lo (f64x2.mul (local.get $k) (v128.const f64x2 1.90821492927058770002e-10 1.90821492927058770002e-10)))
      (local.set $r (f64x2.sub (local.get $hi) (local.get $lo)))
      (local.set $t (f64x2.mul (local.get $r) (local.get $r)))
      (local.set $c (f64x2.sub (local.get $r) (f64x2.mul (local.get $t)
        (f64x2.add (v128.const f64x2 1.66666666666666019037e-01 1.66666666666666019037e-01) (f64x2.mul (local.get $t)
        (f64x2.add (v128.const f64x2 -2.77777777770155933842e-03 -2.77777777770155933842e-03) (f64x2.mul (local.get $t)
        (f64x2.add (v128.const f64x2 6.61375632143793436117e-05 6.61375632143793436117e-05) (f64x2.mul (local.get $t)
        (f64x2.add (v128.const f64x2 -1.65339022054652515390e-06 -1.65339022054652515390e-06) (f64x2.mul (local.get $t) (v128.const f64x2 4.13813679705723846039e-08 4.13813679705723846039e-08))))))))))))
      ;; y = 1 - ((lo - r c / (2 - c)) - hi)
      (local.set $y (f64x2.sub (v128.const f64x2 1 1) (f64x2.sub (f64x2.sub (local.get $lo)
        (f64x2.div (f64x2.mul (local.get $r) (local.get $c)) (f64x2.sub (v128.const f64x2 2 2) (local.get $c)))) (local.get $hi))))
      ;; times 2^k: (k + 1023) << 52 as a double
      (local.set $y (f64x2.mul (local.get $y) (i64x2.shl (i64x2.add (i64x2.extend_low_i32x4_s (i32x4.trunc_sat_f64x2_s_zero (local.get $k)))
        (v128.const i64x2 1023 1023)) (i32.const 52))))
      (v128.store (local.get $p) (local.get $y))
      ;; lanes with |x| >= 700 or NaN: Math.exp
      (local.set $bad (v128.not (f64x2.lt (f64x2.abs (local.get $x)) (v128.const f64x2 700 700))))
      (if (v128.any_true (local.get $bad)) (then
        (if (i64.ne (i64x2.extract_lane 0 (local.get $bad)) (i64.const 0)) (then (f64.store (local.get $p) (call $mexp (f64x2.extract_lane 0 (local.get $x))))))
        (if (i64.ne (i64x2.extract_lane 1 (local.get $bad)) (i64.const 0)) (then (f64.store offset=8 (local.get $p) (call $mexp (f64x2.extract_lane 1 (local.get $x))))))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $next)))
  )

  (func (export "vsin") (param $p i32) (param $n i32)
    (local $end i32) (local $x v128) (local $nn v128) (local $r v128) (local $w v128) (local $t v128)
    (local $y0 v128) (local $y1 v128) (local $z v128) (local $zz v128) (local $v v128) (local $s v128) (local $c v128)
    (local $hz v128) (local $u v128) (local $q v128) (local $bad v128) (local $ax v128)
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 3))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $x (v128.load (local.get $p)))
      (local.set $nn (f64x2.nearest (f64x2.mul (local.get $x) (v128.const f64x2 6.36619772367581382433e-01 6.36619772367581382433e-01))))
      ;; Cody-Waite steps: the first two always (r - n pio2_1 is exact here, so the second keeps its rounding error in w)
      (local.set $r (f64x2.sub (local.get $x) (f64x2.mul (local.get $nn) (v128.const f64x2 1.57079632673412561417e+00 1.57079632673412561417e+00))))
      (local.set $t (local.get $r))
      (local.set $w (f64x2.mul (local.get $nn) (v128.const f64x2 6.07710050630396597660e-11 6.07710050630396597660e-11)))
      (local.set $r (f64x2.sub (local.get $t) (local.get $w)))
      (local.set $w (f64x2.sub (f64x2.mul (local.get $nn) (v128.const f64x2 2.02226624879595063154e-21 2.02226624879595063154e-21)) (f64x2.sub (f64x2.sub (local.get $t) (local.get $r)) (local.get $w))))
      ;; the third step only where the second cancelled (|y0| < 2^-48 |x|; there t - w is exact), as e_rem_pio2.c
      (local.set $ax (f64x2.abs (local.get $x)))
      (local.set $bad (f64x2.lt (f64x2.abs (f64x2.sub (local.get $r) (local.get $w))) (f64x2.mul (local.get $ax) (v128.const f64x2 0x1p-48 0x1p-48))))
      (local.set $t (local.get $r))
      (local.set $y0 (f64x2.mul (local.get $nn) (v128.const f64x2 2.02226624871116645580e-21 2.02226624871116645580e-21)))
      (local.set $r (v128.bitselect (f64x2.sub (local.get $t) (local.get $y0)) (local.get $r) (local.get $bad)))
      (local.set $w (v128.bitselect
        (f64x2.sub (f64x2.mul (local.get $nn) (v128.const f64x2 8.47842766036889956997e-32 8.47842766036889956997e-32)) (f64x2.sub (f64x2.sub (local.get $t) (local.get $r)) (local.get $y0)))
        (local.get $w) (local.get $bad)))
      (local.set $y0 (f64x2.sub (local.get $r) (local.get $w)))
      (local.set $y1 (f64x2.sub (f64x2.sub (local.get $r) (local.get $y0)) (local.get $w)))
      (local.set $z (f64x2.mul (local.get $y0) (local.get $y0)))
      (local.set $zz (f64x2.mul (local.get $z) (local.get $z)))
      ;; k_sin: y0 - ((z (y1/2 - v r) - y1) - v S1), r = S2 + z (S3 + z S4) + z zz (S5 + z S6)
      (local.set $v (f64x2.mul (local.get $z) (local.get $y0)))
      (local.set $s (f64x2.add (f64x2.add (v128.const f64x2 8.33333333332248946124e-03 8.33333333332248946124e-03) (f64x2.mul (local.get $z) (f64x2.add (v128.const f64x2 -1.98412698298579493134e-04 -1.98412698298579493134e-04) (f64x2.mul (local.get $z) (v128.const f64x2 2.75573137070700676789e-06 2.75573137070700676789e-06)))))
        (f64x2.mul (f64x2.mul (local.get $z) (local.get $zz)) (f64x2.add (v128.const f64x2 -2.50507602534068634195e-08 -2.50507602534068634195e-08) (f64x2.mul (local.get $z) (v128.const f64x2 1.58969099521155010221e-10 1.58969099521155010221e-10))))))
      (local.set $s (f64x2.sub (local.get $y0) (f64x2.sub (f64x2.sub (f64x2.mul (local.get $z) (f64x2.sub (f64x2.mul (v128.const f64x2 0.5 0.5) (local.get $y1)) (f64x2.mul (local.get $v) (local.get $s)))) (local.get $y1))
        (f64x2.mul (local.get $v) (v128.const f64x2 -1.66666666666666324348e-01 -1.66666666666666324348e-01)))))
      ;; k_cos: u + (((1 - u) - hz) + (z r - y0 y1)), hz = z/2, u = 1 - hz
      (local.set $c (f64x2.add (f64x2.mul (local.get $z) (f64x2.add (v128.const f64x2 4.16666666666666019037e-02 4.16666666666666019037e-02) (f64x2.mul (local.get $z) (f64x2.add (v128.const f64x2 -1.38888888888741095749e-03 -1.38888888888741095749e-03) (f64x2.mul (local.get $z) (v128.const f64x2 2.48015872894767294178e-05 2.48015872894767294178e-05))))))
        (f64x2.mul (f64x2.mul (local.get $zz) (local.get $zz)) (f64x2.add (v128.const f64x2 -2.75573143513906633035e-07 -2.75573143513906633035e-07) (f64x2.mul (local.get $z) (f64x2.add (v128.const f64x2 2.08757232129817482790e-09 2.08757232129817482790e-09) (f64x2.mul (local.get $z) (v128.const f64x2 -1.13596475577881948265e-11 -1.13596475577881948265e-11))))))))
      (local.set $hz (f64x2.mul (v128.const f64x2 0.5 0.5) (local.get $z)))
      (local.set $u (f64x2.sub (v128.const f64x2 1 1) (local.get $hz)))
      (local.set $c (f64x2.add (local.get $u) (f64x2.add (f64x2.sub (f64x2.sub (v128.const f64x2 1 1) (local.get $u)) (local.get $hz)) (f64x2.sub (f64x2.mul (local.get $z) (local.get $c)) (f64x2.mul (local.get $y0) (local.get $y1))))))
      ;; quadrant q = n (+1 for cos): odd takes the cosine kernel, q & 2 negates
      (local.set $q (i64x2.extend_low_i32x4_s (i32x4.trunc_sat_f64x2_s_zero (local.get $nn))))
      (local.set $q (local.get $q))
      (local.set $s (v128.bitselect (local.get $c) (local.get $s) (i64x2.eq (v128.and (local.get $q) (v128.const i64x2 1 1)) (v128.const i64x2 1 1))))
      (local.set $s (v128.xor (local.get $s) (i64x2.shl (v128.and (local.get $q) (v128.const i64x2 2 2)) (i32.const 62))))
      (v128.store (local.get $p) (local.get $s))
      ;; lanes outside 2^-27 <= |x| < 8e5 (and NaN): Math.sin
      (local.set $bad (v128.not (v128.and (f64x2.lt (local.get $ax) (v128.const f64x2 8e5 8e5)) (f64x2.ge (local.get $ax) (v128.const f64x2 0x1p-27 0x1p-27)))))
      (if (v128.any_true (local.get $bad)) (then
        (if (i64.ne (i64x2.extract_lane 0 (local.get $bad)) (i64.const 0)) (then (f64.store (local.get $p) (call $msin (f64x2.extract_lane 0 (local.get $x))))))
        (if (i64.ne (i64x2.extract_lane 1 (local.get $bad)) (i64.const 0)) (then (f64.store offset=8 (local.get $p) (call $msin (f64x2.extract_lane 1 (local.get $x))))))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $next)))
  )

  (func (export "vcos") (param $p i32) (param $n i32)
    (local $end i32) (local $x v128) (local $nn v128) (local $r v128) (local $w v128) (local $t v128)
    (local $y0 v128) (local $y1 v128) (local $z v128) (local $zz v128) (local $v v128) (local $s v128) (local $c v128)
    (local $hz v128) (local $u v128) (local $q v128) (local $bad v128) (local $ax v128)
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 3))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $x (v128.load (local.get $p)))
      (local.set $nn (f64x2.nearest (f64x2.mul (local.get $x) (v128.const f64x2 6.36619772367581382433e-01 6.36619772367581382433e-01))))
      ;; Cody-Waite steps: the first two always (r - n pio2_1 is exact here, so the second keeps its rounding error in w)
      (local.set $r (f64x2.sub (local.get $x) (f64x2.mul (local.get $nn) (v128.const f64x2 1.57079632673412561417e+00 1.57079632673412561417e+00))))
      (local.set $t (local.get $r))
      (local.set $w (f64x2.mul (local.get $nn) (v128.const f64x2 6.07710050630396597660e-11 6.07710050630396597660e-11)))
      (local.set $r (f64x2.sub (local.get $t) (local.get $w)))
      (local.set $w (f64x2.sub (f64x2.mul (local.get $nn) (v128.const f64x2 2.02226624879595063154e-21 2.02226624879595063154e-21)) (f64x2.sub (f64x2.sub (local.get $t) (local.get $r)) (local.get $w))))
      ;; the third step only where the second cancelled (|y0| < 2^-48 |x|; there t - w is exact), as e_rem_pio2.c
      (local.set $ax (f64x2.abs (local.get $x)))
      (local.set $bad (f64x2.lt (f64x2.abs (f64x2.sub (local.get $r) (local.get $w))) (f64x2.mul (local.get $ax) (v128.const f64x2 0x1p-48 0x1p-48))))
      (local.set $t (local.get $r))
      (local.set $y0 (f64x2.mul (local.get $nn) (v128.const f64x2 2.02226624871116645580e-21 2.02226624871116645580e-21)))
      (local.set $r (v128.bitselect (f64x2.sub (local.get $t) (local.get $y0)) (local.get $r) (local.get $bad)))
      (local.set $w (v128.bitselect
        (f64x2.sub (f64x2.mul (local.get $nn) (v128.const f64x2 8.47842766036889956997e-32 8.47842766036889956997e-32)) (f64x2.sub (f64x2.sub (local.get $t) (local.get $r)) (local.get $y0)))
        (local.get $w) (local.get $bad)))
      (local.set $y0 (f64x2.sub (local.get $r) (local.get $w)))
      (local.set $y1 (f64x2.sub (f64x2.sub (local.get $r) (local.get $y0)) (local.get $w)))
      (local.set $z (f64x2.mul (local.get $y0) (local.get $y0)))
      (local.set $zz (f64x2.mul (local.get $z) (local.get $z)))
      ;; k_sin: y0 - ((z (y1/2 - v r) - y1) - v S1), r = S2 + z (S3 + z S4) + z zz (S5 + z S6)
      (local.set $v (f64x2.mul (local.get $z) (local.get $y0)))
      (local.set $s (f64x2.add (f64x2.add (v128.const f64x2 8.33333333332248946124e-03 8.33333333332248946124e-03) (f64x2.mul (local.get $z) (f64x2.add (v128.const f64x2 -1.98412698298579493134e-04 -1.98412698298579493134e-04) (f64x2.mul (local.get $z) (v128.const f64x2 2.75573137070700676789e-06 2.75573137070700676789e-06)))))
        (f64x2.mul (f64x2.mul (local.get $z) (local.get $zz)) (f64x2.add (v128.const f64x2 -2.50507602534068634195e-08 -2.50507602534068634195e-08) (f64x2.mul (local.get $z) (v128.const f64x2 1.58969099521155010221e-10 1.58969099521155010221e-10))))))
      (local.set $s (f64x2.sub (local.get $y0) (f64x2.sub (f64x2.sub (f64x2.mul (local.get $z) (f64x2.sub (f64x2.mul (v128.const f64x2 0.5 0.5) (local.get $y1)) (f64x2.mul (local.get $v) (local.get $s)))) (local.get $y1))
        (f64x2.mul (local.get $v) (v128.const f64x2 -1.66666666666666324348e-01 -1.66666666666666324348e-01)))))
      ;; k_cos: u + (((1 - u) - hz) + (z r - y0 y1)), hz = z/2, u = 1 - hz
      (local.set $c (f64x2.add (f64x2.mul (local.get $z) (f64x2.add (v128.const f64x2 4.16666666666666019037e-02 4.16666666666666019037e-02) (f64x2.mul (local.get $z) (f64x2.add (v128.const f64x2 -1.38888888888741095749e-03 -1.38888888888741095749e-03) (f64x2.mul (local.get $z) (v128.const f64x2 2.48015872894767294178e-05 2.48015872894767294178e-05))))))
        (f64x2.mul (f64x2.mul (local.get $zz) (local.get $zz)) (f64x2.add (v128.const f64x2 -2.75573143513906633035e-07 -2.75573143513906633035e-07) (f64x2.mul (local.get $z) (f64x2.add (v128.const f64x2 2.08757232129817482790e-09 2.08757232129817482790e-09) (f64x2.mul (local.get $z) (v128.const f64x2 -1.13596475577881948265e-11 -1.13596475577881948265e-11))))))))
      (local.set $hz (f64x2.mul (v128.const f64x2 0.5 0.5) (local.get $z)))
      (local.set $u (f64x2.sub (v128.const f64x2 1 1) (local.get $hz)))
      (local.set $c (f64x2.add (local.get $u) (f64x2.add (f64x2.sub (f64x2.sub (v128.const f64x2 1 1) (local.get $u)) (local.get $hz)) (f64x2.sub (f64x2.mul (local.get $z) (local.get $c)) (f64x2.mul (local.get $y0) (local.get $y1))))))
      ;; quadrant q = n (+1 for cos): odd takes the cosine kernel, q & 2 negates
      (local.set $q (i64x2.extend_low_i32x4_s (i32x4.trunc_sat_f64x2_s_zero (local.get $nn))))
      (local.set $q (i64x2.add (local.get $q) (v128.const i64x2 1 1)))
      (local.set $s (v128.bitselect (local.get $c) (local.get $s) (i64x2.eq (v128.and (local.get $q) (v128.const i64x2 1 1)) (v128.const i64x2 1 1))))
      (local.set $s (v128.xor (local.get $s) (i64x2.shl (v128.and (local.get $q) (v128.const i64x2 2 2)) (i32.const 62))))
      (v128.store (local.get $p) (local.get $s))
      ;; lanes outside 2^-27 <= |x| < 8e5 (and NaN): Math.cos
      (local.set $bad (v128.not (v128.and (f64x2.lt (local.get $ax) (v128.const f64x2 8e5 8e5)) (f64x2.ge (local.get $ax) (v128.const f64x2 0x1p-27 0x1p-27)))))
      (if (v128.any_true (local.get $bad)) (then
        (if (i64.ne (i64x2.extract_lane 0 (local.get $bad)) (i64.const 0)) (then (f64.store (local.get $p) (call $mcos (f64x2.extract_lane 0 (local.get $x))))))
        (if (i64.ne (i64x2.extract_lane 1 (local.get $bad)) (i64.const 0)) (then (f64.store offset=8 (local.get $p) (call $mcos (f64x2.extract_lane 1 (local.get $x))))))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $next)))
  )
)
