module github.com/labelfree/labelfree

go 1.26.8

require (
	github.com/stretchr/testify v1.12.1
	golang.org/x/image v0.25.0
	golang.org/x/time v0.16.0
)

require go.yaml.in/yaml/v3 v3.0.5 // indirect
