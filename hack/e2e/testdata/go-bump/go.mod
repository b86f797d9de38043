module example.com/hello

go 1.22

require (
	github.com/google/uuid v1.5.0
	golang.org/x/text v0.21.0
)
