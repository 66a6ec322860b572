// Package superpixel divides images into superpixels (small regions of
// similar colour) for labelfree's LIME explanations: SLIC, the Segmentation
// type, perturbation masks and drawing.
//
// SLIC follows Achanta et al. (TPAMI 2012) and takes scikit-image's
// parameters and defaults, so
//
//	seg, err := superpixel.SLIC{Segments: 200}.Segment(ctx, img)
//
// corresponds to skimage.segmentation.slic(img, n_segments=200). It works
// in CIELAB computed through lookup tables, searches only each centre's
// 2S×2S window as the paper does, runs the assignment step over row bands
// on all cores with an AVX kernel where the CPU has one, and reuses its
// buffers between calls.
package superpixel
