// Command registry is the distribution (v3) registry with only the storage
// drivers the test bed uses. Upstream's cmd/registry also links the Azure,
// GCS and S3 drivers and their SDKs, which double its compile time on a cold
// machine; the server itself is the same package.
package main

import (
	"github.com/distribution/distribution/v3/registry"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/filesystem"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory"
)

func main() {
	// RootCmd exits non-zero by itself when a command fails.
	_ = registry.RootCmd.Execute()
}
