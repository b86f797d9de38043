// Command hello prints a random UUID and a greeting in title case.
package main

import (
	"fmt"

	"github.com/google/uuid"
	"golang.org/x/text/cases"
	"golang.org/x/text/language"
)

func main() {
	fmt.Println(cases.Title(language.English).String("hello from cachefront"), uuid.NewString())
}
