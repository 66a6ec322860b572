package camtrapdp_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/labelfree/labelfree"
	"github.com/labelfree/labelfree/dataset/annot"
	"github.com/labelfree/labelfree/dataset/camtrapdp"
)

// Snow-leopard boxes to a Camtrap DP package for GBIF, with the camera's
// position generalised to 0.1°.
func ExampleWriteDir() {
	dir, _ := os.MkdirTemp("", "camtrapdp")
	defer os.RemoveAll(dir)
	t0 := time.Date(2024, 2, 11, 5, 3, 7, 0, time.UTC)
	s := &annot.Set{
		Classes: []string{"snow leopard"},
		Images: []annot.Image{{File: "cam01/a.jpg", Width: 640, Height: 480, Time: t0, Deployment: "cam01",
			Boxes: []labelfree.Box{{X0: 64, Y0: 48, X1: 320, Y1: 240, Score: 0.9}}}},
	}
	err := camtrapdp.WriteDir(context.Background(), dir, s, &camtrapdp.Options{
		Deployments:         []camtrapdp.Deployment{{ID: "cam01", Latitude: 36.123456, Longitude: 75.987654}},
		CoordinatePrecision: 0.1,
		ScientificNames:     map[string]string{"snow leopard": "Panthera uncia"},
		Created:             t0,
	})
	if err != nil {
		panic(err)
	}
	for _, table := range []string{"deployments.csv", "observations.csv"} {
		f, _ := os.Open(filepath.Join(dir, table))
		rows, _ := csv.NewReader(f).ReadAll()
		f.Close()
		var out []string
		for i, c := range rows[0] {
			switch c {
			case "latitude", "longitude", "coordinateUncertainty", "observationType", "scientificName",
				"bboxX", "bboxY", "bboxWidth", "bboxHeight", "classificationMethod", "classificationProbability":
				out = append(out, c+"="+rows[1][i])
			}
		}
		fmt.Println(strings.Join(out, " "))
	}
	// Output:
	// latitude=36.1 longitude=76.0 coordinateUncertainty=7872
	// observationType=animal scientificName=Panthera uncia bboxX=0.1 bboxY=0.1 bboxWidth=0.4 bboxHeight=0.4 classificationMethod=machine classificationProbability=0.9
}
