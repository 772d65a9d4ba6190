// Command directory runs the directory service: units and their levels and kinds, head
// tenures and users, served over gRPC (par.directory.v1) with events on the DIRECTORY
// stream.
package main

import (
	"github.com/parindex/platform/services/directory/internal/server"
	"github.com/parindex/platform/services/kit/svcmain"
)

func main() { svcmain.Main("directory", "127.0.0.1:9101", server.Run) }
