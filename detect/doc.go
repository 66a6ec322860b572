// Package detect trains an object detector on the weak boxes LIME draws,
// runs it (over single images, pipelines or whole camera-trap archives)
// and evaluates detectors against ground truth.
//
// # The detector
//
// Trainer is a labelfree.Estimator over labelfree.Image and a box column
// (labelfree.Boxes, where lime.ImageLIME writes its boxes, by default);
// its fitted Detector writes labelfree.Boxes and saves with the pipeline
// (labelfree.Save), referencing rather than copying the embedded backbone,
// so `serve` loads it like any other stage.
//
// The backbone is the MobileNetV2 embedded in package features (or any
// ONNX classifier), frozen and cut at a stride-16 feature map
// (DefaultFeatureLayer, 96 channels) by the internal ONNX engine (or
// onnxruntime, Trainer.Engine, in a binary built with -tags onnxruntime),
// at a configurable input size (256×192 by default; images are stretched, and
// boxes mapped back per axis). On it sits a small anchor-free head in the
// CenterNet style (Zhou et al., "Objects as Points", 2019): a 3×3
// convolution with ReLU, then per cell one heatmap logit per class and
// four regression values (log width, log height, centre offset). Training
// uses CenterNet's penalty-reduced focal loss on a Gaussian centre heatmap
// (TTFNet's elliptical Gaussian, σ = 0.54·size/6) plus an L1 loss on the
// regression at centre cells; detection takes 3×3 local maxima of the
// heatmap and applies per-class NMS.
//
// Why anchor-free rather than an SSD-style anchored head: the training
// boxes are LIME's, which are loose, shifted and sometimes missing. An
// anchored head matches each box to anchors by IoU thresholds, so a box
// that is 30% too large matches different anchors than the animal would,
// and the assignment flips between near-identical images; a centre heatmap
// only needs the centre to be roughly right, and its Gaussian turns a
// misplaced centre into a soft target rather than a hard negative. It
// also has no anchor shapes, scales or ratios to tune for an animal whose
// size varies from a distant speck to a close-up that fills the frame,
// needs no hard-negative sampling ratio (the focal loss weighs the
// background), and its peaks rarely need NMS at all. Its cost is
// a single 3×3 convolution on a map of about 200 cells: negligible next
// to the backbone, so inference is the cost of one backbone pass.
//
// The backbone is frozen because the training sets are small (hundreds of
// weakly labelled images) and the boxes noisy: fine-tuning a 2-million
// parameter network on them overfits, while the frozen ImageNet-style
// features already separate animals from rocks (the classifier LIME
// explains uses the same ones). Freezing also lets training compute the
// backbone once per image and augmented view and then run every epoch on
// the cached feature maps, so the head trains in seconds on a CPU.
// Negatives (rows without boxes of the detected classes) train the
// background.
//
// Training is mini-batch AdamW (linear warm-up, cosine decay) through a
// Gorgonia graph, with box-correct augmentation (flip, crop/zoom, colour,
// grey "night" shots), early stopping on a held-out split by AP@0.5,
// progress reports, a checkpoint after each epoch that a restarted Fit
// resumes from, and results that depend only on the Seed and the rows.
// The CPU path is complete; the CUDA build of the head (gorgonia's cuda
// tag) is not wired in yet.
//
// # Evaluation
//
// Evaluate computes COCO's bounding-box metrics (pycocotools' matching and
// 101-point interpolated AP at IoU 0.50:0.95, AP@0.5, AP@0.75), the
// operating point at a score threshold and the precision–recall curve, for
// any boxes against any reference: the detector against the truth, LIME
// against the truth, or the detector against the LIME boxes it learned
// from (agreement). NMS and Match are exported for other uses.
//
// # Archives
//
// Archive runs a Detector over a folder tree in parallel with bounded
// memory, journals every finished photo so an interrupted run resumes
// without redoing work, records unreadable files as failures, and returns
// an annot.Set for dataset/megadetector (batch output 1.6) and
// dataset/coco; cmd/labelfree-detect wraps it as a program.
package detect
