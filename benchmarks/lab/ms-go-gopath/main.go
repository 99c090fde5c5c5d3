// greet greets its arguments and says where it runs: the golang image's WORKDIR,
// /go, which the Dockerfile relies on without naming it.
package main

import (
	"fmt"
	"os"
	"strings"
)

func main() {
	name := "world"
	if len(os.Args) > 1 {
		name = strings.Join(os.Args[1:], " ")
	}
	here, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(os.Stderr, "greet:", err)
		os.Exit(1)
	}
	fmt.Printf("hello, %s\nrunning in %s\n", name, here)
}
