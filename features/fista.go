package features

import (
	"context"
	"math"

	"gonum.org/v1/gonum/optimize"
)

// fista minimises obj + l1·‖W‖₁ (intercepts unpenalised) by FISTA with
// backtracking (Beck and Teboulle, 2009) and a monotone restart of the
// momentum (O'Donoghue and Candès, 2015). It stops when the largest
// component of the proximal gradient L·(y − prox(y − ∇f(y)/L)) falls below
// tol (GradientThreshold), when three steps in a row no longer lower the
// objective in floating point (FunctionConvergence), or after maxIter
// iterations.
func fista(ctx context.Context, obj *logisticObjective, l1, tol float64, maxIter int) (x []float64, status optimize.Status, iters, evals int, err error) {
	size := obj.size()
	nw := obj.outs * obj.d
	x = make([]float64, size)
	y := make([]float64, size)
	z := make([]float64, size)
	gy := make([]float64, size)
	gz := make([]float64, size)
	F := func(v []float64, f float64) float64 { return f + l1*l1Norm(v[:nw]) }
	fy := obj.eval(y, gy)
	evals++
	fx := F(x, fy)
	L, t := 1.0, 1.0
	const eps = 0x1p-52
	stalls := 0
	for iters = 1; iters <= maxIter; iters++ {
		if err := ctx.Err(); err != nil {
			return nil, optimize.Failure, iters, evals, err
		}
		var fz float64
		for {
			step := 1 / L
			for i := range z {
				v := y[i] - step*gy[i]
				if i < nw {
					v = softThreshold(v, l1*step)
				}
				z[i] = v
			}
			fz = obj.eval(z, gz)
			evals++
			// Sufficient decrease of the smooth part along d = z − y.
			q := fy
			dd := 0.0
			for i := range z {
				d := z[i] - y[i]
				q += gy[i] * d
				dd += d * d
			}
			if fz <= q+L/2*dd+1e-12*math.Abs(fy) || L > 1e12 {
				break
			}
			L *= 2
		}
		pg := 0.0
		for i := range z {
			pg = math.Max(pg, math.Abs(L*(y[i]-z[i])))
		}
		Fz := F(z, fz)
		if pg < tol {
			copy(x, z)
			return x, optimize.GradientThreshold, iters, evals, nil
		}
		tn := (1 + math.Sqrt(1+4*t*t)) / 2
		if Fz >= fx-4*eps*math.Abs(fx) {
			// No progress: restart the momentum, which overshot, or stop
			// when even a plain proximal step from x gains nothing in
			// floating point.
			if stalls++; stalls >= 3 {
				return x, optimize.FunctionConvergence, iters, evals, nil
			}
			if Fz < fx {
				copy(x, z)
				fx = Fz
			}
			copy(y, x)
			t = 1
		} else {
			stalls = 0
			for i := range y {
				y[i] = z[i] + (t-1)/tn*(z[i]-x[i])
			}
			copy(x, z)
			fx = Fz
			t = tn
		}
		fy = obj.eval(y, gy)
		evals++
		L = math.Max(L/1.5, 1e-12) // let the step grow back
	}
	return x, optimize.IterationLimit, maxIter, evals, nil
}

func softThreshold(v, a float64) float64 {
	switch {
	case v > a:
		return v - a
	case v < -a:
		return v + a
	}
	return 0
}

func l1Norm(w []float64) float64 {
	s := 0.0
	for _, v := range w {
		s += math.Abs(v)
	}
	return s
}

// minNormSubgradient is the component of the smallest subgradient of
// g·w + l1·|w| at w.
func minNormSubgradient(g, w, l1 float64) float64 {
	switch {
	case w > 0:
		return g + l1
	case w < 0:
		return g - l1
	}
	return math.Copysign(math.Max(0, math.Abs(g)-l1), g)
}
