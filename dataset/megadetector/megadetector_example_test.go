package megadetector_test

import (
	"context"
	"os"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset/annot"
	"github.com/labelfree/labelfree/dataset/megadetector"
)

// Weak boxes written for Timelapse or AddaxAI.
func ExampleWrite() {
	s := &annot.Set{
		Classes: []string{"snow leopard"},
		Images: []annot.Image{
			{File: "cam01/IMG_0001.JPG", Width: 640, Height: 480,
				Boxes: []labelfree.Box{{X0: 64, Y0: 48, X1: 320, Y1: 240, Score: 0.9}}},
			{File: "cam01/IMG_0002.JPG", Width: 640, Height: 480},
			{File: "cam01/IMG_0003.JPG", Failure: "decode: unexpected EOF"},
		},
	}
	if err := megadetector.Write(context.Background(), os.Stdout, s, &megadetector.Options{Indent: true}); err != nil {
		panic(err)
	}
	// Output:
	// {
	//   "info": {
	//     "format_version": "1.6",
	//     "detector": "labelfree",
	//     "detector_metadata": {
	//       "typical_detection_threshold": 0.2,
	//       "conservative_detection_threshold": 0.05
	//     }
	//   },
	//   "detection_categories": {
	//     "1": "snow leopard"
	//   },
	//   "images": [
	//     {
	//       "file": "cam01/IMG_0001.JPG",
	//       "detections": [
	//         {
	//           "category": "1",
	//           "conf": 0.9,
	//           "bbox": [
	//             0.1,
	//             0.1,
	//             0.4,
	//             0.4
	//           ]
	//         }
	//       ]
	//     },
	//     {
	//       "file": "cam01/IMG_0002.JPG",
	//       "detections": []
	//     },
	//     {
	//       "file": "cam01/IMG_0003.JPG",
	//       "detections": null,
	//       "failure": "decode: unexpected EOF"
	//     }
	//   ]
	// }
}
