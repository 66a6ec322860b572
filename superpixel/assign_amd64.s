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

// func assignRowAVX512(l, a, b *int16, d *float32, lab *int32, n int, p *kparams)
//
// assignRowGo on sixteen pixels at a time; the last partial block uses
// masked loads and stores, so nothing past n is read or written.
TEXT ·assignRowAVX512(SB), NOSPLIT, $0-56
	MOVQ l+0(FP), SI
	MOVQ a+8(FP), DI
	MOVQ b+16(FP), R8
	MOVQ d+24(FP), R9
	MOVQ lab+32(FP), R10
	MOVQ n+40(FP), CX
	MOVQ p+48(FP), AX

	VBROADCASTSS 0(AX), Z8    // cl
	VBROADCASTSS 4(AX), Z9    // ca
	VBROADCASTSS 8(AX), Z10   // cb
	VBROADCASTSS 12(AX), Z11  // cx
	VBROADCASTSS 16(AX), Z12  // w
	VBROADCASTSS 20(AX), Z13  // wdy2
	VPBROADCASTD 24(AX), Z14  // k
	VBROADCASTSS 28(AX), Z15  // x0
	VADDPS iota16<>(SB), Z15, Z15
	VBROADCASTSS sixteen<>(SB), Z7

	XORQ BX, BX
	MOVQ $-1, DX
	KMOVQ DX, K2              // all lanes

loop512:
	MOVQ CX, DX
	SUBQ BX, DX               // pixels left
	JLE  done512
	CMPQ DX, $16
	JGE  body512
	MOVQ $1, AX
	SHLXQ DX, AX, AX
	DECQ AX
	KMOVQ AX, K2              // the last partial block

body512:
	VPMOVSXWD.Z (SI)(BX*2), K2, Z0
	VCVTDQ2PS Z0, Z0
	VSUBPS  Z8, Z0, Z0        // dl
	VMULPS  Z0, Z0, Z0
	VPMOVSXWD.Z (DI)(BX*2), K2, Z1
	VCVTDQ2PS Z1, Z1
	VSUBPS  Z9, Z1, Z1        // da
	VMULPS  Z1, Z1, Z1
	VADDPS  Z1, Z0, Z0
	VPMOVSXWD.Z (R8)(BX*2), K2, Z1
	VCVTDQ2PS Z1, Z1
	VSUBPS  Z10, Z1, Z1       // db
	VMULPS  Z1, Z1, Z1
	VADDPS  Z1, Z0, Z0

	VSUBPS  Z11, Z15, Z2      // dx
	VMULPS  Z2, Z2, Z2
	VMULPS  Z12, Z2, Z2
	VADDPS  Z13, Z2, Z2
	VADDPS  Z2, Z0, Z0        // D

	VMOVUPS.Z (R9)(BX*4), K2, Z3
	VCMPPS  $1, Z3, Z0, K2, K1 // K1 = in range && D < best
	VMOVUPS Z0, K1, (R9)(BX*4)
	VMOVDQU32 Z14, K1, (R10)(BX*4)

	VADDPS Z7, Z15, Z15
	ADDQ   $16, BX
	JMP    loop512

done512:
	VZEROUPPER
	RET

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

	VEXTRACTI64X4 $1, Z0, Y7
	VPADDD Y7, Y0, Y0
	VEXTRACTI128 $1, Y0, X7
	VPADDD X7, X0, X0
	VPSHUFD $0x4e, X0, X7
	VPADDD X7, X0, X0
	VPSHUFD $0xb1, X0, X7
	VPADDD X7, X0, X0
	VMOVD  X0, AX
	MOVLQSX AX, AX
	ADDQ   AX, 0(DX)

	VEXTRACTI64X4 $1, Z1, Y7
	VPADDD Y7, Y1, Y1
	VEXTRACTI128 $1, Y1, X7
	VPADDD X7, X1, X1
	VPSHUFD $0x4e, X1, X7
	VPADDD X7, X1, X1
	VPSHUFD $0xb1, X1, X7
	VPADDD X7, X1, X1
	VMOVD  X1, AX
	MOVLQSX AX, AX
	ADDQ   AX, 8(DX)

	VEXTRACTI64X4 $1, Z2, Y7
	VPADDD Y7, Y2, Y2
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
	JMP   run512

done512a:
	VZEROUPPER
	RET
