// Package labelfree builds an object detector for almost anything findable
// on the web without one hand-made label.
//
// It rebuilds the MMLSpark (SynapseML) "Deep Learning Without Labels"
// workflow as a Go library. Image search gives a weakly labelled dataset
// (the first pages of "snow leopard" are positives, a few images of many
// random-word queries are negatives); a pretrained CNN with its last layers
// cut off turns images into embeddings, on which a logistic regression
// learns "leopard or not"; LIME switches SLIC superpixels off at random,
// scores thousands of perturbed images with that classifier and keeps the
// superpixels that matter as bounding boxes; a detector trained on those
// boxes reproduces them at a tiny fraction of LIME's cost; and the fitted
// pipeline is served over HTTP.
//
// # Packages
//
// One package per stage, each usable on its own:
//
//	search      image-search providers, query generation, rate limits, retries
//	dataset     download, decode, dedupe, label, balance, split, augment, store
//	superpixel  SLIC segmentation, masking and drawing
//	features    ONNX backbones, ImageFeaturizer, LogisticRegression, metrics
//	lime        ImageLIME: explanations and explanation-to-box conversion
//	detect      detector training on weak boxes, inference, NMS, evaluation
//	serve       HTTP serving of a fitted pipeline
//
// This package holds what they share: rows and columns, the stage
// interfaces, pipelines, the local executor and model persistence.
//
// # Rows and typed columns
//
// A Dataset is a list of Rows. A row's values live in typed columns:
// a Column[T] is a key declared once as a package variable, like a
// context.Context key, and Get and Set are checked by the compiler:
//
//	var Score = labelfree.NewColumn[float64]("myapp.score", "the model's score")
//	labelfree.Set(row, Score, 0.93)
//	s, ok := labelfree.Get(row, Score) // s is a float64
//
// Typed column keys were chosen over one row struct of well-known fields
// because every stage package, and every user, can add its own typed values
// (superpixel segmentations, LIME explanations, a user's metadata) without
// this package knowing their types and without import cycles, while user
// code still never handles interface{} values. Each column also carries a
// codec, so rows cross process boundaries (checkpoints, distributed
// runners) unchanged. The well-known columns (Image, Label, Embedding,
// Probabilities, Boxes, ...) are declared here.
//
// A row that a stage cannot process keeps its error in Row.Err; it is never
// dropped. Later stages skip it and every stage's StageReport counts it.
//
// # Stages and pipelines
//
// The API follows SparkML. A Transformer maps a row to a row; an Estimator
// is fitted on a dataset and returns a Transformer (its model); a
// DatasetTransformer works on the whole dataset at once (deduplication,
// splitting). Each stage says in its StageInfo which columns it reads and
// writes, so a Pipeline reports a missing or mistyped column when it is
// assembled or fitted, naming both stages and the column, before any work
// starts. Stage parameters are exported struct fields whose zero value is a
// sensible default, checked by Validate before any work.
//
// A Transformer's per-row work is a pure function of the row and its own
// fitted state, and per-row randomness comes from Row.Seed, which depends
// only on the row's ID. So the Executor may run rows on any number of
// goroutines, and a distributed runner on any number of machines, and the
// results are the same.
//
// # Executing
//
// The Executor runs stages over partitions of rows on up to Workers
// goroutines (GOMAXPROCS by default), reports progress through the small
// Progress interface (NewProgressBar draws it in a terminal), stops
// promptly when its context is cancelled, and, given a Checkpoint, resumes
// an interrupted run without redoing finished rows.
//
// # Sketch
//
//	p, err := labelfree.NewPipeline(
//		&features.ImageFeaturizer{},     // Image -> Embedding
//		&features.LogisticRegression{},  // Embedding, Label -> Probabilities
//		&lime.ImageLIME{},               // Image, classifier -> Boxes
//	)
//	ex := labelfree.Executor{Progress: labelfree.NewProgressBar(os.Stderr)}
//	model, scored, err := ex.Fit(ctx, p, ds)
//	err = labelfree.SaveFile("snowleopard.lfp", model)
//
// and in another program:
//
//	model, err := labelfree.LoadFile("snowleopard.lfp")
//	out, err := ex.Transform(ctx, model, newImages)
//
// # Saved pipelines
//
// Save writes a fitted PipelineModel as a zip archive holding a versioned
// JSON manifest and one member per stage (see FormatName and FormatVersion
// for the layout). Stage types make themselves loadable with Register; Load
// refuses damaged files, unknown stage types and newer format versions with
// a clear error.
package labelfree
