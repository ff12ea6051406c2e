;; The CPU matrix product for @shoal/array: C += A · B in WebAssembly SIMD,
;; GotoBLAS-style. Assembled into gemmWasm.ts by `npm run -w @shoal/array wasm`
;; (scripts/assemble-gemm.ts, gemmAssemble.ts); a unit test checks they agree.
;;
;;   for each KC-slice of the inner dimension:           (pc)
;;     pack that slice of B into panels NR columns wide    (pack_b*: B's panel stays in L1 below)
;;     for each MC-row slice of A:                         (ic)
;;       pack that piece of A into panels MR rows tall     (pack_a*: the piece stays in L2)
;;       for each B panel, for each A panel:               (jr, ir)
;;         the micro-kernel: an MR × NR tile of C held in 8 SIMD registers,
;;         updated by one broadcast of A times a row of B's panel per k
;;
;; float32: MR = 4 rows × NR = 8 columns (two f32x4 per row); float64: 4 × 4 (two f64x2 per row).
;; Packing reads A and B through byte strides (row step, column step), so a
;; transposed operand costs nothing extra, and pads the last panels with zeros.
;; C must therefore be padded too: ceil(M/MR)·MR rows of ceil(N/NR)·NR columns
;; (its row step `ldc` is in bytes); the caller copies the M × N corner out.
;; Every pointer and stride is in bytes. MC must be a multiple of MR.
;;
;; Each update is written `(fNxM.add (local.get $cXY) (fNxM.mul (local.get $a) (local.get $bZ)))`
;; (WebAssembly SIMD has no fused multiply-add); the assembler also makes a
;; second module with these rewritten to relaxed SIMD's relaxed_madd, which
;; workers use where relaxed SIMD validates (Chromium). relaxed_madd fuses
;; where the CPU has FMA, so the two modules may differ in the last bit.
(module
  (memory (export "memory") 1)

  ;; ---------------------------------------------------------------- float32
  ;; Panels of 4 rows: for each k, the 4 values A[r][k] (zero past the last row).
  (func $pack_a32 (param $dst i32) (param $src i32) (param $rs i32) (param $cs i32) (param $mc i32) (param $kc i32)
    (local $ir i32) (local $k i32) (local $r i32)
    (block $done_i (loop $rows
      (br_if $done_i (i32.ge_s (local.get $ir) (local.get $mc)))
      (local.set $k (i32.const 0))
      (block $done_k (loop $ks
        (br_if $done_k (i32.ge_s (local.get $k) (local.get $kc)))
        (local.set $r (i32.const 0))
        (block $done_r (loop $rs4
          (br_if $done_r (i32.ge_s (local.get $r) (i32.const 4)))
          (f32.store (local.get $dst)
            (if (result f32) (i32.lt_s (i32.add (local.get $ir) (local.get $r)) (local.get $mc))
              (then (f32.load (i32.add (local.get $src)
                (i32.add (i32.mul (i32.add (local.get $ir) (local.get $r)) (local.get $rs))
                         (i32.mul (local.get $k) (local.get $cs))))))
              (else (f32.const 0))))
          (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
          (local.set $r (i32.add (local.get $r) (i32.const 1)))
          (br $rs4)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $ks)))
      (local.set $ir (i32.add (local.get $ir) (i32.const 4)))
      (br $rows))))

  ;; Panels of 8 columns: for each k, the 8 values B[k][j] (zero past the last column).
  (func $pack_b32 (param $dst i32) (param $src i32) (param $rs i32) (param $cs i32) (param $kc i32) (param $n i32)
    (local $jr i32) (local $k i32) (local $c i32)
    (block $done_j (loop $cols
      (br_if $done_j (i32.ge_s (local.get $jr) (local.get $n)))
      (local.set $k (i32.const 0))
      (block $done_k (loop $ks
        (br_if $done_k (i32.ge_s (local.get $k) (local.get $kc)))
        (local.set $c (i32.const 0))
        (block $done_c (loop $cs8
          (br_if $done_c (i32.ge_s (local.get $c) (i32.const 8)))
          (f32.store (local.get $dst)
            (if (result f32) (i32.lt_s (i32.add (local.get $jr) (local.get $c)) (local.get $n))
              (then (f32.load (i32.add (local.get $src)
                (i32.add (i32.mul (local.get $k) (local.get $rs))
                         (i32.mul (i32.add (local.get $jr) (local.get $c)) (local.get $cs))))))
              (else (f32.const 0))))
          (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
          (local.set $c (i32.add (local.get $c) (i32.const 1)))
          (br $cs8)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $ks)))
      (local.set $jr (i32.add (local.get $jr) (i32.const 8)))
      (br $cols))))

  ;; C[4×8 at $c] += Ap[4×kc] · Bp[kc×8].
  (func $micro32 (param $kc i32) (param $ap i32) (param $bp i32) (param $c i32) (param $ldc i32)
    (local $b0 v128) (local $b1 v128) (local $a v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $end i32)
    (local.set $end (i32.add (local.get $bp) (i32.shl (local.get $kc) (i32.const 5))))
    (block $done (loop $k
      (br_if $done (i32.ge_u (local.get $bp) (local.get $end)))
      (local.set $b0 (v128.load offset=0 (local.get $bp)))
      (local.set $b1 (v128.load offset=16 (local.get $bp)))
      (local.set $a (v128.load32_splat offset=0 (local.get $ap)))
      (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load32_splat offset=4 (local.get $ap)))
      (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load32_splat offset=8 (local.get $ap)))
      (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load32_splat offset=12 (local.get $ap)))
      (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $ap (i32.add (local.get $ap) (i32.const 16)))
      (local.set $bp (i32.add (local.get $bp) (i32.const 32)))
      (br $k)))
    (v128.store offset=0 (local.get $c) (f32x4.add (v128.load offset=0 (local.get $c)) (local.get $c00)))
    (v128.store offset=16 (local.get $c) (f32x4.add (v128.load offset=16 (local.get $c)) (local.get $c01)))
    (local.set $c (i32.add (local.get $c) (local.get $ldc)))
    (v128.store offset=0 (local.get $c) (f32x4.add (v128.load offset=0 (local.get $c)) (local.get $c10)))
    (v128.store offset=16 (local.get $c) (f32x4.add (v128.load offset=16 (local.get $c)) (local.get $c11)))
    (local.set $c (i32.add (local.get $c) (local.get $ldc)))
    (v128.store offset=0 (local.get $c) (f32x4.add (v128.load offset=0 (local.get $c)) (local.get $c20)))
    (v128.store offset=16 (local.get $c) (f32x4.add (v128.load offset=16 (local.get $c)) (local.get $c21)))
    (local.set $c (i32.add (local.get $c) (local.get $ldc)))
    (v128.store offset=0 (local.get $c) (f32x4.add (v128.load offset=0 (local.get $c)) (local.get $c30)))
    (v128.store offset=16 (local.get $c) (f32x4.add (v128.load offset=16 (local.get $c)) (local.get $c31))))

  ;; C (padded, row step $ldc bytes) += A (M×K, strides $rsa/$csa) · B (K×N, strides $rsb/$csb), float32.
  ;; $ap and $bp are scratch for the packed panels: $mcb·$kcb·4 and ceil(N/8)·8·$kcb·4 bytes.
  (func (export "gemm_f32") (param $m i32) (param $n i32) (param $k i32)
    (param $a i32) (param $rsa i32) (param $csa i32) (param $b i32) (param $rsb i32) (param $csb i32)
    (param $c i32) (param $ldc i32) (param $ap i32) (param $bp i32) (param $mcb i32) (param $kcb i32)
    (local $pc i32) (local $kc i32) (local $ic i32) (local $mc i32) (local $jr i32) (local $ir i32)
    (block $done_p (loop $slices
      (br_if $done_p (i32.ge_s (local.get $pc) (local.get $k)))
      (local.set $kc (select (local.get $kcb) (i32.sub (local.get $k) (local.get $pc))
        (i32.lt_s (local.get $kcb) (i32.sub (local.get $k) (local.get $pc)))))
      (call $pack_b32 (local.get $bp) (i32.add (local.get $b) (i32.mul (local.get $pc) (local.get $rsb)))
        (local.get $rsb) (local.get $csb) (local.get $kc) (local.get $n))
      (local.set $ic (i32.const 0))
      (block $done_i (loop $row_slices
        (br_if $done_i (i32.ge_s (local.get $ic) (local.get $m)))
        (local.set $mc (select (local.get $mcb) (i32.sub (local.get $m) (local.get $ic))
          (i32.lt_s (local.get $mcb) (i32.sub (local.get $m) (local.get $ic)))))
        (call $pack_a32 (local.get $ap)
          (i32.add (local.get $a) (i32.add (i32.mul (local.get $ic) (local.get $rsa)) (i32.mul (local.get $pc) (local.get $csa))))
          (local.get $rsa) (local.get $csa) (local.get $mc) (local.get $kc))
        (local.set $jr (i32.const 0))
        (block $done_j (loop $panels_b
          (br_if $done_j (i32.ge_s (local.get $jr) (local.get $n)))
          (local.set $ir (i32.const 0))
          (block $done_r (loop $panels_a
            (br_if $done_r (i32.ge_s (local.get $ir) (local.get $mc)))
            (call $micro32 (local.get $kc)
              (i32.add (local.get $ap) (i32.shl (i32.mul (local.get $ir) (local.get $kc)) (i32.const 2)))
              (i32.add (local.get $bp) (i32.shl (i32.mul (local.get $jr) (local.get $kc)) (i32.const 2)))
              (i32.add (local.get $c) (i32.add (i32.mul (i32.add (local.get $ic) (local.get $ir)) (local.get $ldc))
                                               (i32.shl (local.get $jr) (i32.const 2))))
              (local.get $ldc))
            (local.set $ir (i32.add (local.get $ir) (i32.const 4)))
            (br $panels_a)))
          (local.set $jr (i32.add (local.get $jr) (i32.const 8)))
          (br $panels_b)))
        (local.set $ic (i32.add (local.get $ic) (local.get $mcb)))
        (br $row_slices)))
      (local.set $pc (i32.add (local.get $pc) (local.get $kcb)))
      (br $slices))))

  ;; ---------------------------------------------------------------- float64
  ;; The same with 8-byte elements: panels of 4 rows of A, 4 columns of B.
  (func $pack_a64 (param $dst i32) (param $src i32) (param $rs i32) (param $cs i32) (param $mc i32) (param $kc i32)
    (local $ir i32) (local $k i32) (local $r i32)
    (block $done_i (loop $rows
      (br_if $done_i (i32.ge_s (local.get $ir) (local.get $mc)))
      (local.set $k (i32.const 0))
      (block $done_k (loop $ks
        (br_if $done_k (i32.ge_s (local.get $k) (local.get $kc)))
        (local.set $r (i32.const 0))
        (block $done_r (loop $rs4
          (br_if $done_r (i32.ge_s (local.get $r) (i32.const 4)))
          (f64.store (local.get $dst)
            (if (result f64) (i32.lt_s (i32.add (local.get $ir) (local.get $r)) (local.get $mc))
              (then (f64.load (i32.add (local.get $src)
                (i32.add (i32.mul (i32.add (local.get $ir) (local.get $r)) (local.get $rs))
                         (i32.mul (local.get $k) (local.get $cs))))))
              (else (f64.const 0))))
          (local.set $dst (i32.add (local.get $dst) (i32.const 8)))
          (local.set $r (i32.add (local.get $r) (i32.const 1)))
          (br $rs4)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $ks)))
      (local.set $ir (i32.add (local.get $ir) (i32.const 4)))
      (br $rows))))

  (func $pack_b64 (param $dst i32) (param $src i32) (param $rs i32) (param $cs i32) (param $kc i32) (param $n i32)
    (local $jr i32) (local $k i32) (local $c i32)
    (block $done_j (loop $cols
      (br_if $done_j (i32.ge_s (local.get $jr) (local.get $n)))
      (local.set $k (i32.const 0))
      (block $done_k (loop $ks
        (br_if $done_k (i32.ge_s (local.get $k) (local.get $kc)))
        (local.set $c (i32.const 0))
        (block $done_c (loop $cs4
          (br_if $done_c (i32.ge_s (local.get $c) (i32.const 4)))
          (f64.store (local.get $dst)
            (if (result f64) (i32.lt_s (i32.add (local.get $jr) (local.get $c)) (local.get $n))
              (then (f64.load (i32.add (local.get $src)
                (i32.add (i32.mul (local.get $k) (local.get $rs))
                         (i32.mul (i32.add (local.get $jr) (local.get $c)) (local.get $cs))))))
              (else (f64.const 0))))
          (local.set $dst (i32.add (local.get $dst) (i32.const 8)))
          (local.set $c (i32.add (local.get $c) (i32.const 1)))
          (br $cs4)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $ks)))
      (local.set $jr (i32.add (local.get $jr) (i32.const 4)))
      (br $cols))))

  ;; C[4×4 at $c] += Ap[4×kc] · Bp[kc×4].
  (func $micro64 (param $kc i32) (param $ap i32) (param $bp i32) (param $c i32) (param $ldc i32)
    (local $b0 v128) (local $b1 v128) (local $a v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $end i32)
    (local.set $end (i32.add (local.get $bp) (i32.shl (local.get $kc) (i32.const 5))))
    (block $done (loop $k
      (br_if $done (i32.ge_u (local.get $bp) (local.get $end)))
      (local.set $b0 (v128.load offset=0 (local.get $bp)))
      (local.set $b1 (v128.load offset=16 (local.get $bp)))
      (local.set $a (v128.load64_splat offset=0 (local.get $ap)))
      (local.set $c00 (f64x2.add (local.get $c00) (f64x2.mul (local.get $a) (local.get $b0))))
      (local.set $c01 (f64x2.add (local.get $c01) (f64x2.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load64_splat offset=8 (local.get $ap)))
      (local.set $c10 (f64x2.add (local.get $c10) (f64x2.mul (local.get $a) (local.get $b0))))
      (local.set $c11 (f64x2.add (local.get $c11) (f64x2.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load64_splat offset=16 (local.get $ap)))
      (local.set $c20 (f64x2.add (local.get $c20) (f64x2.mul (local.get $a) (local.get $b0))))
      (local.set $c21 (f64x2.add (local.get $c21) (f64x2.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load64_splat offset=24 (local.get $ap)))
      (local.set $c30 (f64x2.add (local.get $c30) (f64x2.mul (local.get $a) (local.get $b0))))
      (local.set $c31 (f64x2.add (local.get $c31) (f64x2.mul (local.get $a) (local.get $b1))))
      (local.set $ap (i32.add (local.get $ap) (i32.const 32)))
      (local.set $bp (i32.add (local.get $bp) (i32.const 32)))
      (br $k)))
    (v128.store offset=0 (local.get $c) (f64x2.add (v128.load offset=0 (local.get $c)) (local.get $c00)))
    (v128.store offset=16 (local.get $c) (f64x2.add (v128.load offset=16 (local.get $c)) (local.get $c01)))
    (local.set $c (i32.add (local.get $c) (local.get $ldc)))
    (v128.store offset=0 (local.get $c) (f64x2.add (v128.load offset=0 (local.get $c)) (local.get $c10)))
    (v128.store offset=16 (local.get $c) (f64x2.add (v128.load offset=16 (local.get $c)) (local.get $c11)))
    (local.set $c (i32.add (local.get $c) (local.get $ldc)))
    (v128.store offset=0 (local.get $c) (f64x2.add (v128.load offset=0 (local.get $c)) (local.get $c20)))
    (v128.store offset=16 (local.get $c) (f64x2.add (v128.load offset=16 (local.get $c)) (local.get $c21)))
    (local.set $c (i32.add (local.get $c) (local.get $ldc)))
    (v128.store offset=0 (local.get $c) (f64x2.add (v128.load offset=0 (local.get $c)) (local.get $c30)))
    (v128.store offset=16 (local.get $c) (f64x2.add (v128.load offset=16 (local.get $c)) (local.get $c31))))

  ;; As gemm_f32, float64: $ap and $bp hold $mcb·$kcb·8 and ceil(N/4)·4·$kcb·8 bytes.
  (func (export "gemm_f64") (param $m i32) (param $n i32) (param $k i32)
    (param $a i32) (param $rsa i32) (param $csa i32) (param $b i32) (param $rsb i32) (param $csb i32)
    (param $c i32) (param $ldc i32) (param $ap i32) (param $bp i32) (param $mcb i32) (param $kcb i32)
    (local $pc i32) (local $kc i32) (local $ic i32) (local $mc i32) (local $jr i32) (local $ir i32)
    (block $done_p (loop $slices
      (br_if $done_p (i32.ge_s (local.get $pc) (local.get $k)))
      (local.set $kc (select (local.get $kcb) (i32.sub (local.get $k) (local.get $pc))
        (i32.lt_s (local.get $kcb) (i32.sub (local.get $k) (local.get $pc)))))
      (call $pack_b64 (local.get $bp) (i32.add (local.get $b) (i32.mul (local.get $pc) (local.get $rsb)))
        (local.get $rsb) (local.get $csb) (local.get $kc) (local.get $n))
      (local.set $ic (i32.const 0))
      (block $done_i (loop $row_slices
        (br_if $done_i (i32.ge_s (local.get $ic) (local.get $m)))
        (local.set $mc (select (local.get $mcb) (i32.sub (local.get $m) (local.get $ic))
          (i32.lt_s (local.get $mcb) (i32.sub (local.get $m) (local.get $ic)))))
        (call $pack_a64 (local.get $ap)
          (i32.add (local.get $a) (i32.add (i32.mul (local.get $ic) (local.get $rsa)) (i32.mul (local.get $pc) (local.get $csa))))
          (local.get $rsa) (local.get $csa) (local.get $mc) (local.get $kc))
        (local.set $jr (i32.const 0))
        (block $done_j (loop $panels_b
          (br_if $done_j (i32.ge_s (local.get $jr) (local.get $n)))
          (local.set $ir (i32.const 0))
          (block $done_r (loop $panels_a
            (br_if $done_r (i32.ge_s (local.get $ir) (local.get $mc)))
            (call $micro64 (local.get $kc)
              (i32.add (local.get $ap) (i32.shl (i32.mul (local.get $ir) (local.get $kc)) (i32.const 3)))
              (i32.add (local.get $bp) (i32.shl (i32.mul (local.get $jr) (local.get $kc)) (i32.const 3)))
              (i32.add (local.get $c) (i32.add (i32.mul (i32.add (local.get $ic) (local.get $ir)) (local.get $ldc))
                                               (i32.shl (local.get $jr) (i32.const 3))))
              (local.get $ldc))
            (local.set $ir (i32.add (local.get $ir) (i32.const 4)))
            (br $panels_a)))
          (local.set $jr (i32.add (local.get $jr) (i32.const 4)))
          (br $panels_b)))
        (local.set $ic (i32.add (local.get $ic) (local.get $mcb)))
        (br $row_slices)))
      (local.set $pc (i32.add (local.get $pc) (local.get $kcb)))
      (br $slices)))))
