package dataset

// Decoding and augmenting are cheaper to redo than to checkpoint: a decoded
// image takes many times the space of its bytes. The executor does not
// checkpoint these stages (labelfree.Recomputable).

// Recomputable implements labelfree.Recomputable.
func (d *Decoder) Recomputable() bool { return true }

// Recomputable implements labelfree.Recomputable.
func (a *Augment) Recomputable() bool { return true }
