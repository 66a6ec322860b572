// Package capture reads when camera-trap photos were taken and groups them
// into events.
//
// ReadTime takes EXIF DateTimeOriginal (with OffsetTimeOriginal when the
// camera wrote one) using github.com/dsoprea/go-exif/v3. Camera clocks are
// often wrong (never set, reset after a battery change, off by an hour after
// daylight saving); Offsets corrects them per folder, the unit in which
// photos come off one camera card: the offset of the longest matching
// folder prefix is added to every time read below it.
//
// Events groups the photos of each deployment, in time order, into events:
// a new event starts when the gap to the previous photo exceeds Gap. The
// default gap is 5 minutes. Camera-trap software uses 5 to 30 minutes:
// 30 minutes is the usual ecological independence interval between two
// detections, but events here feed COCO Camera Traps seq_id, Camtrap DP
// eventID/eventStart/eventEnd and later stages that vote over a burst, and a
// vote is wrong when two animals' visits are merged, much worse than when
// one lingering animal is split into two events. Five minutes keeps a burst
// and an animal that lingers in front of the camera together, while
// separating visits that are further apart; set Gap to 30 minutes to get
// independent detections for occupancy work.
//
// Only the time is read from EXIF: GPS and every other tag are ignored, and
// nothing here writes image bytes.
package capture
