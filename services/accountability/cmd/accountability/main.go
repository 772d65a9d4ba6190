// Command accountability runs the accountability service of seed 002 (QĐ 3373/QĐ-UBND): the
// responsibility matrix now, and explanations, evaluation of heads and sanctions as they are added.
// Configuration comes from the environment (see server.Config and kit/svcmain.Process).
package main

import (
	"github.com/parindex/platform/services/accountability/internal/server"
	"github.com/parindex/platform/services/kit/svcmain"
)

func main() { svcmain.Main("accountability", "127.0.0.1:9104", server.Run) }
