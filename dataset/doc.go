// Package dataset turns image-search results into a clean, labelled image
// dataset: it stitches the results of several queries into rows with weak
// labels, downloads and decodes the images safely, removes exact and
// near duplicates, balances the classes, splits train from test,
// augments, and stores the result on disk as image files plus a Parquet
// manifest that pandas, Spark and DuckDB read.
//
// A typical run:
//
//	coll, _ := search.Collect(ctx, provider, spec)
//	ds, rep, _ := dataset.Stitch([]string{"other", "snow leopard"},
//		coll.ByClass(search.NegativeClass, "snow leopard"), nil)
//	ex := labelfree.Executor{Checkpoint: ckpt} // resumes after a crash
//	ds, _ = ex.Transform(ctx, &dataset.Downloader{CacheDir: "cache"}, ds)
//	ds, _ = ex.Transform(ctx, &dataset.Decoder{}, ds)
//	ds, _ = ex.Transform(ctx, &dataset.Dedupe{}, ds)
//	ds, _ = ex.Transform(ctx, &dataset.TrainTestSplit{Seed: 1}, ds)
//	ds, _ = ex.Transform(ctx, &dataset.Balance{Split: dataset.SplitTrain}, ds)
//	ds, _ = ex.Transform(ctx, &dataset.Augment{Seed: 1}, ds)
//	_ = dataset.Write(ctx, "out", ds, nil)
//
// Every stage is a labelfree stage, so they also compose in a Pipeline.
// dataset/synth provides an offline stand-in for the search provider,
// with ground truth.
//
// # Nothing is lost
//
// A row that cannot be used (a malformed URL, a 404, a file that is not an
// image or is too big, a duplicate, a surplus row removed to balance the
// classes) stays in the dataset with Row.Err saying which stage set it
// aside and why, and the manifest written by Write lists it too. Later
// stages skip such rows. Duplicates point at the row they duplicate
// (DuplicateOf); Duplicates lists them all.
//
// # Safety
//
// The Downloader fetches only http and https URLs, refuses to connect to
// loopback, private, link-local, CGNAT and cloud-metadata addresses (the
// resolved address of every connection is checked, redirects included, so
// DNS tricks do not get around it), bounds the bytes read and the pixels
// decoded (decompression bombs are refused after reading the image header,
// before any pixel is allocated), and trusts the bytes' magic numbers rather
// than the server's Content-Type.
//
// # Location privacy
//
// Camera-trap photographs carry GPS coordinates of rare animals in their
// EXIF and XMP metadata. The Downloader removes EXIF, XMP, IPTC and text
// metadata from every image it fetches (without re-encoding: pixels stay
// byte-identical), so neither checkpoints, caches, nor the files Write
// stores carry them; Write strips again whatever bytes it is given. Set
// KeepMetadata on either to opt out.
//
// # Determinism
//
// Every random choice (which surplus rows balancing drops, the split,
// augmentation parameters) comes from Row.Seed, so results do not depend on
// the number of workers or the order rows are processed in.
package dataset
