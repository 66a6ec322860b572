// Package search finds images on the web (or on disk) and labels them by
// the query that found them: the first stage of labelfree's "deep learning
// without labels" workflow.
//
// # Providers
//
// A Provider answers one page of one query. The clients here speak each
// service's documented API:
//
//   - Openverse: openly licensed images, works without a key (1 request/s,
//     20 results a page); optional OAuth2 client credentials.
//   - Wikimedia: Wikimedia Commons through the MediaWiki Action API, with
//     licence and author from the file's extended metadata.
//   - INaturalist: photos of community-identified observations, by taxon;
//     the natural source for wildlife such as snow leopards.
//   - Brave: Brave Search image search (key: BRAVE_SEARCH_API_KEY).
//   - Bing: Bing Image Search v7 (key: BING_SEARCH_KEY). Microsoft retired
//     the public Bing Search APIs in August 2025; the client is kept for
//     compatible endpoints and is not a default.
//   - LocalDir: image files in a directory tree.
//
// Every provider is a struct whose zero value works (given a key where one
// is needed) and whose Endpoint can point at a compatible service or a
// test server. Each Result carries the image URL, the page it appears on, a
// thumbnail, the size and format, the licence and the attribution where
// the provider gives them. No result carries location data.
//
// # Politeness and failures
//
// All web providers send requests through one piece of machinery,
// configured by HTTPConfig: a per-provider rate limit (golang.org/x/time/rate,
// defaulting to each API's documented or polite limit), retries of 429,
// 5xx, timeouts and network errors with exponential backoff and jitter,
// honouring Retry-After (seconds or HTTP date; while one is pending every
// query of that provider waits), no retry of other 4xx, a per-attempt
// timeout, a response size cap and context cancellation. Failures an API
// reports come back as *APIError with the code and message parsed from
// that API's documented error body; errors.Is matches ErrUnauthorized and
// ErrRateLimited. Keys and tokens are sent in headers only, are never
// forwarded on a redirect to another host, and are redacted from every
// error, including messages a server echoes back. The package never logs.
//
// The rate limit belongs to the provider value: create one value per
// service and share it (it is safe for concurrent use), so that all of a
// program's queries to that service draw on one budget.
//
// # Collecting a labelled set
//
// Collect runs many queries with bounded concurrency, pages each one, ranks
// and labels the results, and records per-query failures without stopping
// the others. The positive class is Positive(query, pages): the first pages
// of one query. The negative class is Negatives(words, k): the first k
// images of many random-word queries, the words drawn by NegativeWords from
// an embedded list of common concrete nouns (Words; written for labelfree,
// CC0), leaving out words related to the positive query.
package search
