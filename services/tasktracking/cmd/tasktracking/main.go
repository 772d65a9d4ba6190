// Command tasktracking runs the task-tracking service: directing documents and the reform
// tasks they assign, over gRPC, with TaskAssigned events published through the outbox.
package main

import (
	"github.com/parindex/platform/services/kit/svcmain"
	"github.com/parindex/platform/services/tasktracking/internal/server"
)

func main() { svcmain.Main("tasktracking", "127.0.0.1:9102", server.Run) }
