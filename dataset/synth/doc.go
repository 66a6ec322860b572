// Package synth renders synthetic camera-trap scenes with exact ground
// truth, and serves them through an in-process fake image-search service.
//
// Render draws a deterministic (seeded) scene: sky, distant ridges, textured
// terrain of one of several biomes, vegetation, clutter that makes hard
// negatives (rocks with lichen spots, stumps, logs, unspotted hoofed
// animals), and optionally one or more spotted "snow leopard"-like cats of
// varying size, pose and camouflage. Camera effects follow: exposure, tint,
// vignetting, sensor noise, infrared night shots and the info strip many
// trail cameras print. Every scene comes with the boxes of its animals and a
// per-pixel animal mask, so LIME and detector quality can be measured
// against truth.
//
// NewServer starts a loopback HTTP server that answers image searches in
// JSON and serves the rendered JPEGs by URL; its Provider is a
// search.Provider, so an offline run exercises the same search, download
// and decode code as a run against a real search service. Queries naming
// the positive class return scenes with animals; any other query returns
// scenes without them.
//
// Rendering is fast (a few milliseconds for a 320×240 scene on one core),
// so whole example workflows run offline in minutes.
package synth
