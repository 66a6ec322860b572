// Package detect trains and runs an object detector on the weak boxes LIME
// draws, and evaluates detectors against ground truth.
package detect
