// Command parscoring runs the PAR scoring service: methodologies (criteria sets) now, and
// assessment rounds, appraisal, publication and rankings as they are added.
// Configuration comes from the environment (see server.Config and kit/svcmain.Process).
package main

import (
	"github.com/parindex/platform/services/kit/svcmain"
	"github.com/parindex/platform/services/parscoring/internal/server"
)

func main() { svcmain.Main("parscoring", "127.0.0.1:9103", server.Run) }
