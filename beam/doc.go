// Package lfbeam runs labelfree's stages on Apache Beam (the Go SDK), so
// that the pipeline a user runs on one machine with labelfree.Executor
// runs unchanged on a cluster: Flink, Spark or Google Cloud Dataflow, and
// in tests on Beam's in-process prism runner.
//
// It lives in its own Go module (github.com/labelfree/labelfree/beam) so
// that the core library does not pull Beam's dependencies (about 1 GB of
// modules); import it as
//
//	import lfbeam "github.com/labelfree/labelfree/beam"
//
// # Rows and models on the wire
//
// A PCollection of rows holds []byte elements, each a labelfree.Row
// encoded by Row.MarshalBinary: its ID, its error (stage and message) and
// every column through the column's codec. Workers run the same binary as
// the launching program, so every column and stage type it declares is
// known to them. Fitted models travel as labelfree.Save bytes in a DoFn's
// exported field (Transform), as a file each worker reads (TransformFile,
// for models too large to travel inside the submitted pipeline) or as a
// one-element side input when the pipeline fits them (TransformWith), and
// are loaded once per worker.
//
// Beam keeps no order; Create and ReadDataset record each row's place in
// the Position column and ReadRows (or WriteDataset) restores it, so the
// dataset that comes back equals the local executor's row for row,
// failed rows included.
//
// # Building a pipeline
//
//	p, s := beam.NewPipelineWithRoot()
//	rows, classes, err := lfbeam.ReadDataset(ctx, s, "/mnt/shared/leopards", &dataset.ReadOptions{LoadImages: true})
//	featurized, err := lfbeam.Transform(s, featurizerModel, rows)
//	model, err := lfbeam.Fit(s, &features.LogisticRegression{}, classes,
//		lfbeam.Select(s, featurized, labelfree.Embedding.Name(), labelfree.Label.Name()))
//	scored := lfbeam.TransformWith(s, model, featurized)
//	explained, err := lfbeam.Explain(s, lime.ImageLIME{Samples: 1000}, classifierModel, scored)
//	err = lfbeam.WriteRows(s, "/mnt/shared/out/explained", explained)
//	lfbeam.WriteModel(s, "/mnt/shared/out/logreg.lfm", model)
//	err = beamx.Run(ctx, p)
//
// Functions that can refuse their input at construction (a model stage
// that cannot ship, a bad parameter) return an error rather than
// panicking as beam.ParDo does.
//
// # How each stage distributes
//
//   - Transformers (superpixel.Transformer, features.ImageFeaturizer,
//     features.LogisticModel, features.Ensemble, any user stage registered
//     with labelfree.Register): a ParDo with Transform. Each stage runs on
//     a worker's rows exactly as on the local executor: failed rows pass
//     untouched, a stage's error fails its row only, BatchTransformers get
//     batches of their BatchSize (a worker gathers two rows per core of a
//     bundle, or a batch if larger, and runs them on all its cores).
//   - lime.ImageLIME: Explain. Each image is explained whole on one worker;
//     its perturbed samples never leave it (see Explain).
//   - features.LogisticRegression (an Estimator): Fit gathers the training
//     rows on one worker and fits there, as SparkML collects small fits;
//     with Select only embeddings and labels travel (5 KiB a row with
//     MobileNetV2). The model comes back as a one-element PCollection for
//     TransformWith and WriteModel. Other estimators work the same way once
//     registered with RegisterEstimator.
//   - DatasetTransformers (dataset deduplication, balancing, splitting)
//     need every row at once: they are refused by Transform; run them on
//     the local executor before or after the distributed part (ReadRows
//     collects, dataset.Write and ReadDataset hand over).
//   - Dataset files: ReadDataset and WriteDataset read and write the
//     dataset package's layout (Parquet manifest and image files), which
//     pandas and Spark read too.
//
// # Running on a cluster
//
// Every Beam Go program picks its runner with flags; call beam.Init()
// first in main and run with beamx.Run. The program cmd/lfbeam-lime reads a
// dataset, explains every image with a saved classifier and writes the
// rows. On this machine (prism, in process):
//
//	go run ./cmd/lfbeam-lime --dataset=/data/leopards --classifier=classifier.lfm --output=/tmp/out/rows
//
// Apache Flink, through Beam's Flink job server (the Go SDK harness runs
// in a Docker container on each task manager, or LOOPBACK in the job
// server's host for a local try):
//
//	docker run --net=host apache/beam_flink1.19_job_server:2.77.0 --flink-master=flink-jobmanager:8081
//	go run ./cmd/lfbeam-lime --runner=flink --endpoint=localhost:8099 \
//	    --environment_type=DOCKER --environment_config=apache/beam_go_sdk:2.77.0 \
//	    --dataset=/mnt/shared/leopards --classifier=/mnt/shared/classifier.lfm --output=/mnt/shared/out/rows
//
// Apache Spark, through Beam's portable Spark job server:
//
//	docker run --net=host apache/beam_spark3_job_server:2.77.0 --spark-master-url=spark://spark-master:7077
//	go run ./cmd/lfbeam-lime --runner=spark --endpoint=localhost:8099 \
//	    --environment_type=DOCKER --environment_config=apache/beam_go_sdk:2.77.0 \
//	    --dataset=/mnt/shared/leopards --classifier=/mnt/shared/classifier.lfm --output=/mnt/shared/out/rows
//
// Google Cloud Dataflow (the runner cross-compiles the program as the
// worker binary; rows and models go to Cloud Storage when gs:// paths are
// given and the gcs filesystem is imported, as cmd/lfbeam-lime does; the
// dataset directory must be mounted on the workers, for instance with
// Cloud Storage FUSE, because dataset.Read reads local paths):
//
//	go run ./cmd/lfbeam-lime --runner=dataflow --project=my-project --region=europe-west1 \
//	    --staging_location=gs://my-bucket/staging --temp_location=gs://my-bucket/tmp \
//	    --worker_machine_type=n2-standard-8 \
//	    --dataset=/mnt/gcs/leopards --classifier=gs://my-bucket/classifier.lfm --output=gs://my-bucket/out/rows
//
// Then, on any machine that sees the output:
//
//	ds, err := lfbeam.ReadRows(ctx, "gs://my-bucket/out/rows")
//
// # Limits
//
// Rows must stay in the global window (batch pipelines; the default).
// WriteDataset and Fit gather their rows on one worker. An image's LIME
// samples are not split across workers (see Explain).
package lfbeam
