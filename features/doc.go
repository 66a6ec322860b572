// Package features turns images into embeddings with a pretrained CNN and
// learns classifiers on them: transfer learning as the MMLSpark "Deep
// Learning Without Labels" seed does it.
//
// LogisticRegression is an Estimator over the labelfree.Embedding and
// labelfree.Label columns; its fitted LogisticModel writes
// labelfree.Probabilities and labelfree.Prediction and saves with the
// pipeline. Evaluate scores any dataset that carries Probabilities and
// Label.
package features
