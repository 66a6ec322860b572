// Package coco writes and reads COCO object-detection JSON, in two
// flavours:
//
//   - plain COCO, for detector training (pycocotools, Detectron2,
//     torchvision, MMDetection, Ultralytics' converters): integer ids,
//     images with file_name, width and height, categories with ids from 1,
//     and annotations with an absolute pixel bbox [x, y, width, height]
//     from the top-left corner, area and iscrowd. Each box's confidence is
//     kept in an extra "score" field, which training tools ignore. Failed
//     images and images with a label but no box are left out (and listed in
//     the returned Report), because a training tool would read them as
//     photos with nothing in them.
//
//   - COCO Camera Traps (Options.CameraTraps), the LILA convention
//     (agentmorris/MegaDetector data_management/README.md): string image and
//     annotation ids, category 0 reserved for "empty", the camera-trap image
//     fields datetime ("YYYY-MM-DD hh:mm:ss", the camera's wall clock),
//     seq_id, seq_num_frames, frame_num and location (an opaque string id:
//     the deployment, never coordinates), image-level labels as annotations
//     without a bbox, and "corrupt": true for an image that could not be
//     read (with its reason in an extra "failure" field). Every image is
//     kept.
//
// Read accepts both flavours. The format records no time zone: datetime is
// written as the capture time's wall clock in its own zone and read back in
// ReadOptions.Location (UTC by default).
package coco
