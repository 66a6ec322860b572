// Package features turns images into embeddings with a pretrained CNN and
// learns classifiers on them: transfer learning as the MMLSpark "Deep
// Learning Without Labels" seed does it. A network trained on millions of
// photos, with its classifier cut off, maps each image to a vector in which
// most visual concepts are close to linearly separable; a logistic
// regression then learns the target class from a few hundred weakly
// labelled images.
//
//	feat := &features.ImageFeaturizer{}             // embedded MobileNetV2
//	head := &features.LogisticRegression{Balanced: true}
//	p, err := labelfree.NewPipeline(feat, head)
//	model, scored, err := ex.Fit(ctx, p, ds)        // ds has Image and Label
//	m, err := features.Evaluate(scored)             // accuracy, ROC AUC, ...
//
// # Backbones
//
// A Backbone is the network: it states the input it expects (InputSpec:
// size, NCHW or NHWC layout, RGB/BGR/Gray, per-channel mean and standard
// deviation) and maps a batch of prepared images to embeddings.
// ImageFeaturizer does the preparation (decoding, centre crop or stretch,
// area-filtered bilinear resize, normalisation) for any backbone, so a
// backbone only runs its network.
//
// DefaultBackbone is MobileNetV2 (Keras, width 1.0, ImageNet-initialised)
// from the npm package nsfwjs 4.3.0 (MIT licence, Copyright (c) 2019
// Infinite Red, Inc.; see models/NOTICE.md), converted to ONNX by
// models/convert_nsfwjs_mobilenetv2.py with its weights kept uint8
// quantised, and embedded in this package (2.4 MB). It takes RGB 224×224
// images scaled to [0, 1] and returns the 1280-d global average pool of
// its last convolution. Its conversion is checked against TF.js running
// the original model (largest difference 8e-5 on values up to 2), and the
// tests check the whole featurizer against that reference. nsfwjs
// fine-tuned its last blocks to tell photos from drawings, so the
// embedding is generic but not a pure ImageNet one; for best accuracy use
// a larger ImageNet network such as ResNet-50 (below).
//
// LoadONNX runs any ONNX image model with labelfree's pure-Go engine:
// name the value to use as the embedding (ONNXConfig.Output, listed by
// ONNXBackbone.Values) or cut layers off the end (ONNXConfig.CutLayers),
// and pool spatial outputs with ONNXConfig.Pool. Saved pipelines carry the
// model bytes with them.
//
// # Exporting ResNet-50 from torchvision
//
// No model hub is needed at run time; export the network once, on a
// machine with internet access and PyTorch:
//
//	import torch, torchvision
//	m = torchvision.models.resnet50(weights="IMAGENET1K_V2").eval()
//	m.fc = torch.nn.Identity()  # cut the classifier: 2048-d embedding
//	torch.onnx.export(m, torch.zeros(1, 3, 224, 224), "resnet50.onnx",
//	    input_names=["input"], output_names=["embedding"],
//	    dynamic_axes={"input": {0: "N"}, "embedding": {0: "N"}},
//	    opset_version=13)
//
// and use it from Go with torchvision's preprocessing (ImageNet mean and
// standard deviation, the default of a zero ONNXConfig.Spec, and the
// 224/256 centre crop):
//
//	f, err := os.Open("resnet50.onnx")
//	bb, err := features.LoadONNX(f, features.ONNXConfig{})
//	feat := &features.ImageFeaturizer{Backbone: bb, CropFraction: 0.875}
//
// Keeping the classifier and cutting it in Go works too:
// ONNXConfig{CutLayers: 1} drops the final Gemm, or name the value, for
// example ONNXConfig{Output: "/Flatten_output_0"}.
//
// # Logistic regression
//
// LogisticRegression fits binary (sigmoid) or multinomial (softmax) models
// with an L2 penalty by L-BFGS (gonum.org/v1/gonum/optimize), or with an
// elastic-net penalty (L1Ratio) by accelerated proximal gradient, minimising
// the same objective as scikit-learn's LogisticRegression(solver="lbfgs"),
// C·Σ sᵢ·ℓᵢ + ½‖W‖², so C means what it means there; the tests compare
// coefficients and probabilities with scikit-learn's on committed
// reference fits (testdata/gen_sklearn.py). Class weights (ClassWeights,
// or Balanced for n/(k·n_c)) counter imbalanced data, such as a search
// that returns many more negatives than snow leopards; Standardize fits on
// scaled features. Each fitted LogisticModel carries a FitResult saying
// why the solver stopped (converged on the gradient or the objective, hit
// MaxIter, or failed), after how many iterations, and at what loss.
//
// Ensemble averages several fitted heads; BaggedLogisticRegression fits
// them on bootstrap samples, or with Balance on class-balanced subsets
// (every row of the rarest class plus an equal draw from each other class)
// so the heads together use every negative while each is trained on
// balanced data.
//
// # Metrics
//
// Evaluate scores any dataset whose rows carry Probabilities and Label:
// accuracy, log loss, ROC AUC (ties count half), average precision (the
// step-wise area under the precision–recall curve) and the confusion
// matrix, with scikit-learn's definitions, checked against its outputs.
// ROCCurve and PRCurve return the curves' points for plotting.
package features
