package camtrapdp

// Version is the Camtrap DP version written.
const Version = "1.0.2"

// Published schema and profile URLs of the version written.
const (
	ProfileURL             = "https://raw.githubusercontent.com/tdwg/camtrap-dp/" + Version + "/camtrap-dp-profile.json"
	DeploymentsSchemaURL   = "https://raw.githubusercontent.com/tdwg/camtrap-dp/" + Version + "/deployments-table-schema.json"
	MediaSchemaURL         = "https://raw.githubusercontent.com/tdwg/camtrap-dp/" + Version + "/media-table-schema.json"
	ObservationsSchemaURL  = "https://raw.githubusercontent.com/tdwg/camtrap-dp/" + Version + "/observations-table-schema.json"
	timestampLayout        = "2006-01-02T15:04:05Z07:00"
	dateLayout             = "2006-01-02"
	defaultClassifiedBy    = "labelfree"
	defaultCaptureMethod   = "activityDetection"
	defaultSamplingDesign  = "opportunistic"
	defaultProjectTitle    = "labelfree weak boxes"
	defaultPackageName     = "labelfree-camtrap-dp"
	defaultContributorName = "labelfree"
)

// Column names of the three tables, in the order of the 1.0.2 schemas.
var (
	DeploymentColumns = []string{"deploymentID", "locationID", "locationName", "latitude", "longitude",
		"coordinateUncertainty", "deploymentStart", "deploymentEnd", "setupBy", "cameraID", "cameraModel",
		"cameraDelay", "cameraHeight", "cameraDepth", "cameraTilt", "cameraHeading", "detectionDistance",
		"timestampIssues", "baitUse", "featureType", "habitat", "deploymentGroups", "deploymentTags",
		"deploymentComments"}
	MediaColumns = []string{"mediaID", "deploymentID", "captureMethod", "timestamp", "filePath",
		"filePublic", "fileName", "fileMediatype", "exifData", "favorite", "mediaComments"}
	ObservationColumns = []string{"observationID", "deploymentID", "mediaID", "eventID", "eventStart",
		"eventEnd", "observationLevel", "observationType", "cameraSetupType", "scientificName", "count",
		"lifeStage", "sex", "behavior", "individualID", "individualPositionRadius",
		"individualPositionAngle", "individualSpeed", "bboxX", "bboxY", "bboxWidth", "bboxHeight",
		"classificationMethod", "classifiedBy", "classificationTimestamp", "classificationProbability",
		"observationTags", "observationComments"}
)

// Observation types of the 1.0.2 observations schema.
const (
	Animal       = "animal"
	Human        = "human"
	Vehicle      = "vehicle"
	Blank        = "blank"
	Unknown      = "unknown"
	Unclassified = "unclassified"
)

// missing reports whether a cell is a missing value of the 1.0.2 schemas
// (missingValues "", "NA", "NaN", "nan").
func missing(v string) bool { return v == "" || v == "NA" || v == "NaN" || v == "nan" }
