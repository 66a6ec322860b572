package lime

import (
	"errors"
	"math"

	"gonum.org/v1/gonum/mat"
)

type ridgeFit struct {
	coef      []float64
	intercept float64
	r2        float64
	// constant is set when y did not vary over the weighted samples.
	constant bool
}

// ridge fits y ≈ intercept + X·coef by weighted ridge regression with an
// unpenalised intercept (scikit-learn's Ridge with sample_weight). X is
// binary, stored row-major in masks with n columns. Sums over the on
// entries of each row make the normal equations cost O(samples·on²).
func ridge(masks []bool, n int, y, w []float64, alpha float64) (ridgeFit, error) {
	samples := len(y)
	var sw, swy float64
	sx := make([]float64, n)  // Σ w x
	sxy := make([]float64, n) // Σ w x y
	S := make([]float64, n*n) // Σ w x xᵀ (upper triangle)
	on := make([]int, 0, n)
	for s := 0; s < samples; s++ {
		ws := w[s]
		if ws == 0 {
			continue
		}
		sw += ws
		swy += ws * y[s]
		on = on[:0]
		for k, v := range masks[s*n : (s+1)*n] {
			if v {
				on = append(on, k)
			}
		}
		for a, i := range on {
			sx[i] += ws
			sxy[i] += ws * y[s]
			row := S[i*n:]
			for _, j := range on[a:] {
				row[j] += ws
			}
		}
	}
	if sw == 0 {
		return ridgeFit{}, errors.New("every sample has zero weight")
	}
	ybar := swy / sw
	xbar := make([]float64, n)
	for i := range xbar {
		xbar[i] = sx[i] / sw
	}
	A := mat.NewSymDense(n, nil)
	b := mat.NewVecDense(n, nil)
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			v := S[i*n+j] - sw*xbar[i]*xbar[j]
			if i == j {
				v += alpha
			}
			A.SetSym(i, j, v)
		}
		b.SetVec(i, sxy[i]-sw*xbar[i]*ybar)
	}
	var chol mat.Cholesky
	if !chol.Factorize(A) {
		// Singular without a penalty (a superpixel always on, say): add
		// the smallest ridge that makes it solvable.
		tr := 0.0
		for i := 0; i < n; i++ {
			tr += A.At(i, i)
		}
		eps := 1e-9 * math.Max(tr/float64(n), 1)
		for i := 0; i < n; i++ {
			A.SetSym(i, i, A.At(i, i)+eps)
		}
		if !chol.Factorize(A) {
			return ridgeFit{}, errors.New("normal equations are singular")
		}
	}
	var beta mat.VecDense
	if err := chol.SolveVecTo(&beta, b); err != nil {
		return ridgeFit{}, err
	}
	fit := ridgeFit{coef: make([]float64, n)}
	fit.intercept = ybar
	for i := range fit.coef {
		fit.coef[i] = beta.AtVec(i)
		fit.intercept -= fit.coef[i] * xbar[i]
	}

	var ssRes, ssTot float64
	for s := 0; s < samples; s++ {
		pred := fit.intercept
		for k, v := range masks[s*n : (s+1)*n] {
			if v {
				pred += fit.coef[k]
			}
		}
		ssRes += w[s] * (y[s] - pred) * (y[s] - pred)
		ssTot += w[s] * (y[s] - ybar) * (y[s] - ybar)
	}
	if ssTot <= 1e-12*sw {
		fit.constant = true
		return fit, nil
	}
	fit.r2 = 1 - ssRes/ssTot
	return fit, nil
}
