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
