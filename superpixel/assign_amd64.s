//go:build amd64 && !purego

#include "textflag.h"

DATA iota8<>+0(SB)/4, $0x00000000
DATA iota8<>+4(SB)/4, $0x3f800000
DATA iota8<>+8(SB)/4, $0x40000000
DATA iota8<>+12(SB)/4, $0x40400000
DATA iota8<>+16(SB)/4, $0x40800000
DATA iota8<>+20(SB)/4, $0x40a00000
DATA iota8<>+24(SB)/4, $0x40c00000
DATA iota8<>+28(SB)/4, $0x40e00000
GLOBL iota8<>(SB), RODATA|NOPTR, $32

DATA eight<>+0(SB)/4, $0x41000000
GLOBL eight<>(SB), RODATA|NOPTR, $4

// func assignRowAVX(l, a, b *int16, d *float32, lab *int32, n int, p *kparams)
TEXT ·assignRowAVX(SB), NOSPLIT, $0-56
	MOVQ l+0(FP), SI
	MOVQ a+8(FP), DI
	MOVQ b+16(FP), R8
	MOVQ d+24(FP), R9
	MOVQ lab+32(FP), R10
	MOVQ n+40(FP), CX
	MOVQ p+48(FP), AX

	VBROADCASTSS 0(AX), Y8    // cl
	VBROADCASTSS 4(AX), Y9    // ca
	VBROADCASTSS 8(AX), Y10   // cb
	VBROADCASTSS 12(AX), Y11  // cx
	VBROADCASTSS 16(AX), Y12  // w
	VBROADCASTSS 20(AX), Y13  // wdy2
	VBROADCASTSS 24(AX), Y14  // k (bits)
	VBROADCASTSS 28(AX), Y15  // x0
	VADDPS iota8<>(SB), Y15, Y15 // x = x0 + 0..7
	VBROADCASTSS eight<>(SB), Y7

	XORQ BX, BX

loop:
	CMPQ BX, CX
	JGE  done

	VPMOVSXWD (SI)(BX*2), Y0
	VCVTDQ2PS Y0, Y0
	VSUBPS  Y8, Y0, Y0        // dl
	VMULPS  Y0, Y0, Y0        // dl²
	VPMOVSXWD (DI)(BX*2), Y1
	VCVTDQ2PS Y1, Y1
	VSUBPS  Y9, Y1, Y1        // da
	VMULPS  Y1, Y1, Y1
	VADDPS  Y1, Y0, Y0        // dl² + da²
	VPMOVSXWD (R8)(BX*2), Y1
	VCVTDQ2PS Y1, Y1
	VSUBPS  Y10, Y1, Y1       // db
	VMULPS  Y1, Y1, Y1
	VADDPS  Y1, Y0, Y0        // + db²

	VSUBPS  Y11, Y15, Y2      // dx = x - cx
	VMULPS  Y2, Y2, Y2        // dx²
	VMULPS  Y12, Y2, Y2       // dx²·w
	VADDPS  Y13, Y2, Y2       // + w·dy²
	VADDPS  Y2, Y0, Y0        // D

	VMOVUPS   (R9)(BX*4), Y3  // best distance
	VCMPPS    $1, Y3, Y0, Y4  // Y4 = D < best
	VBLENDVPS Y4, Y0, Y3, Y3  // best = D < best ? D : best
	VMOVUPS   Y3, (R9)(BX*4)
	VMOVUPS   (R10)(BX*4), Y5
	VBLENDVPS Y4, Y14, Y5, Y5 // label = D < best ? k : label
	VMOVUPS   Y5, (R10)(BX*4)

	VADDPS Y7, Y15, Y15
	ADDQ   $8, BX
	JMP    loop

done:
	VZEROUPPER
	RET

DATA iotad<>+0(SB)/4, $0
DATA iotad<>+4(SB)/4, $1
DATA iotad<>+8(SB)/4, $2
DATA iotad<>+12(SB)/4, $3
DATA iotad<>+16(SB)/4, $4
DATA iotad<>+20(SB)/4, $5
DATA iotad<>+24(SB)/4, $6
DATA iotad<>+28(SB)/4, $7
GLOBL iotad<>(SB), RODATA|NOPTR, $32

// func accumulateRowAVX2(lab *int32, l, a, b *int16, n int, sums *int64, y int)
//
// For each run of equal labels k in lab[0:n], adds to sums[6k:6k+6] the
// run's ΣL, Σa, Σb, length, 2Σx and y·length. Reads up to 7 elements past
// n of every array (the caller guarantees they exist); runs must be
// shorter than 2^21 pixels so the int32 lane sums cannot overflow.
TEXT ·accumulateRowAVX2(SB), NOSPLIT, $0-56
	MOVQ lab+0(FP), DI
	MOVQ l+8(FP), SI
	MOVQ a+16(FP), R8
	MOVQ b+24(FP), R9
	MOVQ n+32(FP), CX
	MOVQ sums+40(FP), R10
	MOVQ y+48(FP), R11
	VMOVDQU iotad<>(SB), Y14
	XORQ BX, BX

run:
	CMPQ BX, CX
	JGE  done
	MOVLQZX (DI)(BX*4), R13   // k
	MOVQ    BX, R12           // start
	VMOVD   R13, X15
	VPBROADCASTD X15, Y15
	VPXOR   Y0, Y0, Y0
	VPXOR   Y1, Y1, Y1
	VPXOR   Y2, Y2, Y2

block:
	VPCMPEQD (DI)(BX*4), Y15, Y3
	VMOVMSKPS Y3, AX
	MOVQ CX, DX
	SUBQ BX, DX               // pixels left in the row
	CMPQ DX, $8
	JGE  inrange
	BZHIL DX, AX, AX          // drop lanes past n

inrange:
	CMPL AX, $0xff
	JNE  partial
	VPMOVSXWD (SI)(BX*2), Y4
	VPADDD  Y4, Y0, Y0
	VPMOVSXWD (R8)(BX*2), Y4
	VPADDD  Y4, Y1, Y1
	VPMOVSXWD (R9)(BX*2), Y4
	VPADDD  Y4, Y2, Y2
	ADDQ $8, BX
	JMP  block

partial:
	NOTL   AX
	TZCNTL AX, AX             // lanes still in the run
	VMOVD  AX, X5
	VPBROADCASTD X5, Y5
	VPCMPGTD Y14, Y5, Y6      // lane < count
	VPMOVSXWD (SI)(BX*2), Y4
	VPAND   Y6, Y4, Y4
	VPADDD  Y4, Y0, Y0
	VPMOVSXWD (R8)(BX*2), Y4
	VPAND   Y6, Y4, Y4
	VPADDD  Y4, Y1, Y1
	VPMOVSXWD (R9)(BX*2), Y4
	VPAND   Y6, Y4, Y4
	VPADDD  Y4, Y2, Y2
	ADDQ AX, BX

	// The run is [R12, BX): fold the lane sums into sums[6k:].
	MOVQ  R13, DX
	IMULQ $48, DX
	ADDQ  R10, DX

	VEXTRACTI128 $1, Y0, X7
	VPADDD X7, X0, X0
	VPSHUFD $0x4e, X0, X7
	VPADDD X7, X0, X0
	VPSHUFD $0xb1, X0, X7
	VPADDD X7, X0, X0
	VMOVD  X0, AX
	MOVLQSX AX, AX
	ADDQ   AX, 0(DX)

	VEXTRACTI128 $1, Y1, X7
	VPADDD X7, X1, X1
	VPSHUFD $0x4e, X1, X7
	VPADDD X7, X1, X1
	VPSHUFD $0xb1, X1, X7
	VPADDD X7, X1, X1
	VMOVD  X1, AX
	MOVLQSX AX, AX
	ADDQ   AX, 8(DX)

	VEXTRACTI128 $1, Y2, X7
	VPADDD X7, X2, X2
	VPSHUFD $0x4e, X2, X7
	VPADDD X7, X2, X2
	VPSHUFD $0xb1, X2, X7
	VPADDD X7, X2, X2
	VMOVD  X2, AX
	MOVLQSX AX, AX
	ADDQ   AX, 16(DX)

	MOVQ  BX, R14
	SUBQ  R12, R14            // length
	ADDQ  R14, 24(DX)
	LEAQ  -1(R12)(BX*1), AX   // start + end - 1
	IMULQ R14, AX
	ADDQ  AX, 32(DX)
	MOVQ  R11, AX
	IMULQ R14, AX
	ADDQ  AX, 40(DX)
	JMP   run

done:
	VZEROUPPER
	RET

DATA iota16<>+0(SB)/4, $0x00000000
DATA iota16<>+4(SB)/4, $0x3f800000
DATA iota16<>+8(SB)/4, $0x40000000
DATA iota16<>+12(SB)/4, $0x40400000
DATA iota16<>+16(SB)/4, $0x40800000
DATA iota16<>+20(SB)/4, $0x40a00000
DATA iota16<>+24(SB)/4, $0x40c00000
DATA iota16<>+28(SB)/4, $0x40e00000
DATA iota16<>+32(SB)/4, $0x41000000
DATA iota16<>+36(SB)/4, $0x41100000
DATA iota16<>+40(SB)/4, $0x41200000
DATA iota16<>+44(SB)/4, $0x41300000
DATA iota16<>+48(SB)/4, $0x41400000
DATA iota16<>+52(SB)/4, $0x41500000
DATA iota16<>+56(SB)/4, $0x41600000
DATA iota16<>+60(SB)/4, $0x41700000
GLOBL iota16<>(SB), RODATA|NOPTR, $64

DATA sixteen<>+0(SB)/4, $0x41800000
GLOBL sixteen<>(SB), RODATA|NOPTR, $4


// func accumulateRowAVX512(lab *int32, l, a, b *int16, n int, sums *int64, y int)
//
// accumulateRowAVX2 on sixteen pixels at a time; masked loads read nothing
// past n. Runs must be shorter than 2^22 pixels.
TEXT ·accumulateRowAVX512(SB), NOSPLIT, $0-56
	MOVQ lab+0(FP), DI
	MOVQ l+8(FP), SI
	MOVQ a+16(FP), R8
	MOVQ b+24(FP), R9
	MOVQ n+32(FP), CX
	MOVQ sums+40(FP), R10
	MOVQ y+48(FP), R11
	XORQ BX, BX

run512:
	CMPQ BX, CX
	JGE  done512a
	MOVLQZX (DI)(BX*4), R13   // k
	MOVQ    BX, R12           // start
	VPBROADCASTD R13, Z15
	VPXORD  Z0, Z0, Z0
	VPXORD  Z1, Z1, Z1
	VPXORD  Z2, Z2, Z2

block512:
	MOVQ CX, DX
	SUBQ BX, DX               // pixels left in the row, ≥ 1
	MOVQ $0xffff, AX
	CMPQ DX, $16
	JGE  ranged
	MOVQ  $1, AX
	SHLXQ DX, AX, AX
	DECQ  AX

ranged:
	KMOVW AX, K2
	VPCMPEQD (DI)(BX*4), Z15, K2, K1
	KMOVW K1, R14
	CMPL  R14, $0xffff
	JNE   partial512
	VPMOVSXWD (SI)(BX*2), Z4
	VPADDD  Z4, Z0, Z0
	VPMOVSXWD (R8)(BX*2), Z4
	VPADDD  Z4, Z1, Z1
	VPMOVSXWD (R9)(BX*2), Z4
	VPADDD  Z4, Z2, Z2
	ADDQ $16, BX
	JMP  block512

partial512:
	NOTL   R14
	TZCNTL R14, R14           // lanes still in the run
	MOVQ   $1, AX
	SHLXQ  R14, AX, AX
	DECQ   AX
	KMOVW  AX, K3
	VPMOVSXWD.Z (SI)(BX*2), K3, Z4
	VPADDD  Z4, Z0, Z0
	VPMOVSXWD.Z (R8)(BX*2), K3, Z4
	VPADDD  Z4, Z1, Z1
	VPMOVSXWD.Z (R9)(BX*2), K3, Z4
	VPADDD  Z4, Z2, Z2
	ADDQ R14, BX

	MOVQ  R13, DX
	IMULQ $48, DX
	ADDQ  R10, DX

	// Fold the three 16-lane sums to [ΣL, Σa, Σb, Σb] in X0.
	VEXTRACTI64X4 $1, Z0, Y7
	VPADDD  Y7, Y0, Y0
	VEXTRACTI64X4 $1, Z1, Y7
	VPADDD  Y7, Y1, Y1
	VEXTRACTI64X4 $1, Z2, Y7
	VPADDD  Y7, Y2, Y2
	VPHADDD Y1, Y0, Y0
	VPHADDD Y2, Y2, Y2
	VPHADDD Y2, Y0, Y0
	VEXTRACTI128 $1, Y0, X7
	VPADDD  X7, X0, X0
	VPMOVSXDQ X0, Y0          // as int64
	VMOVDQU (DX), X7
	VPADDQ  X7, X0, X7
	VMOVDQU X7, (DX)          // sums[0], sums[1]
	VEXTRACTI128 $1, Y0, X7
	VMOVQ   X7, AX
	ADDQ    AX, 16(DX)        // sums[2]

	MOVQ  BX, R14
	SUBQ  R12, R14            // length
	ADDQ  R14, 24(DX)
	LEAQ  -1(R12)(BX*1), AX   // start + end - 1
	IMULQ R14, AX
	ADDQ  AX, 32(DX)
	MOVQ  R11, AX
	IMULQ R14, AX
	ADDQ  AX, 40(DX)
	JMP   run512

done512a:
	VZEROUPPER
	RET

DATA onef<>+0(SB)/4, $0x3f800000
GLOBL onef<>(SB), RODATA|NOPTR, $4

// func assignWindowAVX512(l, a, b *float32, d *float32, lab *int32, w, n, rows int, p *kparams, sx *float32)
//
// For each of rows rows (stride w elements), computes wdy2 = (dy·dy)·w
// with dy = (y0 + r) − cy in float32, as assignWindow's Go loop does, and
// runs assignRowGo's computation on sixteen pixels at a time over n
// pixels, reading float32 planes.
TEXT ·assignWindowAVX512(SB), NOSPLIT, $0-80
	MOVQ l+0(FP), SI
	MOVQ a+8(FP), DI
	MOVQ b+16(FP), R8
	MOVQ d+24(FP), R9
	MOVQ lab+32(FP), R10
	MOVQ w+40(FP), R11
	MOVQ n+48(FP), CX
	MOVQ rows+56(FP), R12
	MOVQ p+64(FP), AX
	MOVQ sx+72(FP), R13

	VBROADCASTSS 0(AX), Z8    // cl
	VBROADCASTSS 4(AX), Z9    // ca
	VBROADCASTSS 8(AX), Z10   // cb
	VBROADCASTSS 12(AX), Z11  // cx
	VBROADCASTSS 16(AX), Z12  // w
	VPBROADCASTD 24(AX), Z14  // k
	VBROADCASTSS 28(AX), Z6   // x0
	VADDPS iota16<>(SB), Z6, Z6 // x of lanes 0..15 at the row start
	VBROADCASTSS sixteen<>(SB), Z7
	VMOVSS 32(AX), X20        // cy
	VMOVSS 36(AX), X21        // y (current row)
	VMOVSS 16(AX), X22        // w
	VMOVSS onef<>(SB), X23

	// Partial mask for the last block of every row.
	MOVQ CX, DX
	ANDQ $15, DX
	MOVQ $1, AX
	SHLXQ DX, AX, AX
	DECQ AX
	KMOVQ AX, K3
	MOVQ CX, R14
	ANDQ $-16, R14            // end of the whole blocks

	SHLQ $2, R11              // bytes per row

	// sx[i] = (dx·dx)·w for the window's columns, once for all rows
	// (sx has room for n rounded up to 16).
	VMOVAPS Z6, Z15
	XORQ BX, BX
wsx:
	CMPQ BX, CX
	JGE  wrow
	VSUBPS  Z11, Z15, Z2
	VMULPS  Z2, Z2, Z2
	VMULPS  Z12, Z2, Z2
	VMOVUPS Z2, (R13)(BX*4)
	VADDPS  Z7, Z15, Z15
	ADDQ $16, BX
	JMP  wsx

wrow:
	TESTQ R12, R12
	JLE   wdone
	VSUBSS X20, X21, X24      // dy = y - cy
	VMULSS X24, X24, X24      // dy*dy
	VMULSS X22, X24, X24      // (dy*dy)*w
	VBROADCASTSS X24, Z13     // wdy2
	XORQ BX, BX

	// Whole blocks of sixteen: plain loads.
	CMPQ R14, $0
	JE   wtail
wfull:
	VMOVUPS (SI)(BX*4), Z0
	VSUBPS  Z8, Z0, Z0
	VMULPS  Z0, Z0, Z0
	VMOVUPS (DI)(BX*4), Z1
	VSUBPS  Z9, Z1, Z1
	VMULPS  Z1, Z1, Z1
	VADDPS  Z1, Z0, Z0
	VMOVUPS (R8)(BX*4), Z1
	VSUBPS  Z10, Z1, Z1
	VMULPS  Z1, Z1, Z1
	VADDPS  Z1, Z0, Z0
	VMOVUPS (R13)(BX*4), Z2   // (dx·dx)·w
	VADDPS  Z13, Z2, Z2
	VADDPS  Z2, Z0, Z0
	VCMPPS  $1, (R9)(BX*4), Z0, K1 // K1 = D < best
	VMOVUPS Z0, K1, (R9)(BX*4)
	VMOVDQU32 Z14, K1, (R10)(BX*4)
	ADDQ $16, BX
	CMPQ BX, R14
	JLT  wfull

wtail:
	// The last partial block: masked loads, nothing read past n.
	CMPQ BX, CX
	JGE  wnext
	VMOVUPS.Z (SI)(BX*4), K3, Z0
	VSUBPS  Z8, Z0, Z0
	VMULPS  Z0, Z0, Z0
	VMOVUPS.Z (DI)(BX*4), K3, Z1
	VSUBPS  Z9, Z1, Z1
	VMULPS  Z1, Z1, Z1
	VADDPS  Z1, Z0, Z0
	VMOVUPS.Z (R8)(BX*4), K3, Z1
	VSUBPS  Z10, Z1, Z1
	VMULPS  Z1, Z1, Z1
	VADDPS  Z1, Z0, Z0
	VMOVUPS (R13)(BX*4), Z2
	VADDPS  Z13, Z2, Z2
	VADDPS  Z2, Z0, Z0
	VMOVUPS.Z (R9)(BX*4), K3, Z3
	VCMPPS  $1, Z3, Z0, K3, K1
	VMOVUPS Z0, K1, (R9)(BX*4)
	VMOVDQU32 Z14, K1, (R10)(BX*4)

wnext:
	VADDSS X23, X21, X21      // next row's y
	ADDQ R11, SI
	ADDQ R11, DI
	ADDQ R11, R8
	ADDQ R11, R9
	ADDQ R11, R10
	DECQ R12
	JMP  wrow

wdone:
	VZEROUPPER
	RET

// FINTERP evaluates the f(t) table at the sixteen t in zv, as
// labLUT.fInterp does, leaving the result in zv. R11 = &f[0], R12 = &f[1].
#define FINTERP(zv) \
	VMULPS Z26, zv, Z11 \
	VCVTTPS2DQ Z11, Z12 \
	VCVTDQ2PS Z12, Z13 \
	VSUBPS Z13, Z11, Z11 \
	KXNORW K1, K1, K1 \
	VGATHERDPS (R11)(Z12*4), K1, Z13 \
	KXNORW K1, K1, K1 \
	VGATHERDPS (R12)(Z12*4), K1, zv \
	VSUBPS Z13, zv, zv \
	VMULPS Z11, zv, zv \
	VADDPS zv, Z13, zv

// FIXSTORE rounds sixteen Lab values in zv to int16 as fixLab does and
// stores the lanes selected by K2 at (dst)(BX*2), and the same values as
// float32 at (fdst)(BX*4).
#define FIXSTORE(zv, dst, fdst) \
	VADDPS Z30, zv, zv \
	VCVTTPS2DQ zv, zv \
	VPSUBD Z31, zv, zv \
	VPMOVDW zv, K2, (dst)(BX*2) \
	VCVTDQ2PS zv, zv \
	VMOVUPS zv, K2, (fdst)(BX*4)

// func labRowAVX512(px *uint8, l, a, b *int16, lf, af, bf *float32, n int, lin, f, m *float32)
//
// labLUT.linear on sixteen RGBA pixels at a time, with the same float32
// operations in the same order, storing the fixed-point values both as
// int16 and as float32; the last partial block is masked. (R15 is free:
// the function reads no global data.)
TEXT ·labRowAVX512(SB), NOSPLIT, $0-88
	MOVQ px+0(FP), SI
	MOVQ l+8(FP), DI
	MOVQ a+16(FP), R8
	MOVQ b+24(FP), R9
	MOVQ lf+32(FP), R13
	MOVQ af+40(FP), R14
	MOVQ bf+48(FP), R15
	MOVQ n+56(FP), CX
	MOVQ lin+64(FP), R10
	MOVQ f+72(FP), R11
	MOVQ m+80(FP), AX
	LEAQ 4(R11), R12

	VBROADCASTSS 0(AX), Z16
	VBROADCASTSS 4(AX), Z17
	VBROADCASTSS 8(AX), Z18
	VBROADCASTSS 12(AX), Z19
	VBROADCASTSS 16(AX), Z20
	VBROADCASTSS 20(AX), Z21
	VBROADCASTSS 24(AX), Z22
	VBROADCASTSS 28(AX), Z23
	VBROADCASTSS 32(AX), Z24
	MOVL $0xff, AX
	VPBROADCASTD AX, Z25
	MOVL $0x45800000, AX      // 4096
	VPBROADCASTD AX, Z26
	MOVL $0x42e80000, AX      // 116
	VPBROADCASTD AX, Z27
	MOVL $0x41800000, AX      // 16
	VPBROADCASTD AX, Z28
	MOVL $0x42800000, AX      // 64
	VPBROADCASTD AX, Z29
	MOVL $0x47000080, AX      // 32768.5
	VPBROADCASTD AX, Z30
	MOVL $32768, AX
	VPBROADCASTD AX, Z31
	MOVL $0x46fa0000, AX      // 32000
	VPBROADCASTD AX, Z14
	MOVL $0x46480000, AX      // 12800
	VPBROADCASTD AX, Z15

	XORQ BX, BX

lloop:
	MOVQ CX, DX
	SUBQ BX, DX
	JLE  ldone
	MOVQ $-1, AX
	CMPQ DX, $16
	JGE  lmask
	MOVQ  $1, AX
	SHLXQ DX, AX, AX
	DECQ  AX

lmask:
	KMOVQ AX, K2
	VMOVDQU32.Z (SI)(BX*4), K2, Z0
	VPANDD  Z25, Z0, Z1
	VPSRLD  $8, Z0, Z2
	VPANDD  Z25, Z2, Z2
	VPSRLD  $16, Z0, Z3
	VPANDD  Z25, Z3, Z3
	KXNORW  K1, K1, K1
	VGATHERDPS (R10)(Z1*4), K1, Z4
	KXNORW  K1, K1, K1
	VGATHERDPS (R10)(Z2*4), K1, Z5
	KXNORW  K1, K1, K1
	VGATHERDPS (R10)(Z3*4), K1, Z6

	VMULPS Z16, Z4, Z7
	VMULPS Z17, Z5, Z8
	VADDPS Z8, Z7, Z7
	VMULPS Z18, Z6, Z8
	VADDPS Z8, Z7, Z7         // X
	VMULPS Z19, Z4, Z9
	VMULPS Z20, Z5, Z8
	VADDPS Z8, Z9, Z9
	VMULPS Z21, Z6, Z8
	VADDPS Z8, Z9, Z9         // Y
	VMULPS Z22, Z4, Z10
	VMULPS Z23, Z5, Z8
	VADDPS Z8, Z10, Z10
	VMULPS Z24, Z6, Z8
	VADDPS Z8, Z10, Z10       // Z

	FINTERP(Z7)               // fx
	FINTERP(Z9)               // fy
	FINTERP(Z10)              // fz

	VMULPS Z27, Z9, Z0        // 116·fy
	VSUBPS Z28, Z0, Z0        // − 16
	VMULPS Z29, Z0, Z0        // · 64
	FIXSTORE(Z0, DI, R13)
	VSUBPS Z9, Z7, Z0         // fx − fy
	VMULPS Z14, Z0, Z0
	FIXSTORE(Z0, R8, R14)
	VSUBPS Z10, Z9, Z0        // fy − fz
	VMULPS Z15, Z0, Z0
	FIXSTORE(Z0, R9, R15)

	ADDQ $16, BX
	JMP  lloop

ldone:
	VZEROUPPER
	RET

// func accumulateRowVecAVX512(lab *int32, l, a, b *int16, n int, sums *int64, y int, vacc *int32)
//
// accumulateRowAVX512, except that each run's colour sums are added lane
// by lane to vacc[48k:48k+48] (ΣL, Σa, Σb in sixteen int32 lanes each)
// instead of being reduced: the caller reduces vacc into sums before any
// lane can overflow (fewer than 2^18 pixels between reductions).
TEXT ·accumulateRowVecAVX512(SB), NOSPLIT, $0-64
	MOVQ lab+0(FP), DI
	MOVQ l+8(FP), SI
	MOVQ a+16(FP), R8
	MOVQ b+24(FP), R9
	MOVQ n+32(FP), CX
	MOVQ sums+40(FP), R10
	MOVQ y+48(FP), R11
	XORQ BX, BX

vrun512:
	CMPQ BX, CX
	JGE  vdone512a
	MOVLQZX (DI)(BX*4), R13   // k
	MOVQ    BX, R12           // start
	VPBROADCASTD R13, Z15
	VPXORD  Z0, Z0, Z0
	VPXORD  Z1, Z1, Z1
	VPXORD  Z2, Z2, Z2

vblock512:
	MOVQ CX, DX
	SUBQ BX, DX               // pixels left in the row, ≥ 1
	MOVQ $0xffff, AX
	CMPQ DX, $16
	JGE  vranged
	MOVQ  $1, AX
	SHLXQ DX, AX, AX
	DECQ  AX

vranged:
	KMOVW AX, K2
	VPCMPEQD (DI)(BX*4), Z15, K2, K1
	KMOVW K1, R14
	CMPL  R14, $0xffff
	JNE   vpartial512
	VPMOVSXWD (SI)(BX*2), Z4
	VPADDD  Z4, Z0, Z0
	VPMOVSXWD (R8)(BX*2), Z4
	VPADDD  Z4, Z1, Z1
	VPMOVSXWD (R9)(BX*2), Z4
	VPADDD  Z4, Z2, Z2
	ADDQ $16, BX
	JMP  vblock512

vpartial512:
	NOTL   R14
	TZCNTL R14, R14           // lanes still in the run
	MOVQ   $1, AX
	SHLXQ  R14, AX, AX
	DECQ   AX
	KMOVW  AX, K3
	VPMOVSXWD.Z (SI)(BX*2), K3, Z4
	VPADDD  Z4, Z0, Z0
	VPMOVSXWD.Z (R8)(BX*2), K3, Z4
	VPADDD  Z4, Z1, Z1
	VPMOVSXWD.Z (R9)(BX*2), K3, Z4
	VPADDD  Z4, Z2, Z2
	ADDQ R14, BX

	MOVQ  R13, DX
	IMULQ $48, DX
	ADDQ  R10, DX

	// Add the three 16-lane sums to the label's lanes in vacc.
	MOVQ  R13, AX
	IMULQ $192, AX
	ADDQ  vacc+56(FP), AX
	VPADDD  (AX), Z0, Z0
	VMOVDQU32 Z0, (AX)
	VPADDD  64(AX), Z1, Z1
	VMOVDQU32 Z1, 64(AX)
	VPADDD  128(AX), Z2, Z2
	VMOVDQU32 Z2, 128(AX)

	MOVQ  BX, R14
	SUBQ  R12, R14            // length
	ADDQ  R14, 24(DX)
	LEAQ  -1(R12)(BX*1), AX   // start + end - 1
	IMULQ R14, AX
	ADDQ  AX, 32(DX)
	MOVQ  R11, AX
	IMULQ R14, AX
	ADDQ  AX, 40(DX)
	JMP   vrun512

vdone512a:
	VZEROUPPER
	RET
