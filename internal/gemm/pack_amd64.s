//go:build amd64 && !purego

#include "textflag.h"

// func transpose4x4(d *float32, dstride int, s *float32, sstride int, n int)
//
// For p in [0, n) (n a multiple of 4) and i in [0, 4):
// d[p*dstride+i] = s[i*sstride+p]. Four rows of s become n groups of four
// consecutive floats in d, with SSE 4×4 transposes.
TEXT ·transpose4x4(SB), NOSPLIT, $0-40
	MOVQ d+0(FP), DI
	MOVQ dstride+8(FP), DX
	SHLQ $2, DX
	LEAQ (DX)(DX*2), R10
	MOVQ s+16(FP), SI
	MOVQ sstride+24(FP), R8
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R9
	MOVQ n+32(FP), CX
	SHRQ $2, CX
	JZ done

loop:
	MOVUPS (SI), X0
	MOVUPS (SI)(R8*1), X1
	MOVUPS (SI)(R8*2), X2
	MOVUPS (SI)(R9*1), X3
	MOVAPS X0, X4
	UNPCKLPS X1, X4
	UNPCKHPS X1, X0
	MOVAPS X2, X5
	UNPCKLPS X3, X5
	UNPCKHPS X3, X2
	MOVAPS X4, X6
	MOVLHPS X5, X6
	MOVHLPS X4, X5
	MOVAPS X0, X7
	MOVLHPS X2, X7
	MOVHLPS X0, X2
	MOVUPS X6, (DI)
	MOVUPS X5, (DI)(DX*1)
	MOVUPS X7, (DI)(DX*2)
	MOVUPS X2, (DI)(R10*1)
	ADDQ $16, SI
	LEAQ (DI)(DX*4), DI
	DECQ CX
	JNZ loop

done:
	RET
