module example.com/hello

go 1.22

require (
	github.com/google/uuid v1.6.0
	golang.org/x/text v0.22.0
)
