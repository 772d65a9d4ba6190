// Command notification runs the notification service: the in-app inboxes of units, fed by
// the events of the other services, over gRPC.
package main

import (
	"github.com/parindex/platform/services/kit/svcmain"
	"github.com/parindex/platform/services/notification/internal/server"
)

func main() { svcmain.Main("notification", "127.0.0.1:9105", server.Run) }
