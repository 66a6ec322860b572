package search

import (
	_ "embed"
	"math/rand/v2"
	"strings"
)

// wordsTxt is the embedded word list: common concrete nouns, written for
// labelfree and dedicated to the public domain (CC0 1.0); see words.txt.
//
//go:embed words.txt
var wordsTxt string

var wordList = parseWords(wordsTxt)

func parseWords(s string) []string {
	var out []string
	seen := map[string]bool{}
	for _, line := range strings.Split(s, "\n") {
		w := strings.ToLower(strings.TrimSpace(line))
		if w == "" || strings.HasPrefix(w, "#") || seen[w] {
			continue
		}
		seen[w] = true
		out = append(out, w)
	}
	return out
}

// Words returns a copy of the embedded list of common concrete nouns
// (several hundred, lower case, sorted) used for negative queries. The list
// was written for labelfree and is dedicated to the public domain (CC0 1.0).
func Words() []string { return append([]string(nil), wordList...) }

// NegativeWords samples n distinct words from words (nil means Words())
// with a seeded generator, leaving out every word related to the positive
// query or to an exclude entry: a word sharing a word with it, up to a
// plural "s"/"es", or containing one of its words of four or more letters
// ("snowman" for "snow leopard"). The same arguments always give the same
// words, in the same order. Fewer than n come back when the list runs out.
func NegativeWords(words []string, n int, seed uint64, positive string, exclude ...string) []string {
	if words == nil {
		words = wordList
	}
	if n <= 0 {
		return nil
	}
	var avoid []string
	for _, s := range append([]string{positive}, exclude...) {
		avoid = append(avoid, strings.Fields(normPath(s))...)
	}
	var pool []string
	seen := map[string]bool{}
	for _, w := range words {
		w = strings.ToLower(strings.TrimSpace(w))
		if w == "" || seen[w] || related(w, avoid) {
			continue
		}
		seen[w] = true
		pool = append(pool, w)
	}
	r := rand.New(rand.NewPCG(seed, 0x6c6162656c66726b)) // "labelfrk"
	r.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
	if n > len(pool) {
		n = len(pool)
	}
	return pool[:n:n]
}

// related reports whether any word of w matches or contains an avoided word.
func related(w string, avoid []string) bool {
	for _, t := range strings.Fields(normPath(w)) {
		for _, a := range avoid {
			if sameWord(t, a) {
				return true
			}
			if len(a) >= 4 && strings.Contains(t, a) {
				return true
			}
			if len(t) >= 4 && strings.Contains(a, t) {
				return true
			}
		}
	}
	return false
}

// sameWord compares two words up to a plural ending.
func sameWord(a, b string) bool {
	return singular(a) == singular(b)
}

func singular(w string) string {
	switch {
	case strings.HasSuffix(w, "ies") && len(w) > 4:
		return w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "ches"), strings.HasSuffix(w, "shes"), strings.HasSuffix(w, "xes"), strings.HasSuffix(w, "sses"):
		return w[:len(w)-2]
	case strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && len(w) > 3:
		return w[:len(w)-1]
	}
	return w
}
