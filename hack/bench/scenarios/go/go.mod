module example.com/bench-api

go 1.26

require (
	github.com/google/uuid v1.5.0
	github.com/spf13/cobra v1.8.0
	golang.org/x/text v0.14.0
	gopkg.in/yaml.v3 v3.0.1
)

require (
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/spf13/pflag v1.0.5 // indirect
)
